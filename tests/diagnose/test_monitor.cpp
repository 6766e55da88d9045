#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <vector>

#include "trainscope/diagnose/monitor.hpp"

using namespace trainscope;

namespace {
std::vector<decision> feed(early_stopping& es, const std::vector<double>& values) {
  std::vector<decision> out;
  for (std::size_t i = 0; i < values.size(); ++i) out.push_back(es.on_checkpoint(static_cast<std::int64_t>(i + 1), values[i]));
  return out;
}
}  // namespace

TEST_CASE("early stopping: Lightning's patience counts checkpoints without improvement") {
  early_stopping es({.patience = 3});
  const auto d = feed(es, {1.0, 0.9, 0.95, 0.96, 0.97});
  CHECK(d[0].what == action::new_best_save);
  CHECK(d[1].what == action::new_best_save);
  CHECK(d[2].what == action::continue_training);
  CHECK(d[3].what == action::continue_training);
  CHECK(d[4].what == action::stop);
  CHECK(d[4].reference == doctest::Approx(0.9));
  CHECK(es.best_step() == 2);
}

TEST_CASE("early stopping: min_delta absolute and relative, mode max") {
  early_stopping abs_delta({.min_delta = 0.05, .patience = 2});
  auto d = feed(abs_delta, {1.0, 0.97, 0.96});
  // lower values are saved as the best checkpoint, but do not reset patience
  CHECK(d[1].new_best);
  CHECK(d[2].new_best);
  CHECK(d[2].what == action::stop);

  early_stopping rel({.min_delta = 0.1, .min_delta_is_relative = true, .patience = 1});
  d = feed(rel, {10.0, 8.5, 8.0});  // 8.5 < 9.0 improves; 8.0 is not below 8.5 * 0.9 = 7.65
  CHECK(d[1].what == action::new_best_save);
  CHECK(d[2].what == action::stop);

  early_stopping acc({.mode = early_stopping_options::direction::max, .patience = 1});
  d = feed(acc, {0.5, 0.7, 0.6});
  CHECK(d[1].new_best);
  CHECK(d[2].what == action::stop);
  CHECK(acc.best() == doctest::Approx(0.7));
}

TEST_CASE("early stopping: thresholds, non-finite metric, warm-up") {
  early_stopping stop_at({.patience = 10, .stopping_threshold = 0.2});
  auto d = feed(stop_at, {1.0, 0.5, 0.19});
  CHECK(d[2].what == action::stop);
  CHECK(d[2].new_best);  // save it, then stop

  early_stopping div({.patience = 10, .divergence_threshold = 5.0});
  d = feed(div, {1.0, 6.0});
  CHECK(d[1].what == action::stop);

  early_stopping fin({.patience = 10});
  d = feed(fin, {1.0, std::nan("")});
  CHECK(d[1].what == action::stop);

  early_stopping warm({.patience = 1, .warmup_checkpoints = 3});
  d = feed(warm, {1.0, 1.1, 1.2, 1.3});
  CHECK(d[1].what == action::continue_training);
  CHECK(d[2].what == action::continue_training);
  CHECK(d[3].what == action::stop);
}

TEST_CASE("early stopping: the noise-aware mode is not kept alive by noise") {
  // a converged, noisy validation curve: plain patience resets on every lucky low,
  // the noise-aware mode waits only for improvements above 2 sigma of the measured noise
  double plain_sum = 0, aware_sum = 0;
  const int seeds = 200;
  for (int seed = 0; seed < seeds; ++seed) {
    std::mt19937_64 rng(static_cast<unsigned>(seed));
    std::normal_distribution<double> noise(0.0, 0.01);
    early_stopping plain({.patience = 5}), aware({.patience = 5, .noise_aware = true});
    int plain_stop = 0, aware_stop = 0;
    for (int i = 1; i <= 400 && (!plain_stop || !aware_stop); ++i) {
      const double v = (i < 10 ? 2.0 - 0.1 * i : 1.0) + noise(rng);
      if (!plain_stop && plain.on_checkpoint(i, v).should_stop()) plain_stop = i;
      if (!aware_stop && aware.on_checkpoint(i, v).should_stop()) aware_stop = i;
    }
    plain_sum += plain_stop ? plain_stop : 400;
    aware_sum += aware_stop ? aware_stop : 400;
  }
  MESSAGE("mean stopping checkpoint on a flat noisy curve: plain ", plain_sum / seeds, ", noise-aware ", aware_sum / seeds);
  CHECK(aware_sum < plain_sum);
  CHECK(aware_sum / seeds < 22);  // converged at 10, patience 5, plus the noise estimate's warm-up

  // and it does not stop a run that improves by more than the noise at each checkpoint
  early_stopping aware({.patience = 3, .noise_aware = true});
  std::mt19937_64 rng(1);
  std::normal_distribution<double> noise(0.0, 0.005);
  bool stopped = false;
  for (int i = 1; i <= 60; ++i) stopped = stopped || aware.on_checkpoint(i, 3.0 - 0.04 * i + noise(rng)).should_stop();
  CHECK_FALSE(stopped);
  CHECK(aware.noise_sigma() == doctest::Approx(0.005).epsilon(0.5));
}

TEST_CASE("spike guard: skips a spike, rewinds when it does not recover, keeps the baseline clean") {
  spike_guard<64> guard({.min_history = 20, .recovery_steps = 5});
  std::mt19937_64 rng(2);
  std::normal_distribution<double> noise(0.0, 0.01);
  std::int64_t step = 0;
  for (int i = 0; i < 100; ++i) CHECK(guard.on_step(++step, 2.0 + noise(rng)).what == action::continue_training);
  auto d = guard.on_step(++step, 5.0);
  CHECK(d.what == action::skip_step);
  CHECK(d.reference == doctest::Approx(2.0).epsilon(0.01));
  CHECK(guard.on_step(++step, 2.0).what == action::continue_training);
  CHECK(guard.baseline() == doctest::Approx(2.0).epsilon(0.01));
  // a lasting jump: skip 4 times, then rewind
  for (int i = 0; i < 4; ++i) CHECK(guard.on_step(++step, 4.0).what == action::skip_step);
  CHECK(guard.on_step(++step, 4.0).what == action::rewind);
  CHECK(guard.spikes() == 2);
  // a small bump within the noise is no spike
  CHECK(guard.on_step(++step, 2.03).what == action::continue_training);
}

TEST_CASE("finite guard: tolerates isolated non-finite steps when asked") {
  finite_guard strict, tolerant({.tolerated_consecutive = 2});
  CHECK(strict.on_step(1, std::nan("")).what == action::stop);
  CHECK(tolerant.on_step(1, INFINITY).what == action::skip_step);
  CHECK(tolerant.on_step(2, 1.0).what == action::continue_training);
  CHECK(tolerant.on_step(3, std::nan("")).what == action::skip_step);
  CHECK(tolerant.on_step(4, std::nan("")).what == action::skip_step);
  CHECK(tolerant.on_step(5, std::nan("")).what == action::stop);
  CHECK(tolerant.on_checkpoint(6, std::nan("")).what == action::stop);
}

namespace {
struct step_counter {  // an observer with one hook and no decision
  int steps = 0;
  void on_step(std::int64_t, double) noexcept { ++steps; }
};
}  // namespace

TEST_CASE("monitor: hooks called only where present, the most severe decision wins, best is kept") {
  monitor mon{early_stopping({.patience = 2, .stopping_threshold = 0.5}), finite_guard{}, step_counter{}};
  CHECK(mon.on_step(1, 1.0).what == action::continue_training);
  CHECK(mon.on_step(2, std::nan("")).what == action::stop);
  CHECK(mon.get<step_counter>().steps == 2);
  const auto d = mon.on_checkpoint(3, 0.4);
  CHECK(d.what == action::stop);
  CHECK(d.new_best);
  CHECK(d.reason == "metric reached the stopping threshold");
}

TEST_CASE("monitor: state survives a restart through bytes") {
  auto make = [] {
    return monitor{early_stopping({.patience = 4, .noise_aware = true}), spike_guard<32>({.min_history = 10}), finite_guard{}};
  };
  auto whole = make();
  auto first = make();
  std::mt19937_64 rng(5);
  std::normal_distribution<double> noise(0.0, 0.01);
  std::vector<double> steps, vals;
  for (int i = 0; i < 400; ++i) steps.push_back(3.0 * std::exp(-i / 100.0) + 1.0 + noise(rng));
  for (int i = 0; i < 40; ++i) vals.push_back(3.0 * std::exp(-i / 8.0) + 1.0 + noise(rng));
  std::vector<action> expected, resumed;
  for (int i = 0; i < 400; ++i) {
    expected.push_back(whole.on_step(i, steps[static_cast<std::size_t>(i)]).what);
    if (i % 10 == 9) expected.push_back(whole.on_checkpoint(i, vals[static_cast<std::size_t>(i / 10)]).what);
  }
  std::array<std::byte, decltype(first)::serialized_size> saved{};
  for (int i = 0; i < 200; ++i) {
    resumed.push_back(first.on_step(i, steps[static_cast<std::size_t>(i)]).what);
    if (i % 10 == 9) resumed.push_back(first.on_checkpoint(i, vals[static_cast<std::size_t>(i / 10)]).what);
  }
  saved = first.serialize();
  auto second = make();
  REQUIRE(second.deserialize(saved));
  for (int i = 200; i < 400; ++i) {
    resumed.push_back(second.on_step(i, steps[static_cast<std::size_t>(i)]).what);
    if (i % 10 == 9) resumed.push_back(second.on_checkpoint(i, vals[static_cast<std::size_t>(i / 10)]).what);
  }
  CHECK(resumed == expected);
  CHECK(second.get<0>().best_step() == whole.get<0>().best_step());
  std::array<std::byte, decltype(first)::serialized_size> garbage{};
  CHECK_FALSE(second.deserialize(garbage));
}
