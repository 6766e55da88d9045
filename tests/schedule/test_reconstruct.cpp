// Reconstruction from synthetic logs: each family with known parameters, under the logging conventions real logs
// mix up (step offset, float32, sparse or irregular sampling, truncation).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "trainscope/schedule.hpp"

using namespace trainscope;

namespace {

struct sampling {
  std::int64_t first = 0, last = 0, every = 1;
  bool irregular = false;  ///< gaps cycle through every, 2*every+1, every/2+3
  bool float32 = false;
  std::int64_t offset = 0;  ///< logged step = counter + offset
};

struct log_samples {
  std::vector<std::int64_t> steps;
  std::vector<double> lr;
};

log_samples make_log(const schedule_model& m, const sampling& s) {
  log_samples out;
  const std::int64_t gaps[] = {s.every, 2 * s.every + 1, s.every / 2 + 3};
  std::size_t g = 0;
  for (std::int64_t step = s.first; step <= s.last;) {
    double v = lr_at(m, static_cast<double>(step - s.offset));
    if (s.float32) v = static_cast<float>(v);
    out.steps.push_back(step);
    out.lr.push_back(v);
    step += s.irregular ? gaps[g++ % 3] : s.every;
  }
  return out;
}

struct expected {
  std::string family;
  double peak;
  std::optional<double> warmup;  ///< checked within one step
  std::optional<double> total;   ///< checked within 1%, only when the log reaches the decay's end
};

/// A reported parameter, NaN when absent or null (so a missing one fails the comparison instead of crashing).
double param(const schedule_fit& f, const char* name) {
  return f.param(name).value_or(std::nan(""));
}

schedule_fit check_fit(const schedule_model& m, const sampling& s, const expected& e) {
  const auto log = make_log(m, s);
  const auto fit = reconstruct_schedule(log.steps, log.lr);
  REQUIRE(fit.has_value());
  INFO("fitted ", fit->family, " (", fit->convention, "), note: ", fit->certainty_note);
  for (const auto& p : fit->params) INFO(p.name, " = ", p.value ? *p.value : -1.0);
  CHECK(fit->family == e.family);
  REQUIRE(fit->param("peak_lr").has_value());
  CHECK(std::abs(param(*fit, "peak_lr") / e.peak - 1) < 1e-3);
  if (e.warmup) {
    REQUIRE(fit->param("warmup_steps").has_value());
    CHECK(std::abs(param(*fit, "warmup_steps") - *e.warmup) <= 1.0);
  }
  if (e.total) {
    REQUIRE(fit->param("total_steps").has_value());
    CHECK(std::abs(param(*fit, "total_steps") / *e.total - 1) < 0.01);
  }
  // The fitted closed form reproduces the log (float32 rounding is 6e-8 relative).
  CHECK(fit->max_relative_error < 1e-4);
  return *fit;
}

warmup_cosine_schedule cosine(double peak, double min, double w, double t, warmup_kind k = warmup_kind::linear) {
  warmup_cosine_schedule s;
  s.peak_lr = peak, s.min_lr = min, s.warmup = {w, k, 0}, s.total_steps = t;
  return s;
}

/// Three schedules whose conventions real logs mix up: DeepSpeed's log-warmup cosine ending at T - 1, nanoGPT's
/// cosine held at min_lr after T, and HF's WSD with a linear decay.
struct mixed_up_schedules {
  warmup_cosine_schedule deepspeed_log_cosine, nanogpt_clamped;
  wsd_schedule hf_wsd_linear;
};
mixed_up_schedules schedules_real_logs_mix_up() {
  mixed_up_schedules m{cosine(3e-4, 0, 500, 11763, warmup_kind::log), cosine(6e-4, 6e-5, 400, 8000),
                       wsd_schedule{1e-3, 1e-4, 300, 4000, 2000}};
  m.deepspeed_log_cosine.end_offset = 1;
  m.nanogpt_clamped.clamp_after_end = true;
  m.hf_wsd_linear.decay_shape = anneal_shape::linear;
  return m;
}

}  // namespace

TEST_CASE("the bundled sample log: DeepSpeed WarmupCosineLR, log warmup 500, total 11763, logged at 1..11760") {
  auto ds = cosine(3e-4, 0, 500, 11763, warmup_kind::log);
  ds.end_offset = 1;
  const auto fit = check_fit(ds, {1, 11760, 1, false, true, 1}, {"warmup_log_cosine", 3e-4, 500, 11763});
  CHECK(param(fit, "total_steps") == 11763);
  CHECK(param(fit, "warmup_steps") == 500);
  CHECK(param(fit, "min_lr") == doctest::Approx(0.0).epsilon(1e-9));
  CHECK(fit.step_offset == 1);
  CHECK(fit.convention.find("deepspeed") != std::string::npos);
  CHECK(fit.lr(11760) == doctest::Approx(ds.lr(11759)).epsilon(1e-6));
}

TEST_CASE("warmup_cosine under HF, nanoGPT and llm.c conventions") {
  SUBCASE("HF: from 0 at step 0, every step, doubles") {
    check_fit(cosine(3e-4, 0, 300, 6000), {0, 5999, 1, false, false, 0}, {"warmup_cosine", 3e-4, 300, 6000});
  }
  SUBCASE("nanoGPT: floor 10%, clamped after T, logged every 10 past the end") {
    auto s = cosine(6e-4, 6e-5, 200, 5000);
    s.clamp_after_end = true;
    const auto fit = check_fit(s, {0, 6000, 10, false, false, 0}, {"warmup_cosine", 6e-4, 200, 5000});
    CHECK(param(fit, "min_lr") == doctest::Approx(6e-5).epsilon(1e-3));
    CHECK(fit.convention.find("nanoGPT") != std::string::npos);
  }
  SUBCASE("llm.c: lr = peak (step + 1) / W, float32") {
    check_fit(cosine(6e-4, 0, 700, 19560), {0, 19559, 1, false, true, -1}, {"warmup_cosine", 6e-4, 700, 19560});
  }
  SUBCASE("CosineAnnealingLR alone is warmup_cosine with no warmup") {
    check_fit(cosine(0.1, 0.001, 0, 200), {0, 199, 1, false, true, 0}, {"warmup_cosine", 0.1, 0, 200});
  }
  SUBCASE("irregular sampling, logged step = counter + 1") {
    check_fit(cosine(1e-3, 1e-5, 1000, 30000), {1, 30000, 40, true, true, 1}, {"warmup_cosine", 1e-3, 1000, 30000});
  }
}

TEST_CASE("nanoGPT's newer warmup, (it + 1) / (warmup_iters + 1), is HF's form one counter later") {
  // train.py get_lr: it < warmup_iters: lr (it + 1) / (warmup_iters + 1); it > lr_decay_iters: min_lr; else cosine
  // with decay_ratio (it - warmup_iters) / (lr_decay_iters - warmup_iters).
  const double lr = 6e-4, min_lr = 6e-5, warmup = 100, decay_iters = 3000;
  std::vector<std::int64_t> steps;
  std::vector<double> values;
  for (std::int64_t it = 0; it <= 3500; ++it) {
    const double t = static_cast<double>(it);
    double v = min_lr;
    if (t < warmup) v = lr * (t + 1) / (warmup + 1);
    else if (t <= decay_iters)
      v = min_lr + 0.5 * (1 + std::cos(3.141592653589793 * (t - warmup) / (decay_iters - warmup))) * (lr - min_lr);
    steps.push_back(it), values.push_back(static_cast<float>(v));
  }
  const auto fit = reconstruct_schedule(steps, values);
  REQUIRE(fit.has_value());
  INFO(fit->convention);
  CHECK(fit->family == "warmup_cosine");
  CHECK(std::abs(param(*fit, "warmup_steps") - warmup) <= 1);
  CHECK(std::abs(param(*fit, "total_steps") / decay_iters - 1) < 0.01);
  CHECK(param(*fit, "min_lr") == doctest::Approx(min_lr).epsilon(1e-3));
  CHECK(fit->step_offset == -1);
  CHECK(fit->convention.find("nanoGPT") != std::string::npos);  // held at min_lr after the end
  CHECK(fit->max_relative_error < 1e-6);
}

TEST_CASE("a log that stops before the decay ends: the end is extrapolated, with its uncertainty") {
  auto s = cosine(1e-3, 0, 1000, 30000);
  const auto fit = check_fit(s, {0, 15000, 10, false, true, 0}, {"warmup_cosine", 1e-3, 1000, std::nullopt});
  REQUIRE(fit.total_steps_uncertainty.has_value());
  CHECK(std::abs(param(fit, "total_steps") - 30000) <= std::max(300.0, *fit.total_steps_uncertainty));
  CHECK(*fit.total_steps_uncertainty < 3000);
  CHECK(fit.certainty_note.find("stops") != std::string::npos);
  auto ds = cosine(3e-4, 0, 500, 11763, warmup_kind::log);
  ds.end_offset = 1;
  const auto part = check_fit(ds, {1, 7000, 7, false, true, 1}, {"warmup_log_cosine", 3e-4, 500, std::nullopt});
  REQUIRE(part.total_steps_uncertainty.has_value());
  CHECK(std::abs(param(part, "total_steps") - 11763) <= std::max(120.0, *part.total_steps_uncertainty));
}

TEST_CASE("linear decays: HF linear, DeepSpeed WarmupDecayLR (log warmup), polynomial") {
  check_fit(warmup_linear_schedule{1e-5, 0, {500, warmup_kind::linear, 0}, 5000}, {25, 5000, 25, false, false, 0},
            {"warmup_linear", 1e-5, 500, 5000});
  check_fit(warmup_linear_schedule{2e-4, 0, {1000, warmup_kind::log, 0}, 20000}, {1, 20000, 13, true, true, 1},
            {"warmup_log_linear", 2e-4, 1000, 20000});
  const auto fit = check_fit(warmup_polynomial_schedule{1e-3, 1e-7, {100, warmup_kind::linear, 0}, 3000, 2.0},
                             {0, 3200, 4, false, true, 0}, {"warmup_polynomial", 1e-3, 100, 3000});
  CHECK(param(fit, "power") == doctest::Approx(2.0).epsilon(0.01));
  // Power 1 is named warmup_linear: the extra parameter buys nothing.
  check_fit(warmup_polynomial_schedule{1e-3, 0, {100, warmup_kind::linear, 0}, 3000, 1.0}, {0, 3200, 4, false, true, 0},
            {"warmup_linear", 1e-3, 100, 3000});
}

TEST_CASE("warmup then constant: HF constant_with_warmup, PyTorch LinearLR, DeepSpeed WarmupLR, constant") {
  check_fit(warmup_constant_schedule{1e-4, {100, warmup_kind::linear, 0}}, {0, 3000, 3, false, true, 0},
            {"linear_warmup_constant", 1e-4, 100, std::nullopt});
  check_fit(warmup_constant_schedule{0.1, {50, warmup_kind::linear, 1.0 / 3}}, {0, 1000, 1, false, true, 0},
            {"linear_warmup_constant", 0.1, 50, std::nullopt});
  check_fit(warmup_constant_schedule{1e-3, {1000, warmup_kind::log, 0}}, {1, 5000, 1, false, true, 1},
            {"warmup_log_constant", 1e-3, 1000, std::nullopt});
  check_fit(constant_schedule{1e-5}, {401, 12030, 401, false, false, 0}, {"constant", 1e-5, 0, std::nullopt});
}

TEST_CASE("inverse_sqrt (HF timescale), exponential") {
  const auto fit = check_fit(inverse_sqrt_schedule{5e-4, {4000, warmup_kind::linear, 0}, 4000},
                             {0, 50000, 50, false, true, 0}, {"inverse_sqrt", 5e-4, 4000, std::nullopt});
  CHECK(param(fit, "timescale") == doctest::Approx(4000).epsilon(0.01));
  const auto ex = check_fit(exponential_schedule{0.1, {}, 0.95}, {0, 99, 1, false, true, 0},
                            {"exponential", 0.1, 0, std::nullopt});
  CHECK(param(ex, "gamma") == doctest::Approx(0.95).epsilon(1e-4));
}

TEST_CASE("step decays: StepLR and MultiStepLR (per-epoch counters)") {
  const auto st = check_fit(step_schedule{0.1, {}, 30, 0.1}, {0, 99, 1, false, true, 0}, {"step", 0.1, 0, std::nullopt});
  CHECK(param(st, "step_size") == 30);
  CHECK(param(st, "gamma") == doctest::Approx(0.1).epsilon(1e-4));
  const auto ms = check_fit(multistep_schedule{0.1, {}, {30, 80}, 0.2}, {0, 119, 1, false, true, 0},
                            {"multistep", 0.1, 0, std::nullopt});
  CHECK(param(ms, "milestone_1") == 30);
  CHECK(param(ms, "milestone_2") == 80);
  CHECK(param(ms, "gamma") == doctest::Approx(0.2).epsilon(1e-4));
}

TEST_CASE("cosine_restarts: CosineAnnealingWarmRestarts with T_mult 2") {
  const auto fit = check_fit(cosine_restarts_schedule{1e-3, 1e-5, {}, 1000, 2}, {0, 6999, 5, false, true, 0},
                             {"cosine_restarts", 1e-3, 0, std::nullopt});
  CHECK(param(fit, "restart_period") == 1000);
  CHECK(param(fit, "restart_multiplier") == doctest::Approx(2.0).epsilon(1e-3));
}

TEST_CASE("HF cosine_with_hard_restarts: CosineAnnealingWarmRestarts with T_mult 1, after a warmup") {
  const auto fit = check_fit(cosine_restarts_schedule{5e-4, 0, {100, warmup_kind::linear, 0}, 1200, 1},
                             {0, 4900, 2, false, false, 0}, {"cosine_restarts", 5e-4, 100, std::nullopt});
  CHECK(param(fit, "restart_period") == 1200);
  CHECK(param(fit, "restart_multiplier") == doctest::Approx(1.0).epsilon(1e-6));
}

TEST_CASE("one_cycle: PyTorch two- and three-phase, cos and linear; DeepSpeed with decay") {
  SUBCASE("two phases, cosine") {
    const auto fit = check_fit(one_cycle_schedule::pytorch(0.1, 2760, 0.3), {49, 2749, 50, false, false, 0},
                               {"one_cycle", 0.1, 827, std::nullopt});
    CHECK(param(fit, "pct_start") == doctest::Approx(0.3).epsilon(1e-3));
    CHECK(param(fit, "div_factor") == doctest::Approx(25).epsilon(1e-3));
  }
  SUBCASE("three phases, linear") {
    const auto fit = check_fit(one_cycle_schedule::pytorch(0.01, 5000, 0.25, anneal_shape::linear, 10, 100, true),
                               {0, 5100, 5, false, true, 0}, {"one_cycle", 0.01, 1249, 5000});
    CHECK(param(fit, "three_phase") == 1);
    CHECK(fit.convention.find("linear") != std::string::npos);
  }
  SUBCASE("DeepSpeed OneCycle with a decay phase") {
    check_fit(one_cycle_schedule::deepspeed(1e-4, 1e-3, 1000, 1000, 0.001, 1), {0, 5000, 5, false, true, 0},
              {"one_cycle", 1e-3, 1000, 2000});
  }
}

TEST_CASE("cyclic: triangular, triangular2 and exp_range") {
  const auto tri = check_fit(cyclic_schedule{1e-4, 1e-3, 400, 400, cyclic_mode::triangular, 1},
                             {0, 3000, 1, false, true, 0}, {"cyclic", 1e-3, std::nullopt, std::nullopt});
  CHECK(tri.convention.find("triangular;") != std::string::npos);
  CHECK(param(tri, "cycle_base_lr") == doctest::Approx(1e-4).epsilon(1e-4));
  const auto t2 = check_fit(cyclic_schedule{1e-4, 1e-3, 500, 500, cyclic_mode::triangular2, 1},
                            {0, 4000, 4, false, true, 0}, {"cyclic", 1e-3, std::nullopt, std::nullopt});
  CHECK(t2.convention.find("triangular2") != std::string::npos);
  CHECK(param(t2, "step_size_up") == 500);
  const auto ex = check_fit(cyclic_schedule{1e-4, 1e-3, 300, 700, cyclic_mode::exp_range, 0.9995},
                            {0, 4000, 2, false, true, 0}, {"cyclic", 1e-3, std::nullopt, std::nullopt});
  CHECK(ex.convention.find("exp_range") != std::string::npos);
  CHECK(param(ex, "gamma") == doctest::Approx(0.9995).epsilon(1e-5));
}

TEST_CASE("wsd: HF warmup-stable-decay, warmup from min_lr, 1-sqrt and linear decay") {
  wsd_schedule w{1e-3, 1e-5, 200, 5000, 1000};
  w.decay_shape = anneal_shape::one_minus_sqrt;
  const auto fit = check_fit(w, {0, 6300, 5, false, true, 0}, {"wsd", 1e-3, 200, 6200});
  CHECK(param(fit, "stable_steps") == doctest::Approx(5000).epsilon(1e-3));
  CHECK(fit.convention.find("1-sqrt") != std::string::npos);
  w.decay_shape = anneal_shape::linear;
  check_fit(w, {1, 6201, 1, false, false, 1}, {"wsd", 1e-3, 200, 6200});
  // A long warmup: its last samples are within 0.1% of the peak before the plateau starts.
  wsd_schedule longw{3e-4, 3e-6, 2000, 20000, 8000};
  check_fit(longw, {0, 31000, 1, false, true, 0}, {"wsd", 3e-4, 2000, 30000});
  // llm.c get_learning_rate_wsd: warmup (step + 1) / W from 0, constant to 0.8 T, 1-sqrt to final_frac * max.
  // With final_learning_rate_frac 0.1 (a floor of 6e-5) the two warmup starts differ.
  wsd_schedule llmc{6e-4, 6e-5, 700, 0.8 * 20000 - 700, 0.2 * 20000};
  llmc.decay_shape = anneal_shape::one_minus_sqrt;
  llmc.warmup_from_min = false;
  const auto fit2 = check_fit(llmc, {0, 20500, 1, false, true, -1}, {"wsd", 6e-4, 700, 20000});
  CHECK(fit2.convention.find("warmup from 0") != std::string::npos);
}

TEST_CASE("several parameter groups are each reconstructed; bad input is an error, not a guess") {
  series g0("lr/pg0"), g1("lr/pg1");
  const auto a = cosine(1e-3, 0, 100, 2000), b = cosine(1e-4, 0, 100, 2000);
  for (std::int64_t s = 0; s < 2000; s += 5) g0.put(s, a.lr(static_cast<double>(s))), g1.put(s, b.lr(static_cast<double>(s)));
  const std::vector<series> groups{g0, g1};
  const auto fits = reconstruct_schedules(groups);
  REQUIRE(fits.size() == 2);
  REQUIRE(fits[0].has_value());
  REQUIRE(fits[1].has_value());
  CHECK(fits[0]->family == "warmup_cosine");
  CHECK(param(*fits[1], "peak_lr") == doctest::Approx(1e-4).epsilon(1e-6));

  const std::vector<std::int64_t> st{1, 2, 2};
  const std::vector<double> v{1, 2, 3};
  CHECK(reconstruct_schedule(st, v).error().code == errc::invalid_argument);
  const std::vector<std::int64_t> st2{1, 2};
  const std::vector<double> nan2{std::nan(""), 1.0};
  CHECK(reconstruct_schedule(st2, nan2).error().code == errc::no_usable_data);
  const std::vector<double> zeros{0.0, 0.0};
  CHECK(reconstruct_schedule(st2, zeros).error().code == errc::no_usable_data);
}

TEST_CASE("validation: the first step out of order is named; NaN, infinite and negative lr are left out") {
  const std::vector<std::int64_t> st{1, 2, 5, 4, 3};
  const std::vector<double> ones{1, 1, 1, 1, 1};
  const auto bad = reconstruct_schedule(st, ones);
  REQUIRE(!bad.has_value());
  CHECK(bad.error().code == errc::invalid_argument);
  CHECK(bad.error().message == "steps do not increase at sample 3");

  // An infinite value would be the peak and a negative one the floor if they were not left out.
  const auto truth = cosine(1e-3, 1e-5, 100, 3000);
  std::vector<std::int64_t> steps;
  std::vector<double> clean, dirty;
  for (std::int64_t s = 0; s < 3000; s += 3) {
    steps.push_back(s);
    clean.push_back(truth.lr(static_cast<double>(s)));
  }
  dirty = clean;
  dirty[10] = std::numeric_limits<double>::infinity(), dirty[500] = -1.0, dirty[700] = std::nan("");
  const auto a = reconstruct_schedule(steps, clean), b = reconstruct_schedule(steps, dirty);
  REQUIRE(a.has_value());
  REQUIRE(b.has_value());
  CHECK(a->family == "warmup_cosine");
  CHECK(b->family == "warmup_cosine");
  CHECK(b->samples == a->samples - 3);
  CHECK(param(*b, "peak_lr") == doctest::Approx(1e-3).epsilon(1e-9));
  CHECK(param(*b, "min_lr") == doctest::Approx(1e-5).epsilon(1e-6));
  CHECK(param(*b, "warmup_steps") == 100);
  CHECK(param(*b, "total_steps") == 3000);
}

TEST_CASE("convention matrix: step offset x sampling x storage, for warmup families that real logs mix up") {
  const auto [ds, nano, wsd] = schedules_real_logs_mix_up();
  struct family_case {
    const char* name;
    schedule_model model;
    std::int64_t last;
    expected e;
  };
  const family_case cases[] = {
      {"HF cosine", cosine(2e-4, 0, 250, 9000), 9000, {"warmup_cosine", 2e-4, 250, 9000}},
      {"DeepSpeed log cosine", ds, 11760, {"warmup_log_cosine", 3e-4, 500, 11763}},
      {"nanoGPT clamp", nano, 8500, {"warmup_cosine", 6e-4, 400, 8000}},
      {"HF linear", warmup_linear_schedule{5e-5, 0, {300, warmup_kind::linear, 0}, 6000}, 6000,
       {"warmup_linear", 5e-5, 300, 6000}},
      {"HF WSD linear", wsd, 6500, {"wsd", 1e-3, 300, 6300}},
  };
  for (const auto& c : cases)
    for (std::int64_t offset : {-1, 0, 1})
      for (int sampling_kind = 0; sampling_kind < 4; ++sampling_kind)
        for (bool f32 : {false, true}) {
          sampling s{offset > 0 ? 1 : 0, c.last, 1, false, f32, offset};
          if (sampling_kind == 1) s.every = 17;
          if (sampling_kind == 2) s.every = 9, s.irregular = true;
          expected e = c.e;
          if (sampling_kind == 3) s.every = 50, s.last = c.last * 3 / 4, e.total.reset();  // stops in the decay
          const std::string name = c.name;
          CAPTURE(name);
          CAPTURE(offset);
          CAPTURE(sampling_kind);
          CAPTURE(f32);
          const auto fit = check_fit(c.model, s, e);
          if (sampling_kind == 3) {
            // Where the decay ends is extrapolated; the truth lies within 1% or the stated uncertainty (found by
            // bisection to half a step, plus the rounding of total_steps to a whole step).
            REQUIRE(fit.total_steps_uncertainty.has_value());
            CHECK(std::abs(param(fit, "total_steps") - *c.e.total) <=
                  std::max(0.01 * *c.e.total, *fit.total_steps_uncertainty + 1));
          }
        }
}

TEST_CASE("messy input: noise, spikes, NaN, tiny logs give a finite fit or an error, never a crash") {
  std::uint64_t state = 42;
  auto next = [&state] {  // splitmix64, so the test does not depend on <random>'s distributions
    state += 0x9e3779b97f4a7c15ULL;
    std::uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  };
  auto uniform = [&] { return static_cast<double>(next() >> 11) * 0x1p-53; };
  int fits = 0;
  for (int it = 0; it < 60; ++it) {
    const std::size_t n = 2 + next() % (it < 30 ? 6 : 400);
    std::vector<std::int64_t> steps;
    std::vector<double> lr;
    std::int64_t s = static_cast<std::int64_t>(next() % 100) - 50;
    for (std::size_t i = 0; i < n; ++i) {
      s += 1 + static_cast<std::int64_t>(next() % 20);
      double v = 0;
      switch (it % 4) {
        case 0: v = uniform(); break;                                    // noise
        case 1: v = i == n / 2 ? 1.0 : 0.0; break;                        // a single spike
        case 2: v = std::exp(-30 + 35 * uniform()); break;                // twelve decades
        default: v = next() % 10 == 0 ? std::nan("") : 1e-3 * (1 + std::sin(0.01 * static_cast<double>(i)));
      }
      steps.push_back(s), lr.push_back(v);
    }
    const auto fit = reconstruct_schedule(steps, lr);
    if (!fit) {
      CHECK(fit.error().code == errc::no_usable_data);
      continue;
    }
    ++fits;
    CHECK(std::isfinite(fit->lr(steps.back() + 1000)));
    CHECK(std::isfinite(fit->information_criterion));
    CHECK_FALSE(fit->family.empty());
  }
  CHECK(fits > 40);
}

// The second pass refines only the conventions whose first-pass fit is close to the family's best (a wrong shape is
// thousands of BIC behind). A log written under any one convention must still come back as that convention.
TEST_CASE("every convention of a family is still found: a log under each one is recognised as that one") {
  SUBCASE("wsd: four decay shapes, warmup from min_lr (HF) or from 0 (llm.c)") {
    const std::pair<anneal_shape, const char*> shapes[] = {{anneal_shape::cosine, "cosine decay"},
                                                            {anneal_shape::linear, "linear decay"},
                                                            {anneal_shape::one_minus_sqrt, "1-sqrt decay"},
                                                            {anneal_shape::square, "square decay"}};
    for (const auto& shape_text : shapes)
      for (bool from_min : {true, false}) {
        const char* text = shape_text.second;
        wsd_schedule w{1e-3, 1e-4, 300, 3000, 1500};
        w.decay_shape = shape_text.first;
        w.warmup_from_min = from_min;
        CAPTURE(text);
        CAPTURE(from_min);
        const auto fit = check_fit(w, {0, 5000, 1, false, false, 0}, {"wsd", 1e-3, 300, 4800});
        CHECK(fit.convention.find(text) != std::string::npos);
        CHECK(fit.convention.find(from_min ? "warmup from min_lr" : "warmup from 0") != std::string::npos);
        CHECK(param(fit, "min_lr") == doctest::Approx(1e-4).epsilon(1e-3));
      }
  }
  SUBCASE("one_cycle: two or three phases, cosine or linear annealing") {
    for (bool three : {false, true})
      for (auto shape : {anneal_shape::cosine, anneal_shape::linear}) {
        const auto m = one_cycle_schedule::pytorch(0.01, 5000, 0.25, shape, 10, 100, three);
        CAPTURE(three);
        const auto fit = check_fit(m, {0, 5100, 5, false, true, 0}, {"one_cycle", 0.01, 1249, 5000});
        CHECK(param(fit, "three_phase") == (three ? 1 : 0));
        CHECK(fit.convention.find(three ? "three phases" : "two phases") != std::string::npos);
        CHECK(fit.convention.find(shape == anneal_shape::linear ? "linear annealing" : "cosine annealing") !=
              std::string::npos);
      }
  }
  SUBCASE("warmup_cosine: DeepSpeed's decay that reaches the floor at T - 1") {
    auto ds = cosine(6e-4, 6e-5, 200, 5000);
    ds.end_offset = 1;
    const auto fit = check_fit(ds, {0, 5000, 1, false, false, 0}, {"warmup_cosine", 6e-4, 200, 5000});
    CHECK(fit.convention.find("deepspeed WarmupCosineLR (linear warmup)") != std::string::npos);
  }
  SUBCASE("warmup_log_cosine: a log warmup, then a cosine that reaches the floor at T, not T - 1") {
    auto lg = cosine(3e-4, 0, 500, 6000, warmup_kind::log);
    const auto fit = check_fit(lg, {0, 6000, 1, false, false, 0}, {"warmup_log_cosine", 3e-4, 500, 6000});
    CHECK(fit.convention.find("log warmup, cosine reaching the floor at T") != std::string::npos);
  }
}

TEST_CASE("pass 2 refines what the first pass left close: a convention 4 times behind is refined, a wrong shape not") {
  // First-pass BICs of a 77-sample one-cycle log's four conventions: the third won after refinement.
  const std::vector<double> one_cycle{204.4, 776.5, 845.1, 851.3};
  for (int conv = 0; conv < 4; ++conv) CHECK(detail::worth_refining(one_cycle, conv));
  // wsd fitted to a clean cosine: the other decay shapes are 70 times behind the cosine ones.
  const std::vector<double> wsd{26.3, 1886.9, 2134.6, 2178.6, 27.8, 1888.3, 2134.0, 2170.1};
  CHECK(detail::worth_refining(wsd, 0));
  CHECK(detail::worth_refining(wsd, 4));
  for (int conv : {1, 2, 3, 5, 6, 7}) CHECK_FALSE(detail::worth_refining(wsd, conv));
  // A single convention, or one whose first pass failed against a failed best, is always refined.
  CHECK(detail::worth_refining({}, 0));
  const double inf = std::numeric_limits<double>::infinity();
  CHECK(detail::worth_refining({inf, inf}, 1));
  CHECK_FALSE(detail::worth_refining({10.0, inf}, 1));
}

TEST_CASE("a long log: a runner-up that cannot win by its parameter count is bounded, not checked on every sample") {
  // 150,000 steps (over full_alternatives_below): wsd with no stable phase is this warmup_cosine with one
  // parameter more, so the subset cannot separate them, but k ln n alone puts wsd more than 10 behind.
  const auto log = make_log(cosine(3e-4, 3e-5, 500, 150000), {1, 150000, 1, false, false, 0});
  const auto fit = reconstruct_schedule(log.steps, log.lr);
  REQUIRE(fit.has_value());
  INFO("note: ", fit->certainty_note);
  CHECK(fit->family == "warmup_cosine");
  CHECK(fit->alternatives.empty());  // nothing else was checked on every sample
  const auto at = fit->certainty_note.find("(BIC at least ");
  REQUIRE(at != std::string::npos);
  const double bound = std::atof(fit->certainty_note.c_str() + at + 14);
  CHECK(bound >= 10);
  // Every family ranked on every sample: the same winner, and the runner-up's real gap is at least the bound.
  reconstruct_options all;
  all.full_alternatives_below = 1000000;
  const auto ranked = reconstruct_schedule(log.steps, log.lr, all);
  REQUIRE(ranked.has_value());
  CHECK(ranked->family == fit->family);
  CHECK(ranked->information_criterion == fit->information_criterion);
  REQUIRE_FALSE(ranked->alternatives.empty());
  CHECK(fit->certainty_note.find(", " + ranked->alternatives.front().first + " (BIC at least") != std::string::npos);
  const double real_gap = ranked->alternatives.front().second - ranked->information_criterion;
  CHECK(real_gap >= bound - 0.05);  // the note rounds to 3 digits
}

TEST_CASE("the full-sample check stops a family only once its BIC is past the limit, and sweeps several at once") {
  const auto truth = cosine(3e-4, 3e-5, 500, 20000);
  const auto log = make_log(truth, {1, 20000, 1, false, false, 0});
  const auto prec = detail::detect_precision(log.lr, 1e-9);
  const auto d = detail::weigh(log.steps, log.lr, prec, 3e-4, log.lr.size());
  const schedule_model exact = truth, flat = constant_schedule{3e-4};
  auto off_by_one = truth;
  off_by_one.total_steps += 1;
  const schedule_model near = off_by_one;
  const double floor = 1e-3 * 3e-4, n = static_cast<double>(d.size());
  // Each model alone, to the end.
  std::vector<detail::residual_summary> alone;
  for (const auto* m : {&exact, &near, &flat}) {
    detail::check_job job{m, 0.0, 4, {}};
    detail::check_all(std::span<detail::check_job>(&job, 1), d, floor);
    CHECK(job.r.complete);
    alone.push_back(job.r);
  }
  // All three in one sweep: the same sums, to the last bit.
  std::vector<detail::check_job> jobs{{&exact, 0.0, 4, {}}, {&near, 0.0, 4, {}}, {&flat, 0.0, 4, {}}};
  detail::check_all(jobs, d, floor);
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    CHECK(jobs[i].r.chi2 == alone[i].chi2);
    CHECK(jobs[i].r.max_relative == alone[i].max_relative);
    CHECK(jobs[i].r.sum_squared_relative == alone[i].sum_squared_relative);
  }
  // With a limit between the near model's BIC and the constant's, only the constant is cut short.
  const double bic_near = detail::bic(alone[1].chi2, n, 4), bic_flat = detail::bic(alone[2].chi2, n, 4);
  REQUIRE(bic_near < bic_flat);
  const double limit = 0.5 * (bic_near + bic_flat);
  std::vector<detail::check_job> limited{{&exact, 0.0, 4, {}}, {&near, 0.0, 4, {}}, {&flat, 0.0, 4, {}}};
  detail::check_all(limited, d, floor, limit);
  CHECK(limited[0].r.complete);
  CHECK(limited[1].r.complete);
  CHECK(limited[1].r.chi2 == alone[1].chi2);
  CHECK_FALSE(limited[2].r.complete);
  CHECK(limited[2].r.chi2 < alone[2].chi2);  // stopped before the end
}

namespace {

// The shape features by their definition: one sample at a time, the lowest value after the peak by a second sweep.
detail::lr_features features_by_definition(const detail::lr_samples& d, double peak, double floor) {
  detail::lr_features f;
  const std::size_t n = d.size();
  f.peak = peak, f.floor = floor;
  f.s_first = d.step(0), f.s_last = d.step(n - 1), f.y_first = d.y.front(), f.y_last = d.y.back();
  while (d.y[f.i_peak] < peak * (1 - 1e-3)) ++f.i_peak;
  f.s_peak = d.step(f.i_peak);
  f.rises_at_start = f.i_peak > 0 && f.y_first < 0.9 * peak;
  auto change = [&](std::size_t i) { return std::log(std::max(d.y[i + 1], 1e-300) / std::max(d.y[i], 1e-300)); };
  auto diff = [&](std::size_t i) { return std::abs(d.y[i + 1] - d.y[i]); };
  const double top = peak * (1 - 1e-4), third = (peak - floor) / 3;
  f.s_leave = f.s_peak;
  bool reached_top = false, left_top = false;
  double low = peak, late_floor = peak;
  std::size_t i_low = f.i_peak;
  for (std::size_t i = f.i_peak; i < n; ++i) {
    const double y = d.y[i];
    if (f.s_half < 0 && y <= 0.5 * peak) f.s_half = d.step(i);
    late_floor = std::min(late_floor, y);
    reached_top = reached_top || y >= top;
    if (reached_top && !left_top) {
      if (y >= top) f.s_leave = d.step(i), ++f.plateau_samples;
      else left_top = true;
    }
    if (!f.rises_again) {
      if (y < low) low = y, i_low = i;
      if (low < peak - third && y > low + third) {
        f.rises_again = true;
        f.s_trough = d.step(i_low);
        std::size_t top_of_rise = i;
        while (top_of_rise + 1 < n && d.y[top_of_rise + 1] >= d.y[top_of_rise]) ++top_of_rise;
        f.s_second_peak = d.step(top_of_rise);
      }
    }
    if (i + 1 >= n || std::abs(change(i)) < 0.03) continue;
    const double c = std::abs(change(i));
    const bool by_ratio =
        c > 10 * (i > 0 ? std::abs(change(i - 1)) : 0.0) && c > 10 * (i + 2 < n ? std::abs(change(i + 1)) : 0.0);
    const bool by_size = diff(i) > 0.05 * peak && diff(i) > 10 * (i > 0 ? diff(i - 1) : 0.0) &&
                         diff(i) > 10 * (i + 2 < n ? diff(i + 1) : 0.0);
    if (by_ratio || by_size) (change(i) < 0 ? f.down_jumps : f.up_jumps).push_back(i);
  }
  for (std::size_t i : f.down_jumps) f.down_jump_steps.push_back(d.step(i + 1));
  for (std::size_t i : f.up_jumps) f.up_jump_steps.push_back(d.step(i + 1));
  if (!f.down_jumps.empty()) {
    double acc = 0;
    for (std::size_t i : f.down_jumps) acc += change(i);
    f.jump_ratio_mean_down = std::exp(acc / static_cast<double>(f.down_jumps.size()));
  }
  const double floor_level = late_floor + 1e-4 * (peak - late_floor);
  for (std::size_t i = f.i_peak; i < n && f.s_floor < 0; ++i)
    if (d.y[i] <= floor_level) f.s_floor = d.step(i);
  return f;
}

void check_same_features(const detail::lr_features& a, const detail::lr_features& b) {
  CHECK(a.i_peak == b.i_peak);
  CHECK(a.rises_at_start == b.rises_at_start);
  CHECK(a.s_half == b.s_half);
  CHECK(a.down_jumps == b.down_jumps);
  CHECK(a.up_jumps == b.up_jumps);
  CHECK(a.down_jump_steps == b.down_jump_steps);
  CHECK(a.up_jump_steps == b.up_jump_steps);
  CHECK(a.jump_ratio_mean_down == b.jump_ratio_mean_down);
  CHECK(a.rises_again == b.rises_again);
  CHECK(a.s_trough == b.s_trough);
  CHECK(a.s_second_peak == b.s_second_peak);
  CHECK(a.s_leave == b.s_leave);
  CHECK(a.plateau_samples == b.plateau_samples);
  CHECK(a.s_floor == b.s_floor);
}

// The kink candidates of pick_fit_points by their definition: every sample tested on its own.
std::vector<std::size_t> fit_points_by_definition(std::span<const double> y, std::size_t target) {
  const std::size_t n = y.size();
  std::vector<std::size_t> idx;
  if (n <= target) {
    for (std::size_t i = 0; i < n; ++i) idx.push_back(i);
    return idx;
  }
  const std::size_t uniform = target / 2, logspaced = target / 4, kinks = target / 12;
  for (std::size_t k = 0; k < uniform; ++k) idx.push_back(k * (n - 1) / (uniform - 1));
  for (std::size_t k = 0; k < logspaced; ++k) {
    const double x = std::exp(std::log(static_cast<double>(n)) * static_cast<double>(k) / static_cast<double>(logspaced));
    idx.push_back(std::min(n - 1, static_cast<std::size_t>(x) - 1));
  }
  auto d2 = [&y](std::size_t i) { return std::abs(y[i - 1] - 2 * y[i] + y[i + 1]); };
  std::vector<double> probe;
  const std::size_t step = std::max<std::size_t>(1, n / 65536);
  for (std::size_t i = 1; i + 1 < n; i += step) probe.push_back(d2(i));
  const std::size_t q = std::min(probe.size() - 1, 8 * kinks * probe.size() / n + 1);
  std::nth_element(probe.begin(), probe.begin() + static_cast<std::ptrdiff_t>(probe.size() - 1 - q), probe.end());
  const double cut = probe[probe.size() - 1 - q];
  std::vector<std::pair<double, std::size_t>> score;
  for (std::size_t i = 1; i + 1 < n; ++i)
    if (d2(i) >= cut && d2(i) > 0) score.emplace_back(d2(i), i);
  const std::size_t keep = std::min(kinks, score.size());
  std::nth_element(score.begin(), score.begin() + static_cast<std::ptrdiff_t>(keep), score.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (std::size_t k = 0; k < keep; ++k) {
    if (score[k].first <= 0) continue;
    for (std::size_t j = (score[k].second >= 2 ? score[k].second - 2 : 0); j <= std::min(n - 1, score[k].second + 2); ++j)
      idx.push_back(j);
  }
  std::sort(idx.begin(), idx.end());
  idx.erase(std::unique(idx.begin(), idx.end()), idx.end());
  return idx;
}

}  // namespace

TEST_CASE("fit points, shape features and full-sample sums are their one-sample-at-a-time definitions, bit for bit") {
  // Curves with kinks, jumps, plateaus and second rises, at lengths that leave partial blocks, with noise that
  // puts candidates at any position within a block of 8, under each way a log stores its values.
  std::vector<std::pair<std::string, schedule_model>> shapes;
  shapes.emplace_back("cosine", cosine(3e-4, 3e-5, 500, 20000));
  shapes.emplace_back("cosine to zero", cosine(1e-3, 0, 37, 9001));
  shapes.emplace_back("step", step_schedule{0.1, {}, 777, 0.1});
  shapes.emplace_back("restarts", cosine_restarts_schedule{1e-3, 1e-5, {100, warmup_kind::linear, 0}, 1500, 2});
  shapes.emplace_back("cyclic", cyclic_schedule{1e-4, 1e-3, 900, 1300, cyclic_mode::triangular, 1});
  wsd_schedule wsd;
  wsd.peak_lr = 2e-3, wsd.min_lr = 2e-5, wsd.warmup_steps = 300, wsd.stable_steps = 6000, wsd.decay_steps = 3000;
  shapes.emplace_back("wsd", wsd);
  std::uint64_t state = 12345;
  auto uniform = [&state] {  // xorshift: the same noise on every platform
    state ^= state << 13, state ^= state >> 7, state ^= state << 17;
    return static_cast<double>(state >> 11) * 0x1p-53;
  };
  int curves = 0;
  for (const auto& shape : shapes)
    for (std::int64_t last : {9, 63, 4097, 20011})
      for (int variant = 0; variant < 7; ++variant) {
        // 0 doubles, 1 float32, 2 irregular steps with noise, 3 every third step, 4 "%.4g", 5 "%.7f",
        // 6 NaN and infinities among the values (the passes must fall back, not skip them)
        const std::string& name = shape.first;  // not a structured binding: clang 14 cannot capture one in INFO
        const schedule_model& model = shape.second;
        auto log = make_log(model, {1, last, variant == 3 ? 3 : 1, variant == 2, variant == 1, 0});
        char text[64];
        for (std::size_t i = 0; i < log.lr.size(); ++i) {
          double& v = log.lr[i];
          if (variant == 2) v *= 1 + 1e-3 * (uniform() - 0.5);  // noise: flags flip anywhere in a block
          if (variant == 4 || variant == 5) {
            std::snprintf(text, sizeof text, variant == 4 ? "%.4g" : "%.7f", v);
            v = std::strtod(text, nullptr);
          }
          if (variant == 6 && i % 997 == 500) v = i % 2 ? std::numeric_limits<double>::infinity() : std::nan("");
        }
        if (log.lr.size() < 2) continue;
        INFO(name, ", ", log.lr.size(), " samples, variant ", variant);
        ++curves;
        double peak = 0;
        for (double v : log.lr)
          if (std::isfinite(v)) peak = std::max(peak, v);
        const auto prec = detail::detect_precision(log.lr, 1e-9);
        const auto d = detail::weigh(log.steps, log.lr, prec, peak, log.lr.size());
        for (std::size_t target : {std::size_t{48}, std::size_t{480}})
          CHECK(detail::pick_fit_points(d.y, target) == fit_points_by_definition(d.y, target));
        // Shape features (blocks of 8 tested at once) on the usable samples, as the fit reads them.
        std::size_t usable = 0;
        double lowest = std::numeric_limits<double>::infinity();
        for (double v : log.lr)
          if (std::isfinite(v) && v >= 0) ++usable, lowest = std::min(lowest, v);
        const auto u = detail::weigh(log.steps, log.lr, prec, peak, usable);
        check_same_features(detail::extract_features(u, peak, lowest), features_by_definition(u, peak, lowest));
        // Weights and rounding intervals computed per block against d.weight(i) and d.half(i) per sample.
        const schedule_model near = model;
        const double denom_floor = std::max(1e-3 * peak, 100 * prec.absolute);
        detail::check_job job{&near, 1.0, 4, {}};
        detail::check_all(std::span<detail::check_job>(&job, 1), d, denom_floor);
        double chi2 = 0, max_relative = 0, sum_squared_relative = 0;
        for (std::size_t i = 0; i < d.size(); ++i) {
          const double e = std::visit([&](const auto& m) { return detail::lr_full_pass(m, d.step(i) - 1.0); }, near) - d.y[i];
          const double beyond = std::max(0.0, std::abs(e) - d.half(i));
          chi2 += d.weight(i) * beyond * beyond;
          const double rel = std::abs(e) * (1.0 / std::max(d.y[i], denom_floor));
          max_relative = std::max(max_relative, rel);
          sum_squared_relative += rel * rel;
        }
        auto same = [](double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); };  // NaN in, NaN out
        CHECK(same(job.r.chi2, chi2));
        CHECK(same(job.r.max_relative, max_relative));
        CHECK(same(job.r.sum_squared_relative, sum_squared_relative));
      }
  CHECK(curves >= 160);
}

// Screening fits each family on about 48 points before pass 1, and pass 1 then fits only the families not far
// behind, those containing one, and the best three. That must not change the result: the same winner with the
// same parameters and BIC as fitting every family; the note's next family may differ only when every other family
// is thousands of BIC behind (which of two wrong shapes is "next" is then a toss-up).
TEST_CASE("screening families on a few points first gives the result of fitting every family") {
  const auto [ds, nano, wsd] = schedules_real_logs_mix_up();
  // Two random logs where dropping conventions one by one lost the better fit: a wsd whose floor is 0, so that
  // warming up from min_lr or from 0 is the same curve; a single step down after a warmup (a wsd with a one-step
  // decay describes it with fewer parameters).
  wsd_schedule from_zero{0.0026309206099497948, 0, 2310, 15696, 5328};
  from_zero.decay_shape = anneal_shape::linear, from_zero.warmup_from_min = false;
  const multistep_schedule one_step{0.001119771492849129, {319, warmup_kind::linear, 0}, {1603, 3493},
                                    0.49308416075785821};
  const std::pair<schedule_model, sampling> logs[] = {
      {from_zero, {0, 22032, 15, false, false, 0}},
      {one_step, {0, 3400, 1, false, false, -1}},
      {cosine(6e-4, 6e-5, 700, 20000), {0, 20000, 1, false, true, 0}},  // the seed's shape
      {nano, {0, 8500, 1, false, true, -1}},  // wsd without a stable phase contains it: the note names wsd
      {ds, {1, 11760, 1, false, true, 1}},
      {warmup_linear_schedule{5e-5, 0, {300, warmup_kind::linear, 0}, 6000}, {0, 6000, 9, true, false, -1}},
      {wsd, {0, 6500, 1, false, false, 0}},
      {one_cycle_schedule::pytorch(0.01, 5000, 0.25, anneal_shape::linear, 10, 100, true),
       {0, 5100, 5, false, true, 0}},
      {cyclic_schedule{1e-4, 1e-3, 300, 700, cyclic_mode::exp_range, 0.9995}, {0, 4000, 2, false, true, 0}},
      {cosine_restarts_schedule{5e-4, 0, {100, warmup_kind::linear, 0}, 1200, 1}, {0, 4900, 2, false, false, 0}},
      {inverse_sqrt_schedule{5e-4, {4000, warmup_kind::linear, 0}, 4000}, {0, 50000, 50, false, true, 0}},
  };
  reconstruct_options every_family;
  every_family.screen_points = 0;
  for (const auto& [model, s] : logs) {
    const auto log = make_log(model, s);
    const auto screened = reconstruct_schedule(log.steps, log.lr);
    const auto all = reconstruct_schedule(log.steps, log.lr, every_family);
    REQUIRE(screened.has_value());
    REQUIRE(all.has_value());
    INFO(all->family, ": ", all->certainty_note, " / screened: ", screened->certainty_note);
    CHECK(screened->family == all->family);
    CHECK(screened->convention == all->convention);
    CHECK(screened->information_criterion == all->information_criterion);
    REQUIRE(screened->params.size() == all->params.size());
    for (std::size_t i = 0; i < all->params.size(); ++i) CHECK(screened->params[i].value == all->params[i].value);
    if (screened->certainty_note != all->certainty_note) {
      REQUIRE(!screened->alternatives.empty());
      REQUIRE(!all->alternatives.empty());
      CHECK(all->alternatives.front().second - all->information_criterion > 1000);
      CHECK(screened->alternatives.front().second - screened->information_criterion > 1000);
    }
  }
  // Polynomial decay contains the linear one (power 1): the note still says it fits no better with more parameters.
  const auto lin =
      make_log(warmup_linear_schedule{5e-5, 0, {300, warmup_kind::linear, 0}, 6000}, {0, 6000, 9, true, false, -1});
  const auto fit = reconstruct_schedule(lin.steps, lin.lr);
  REQUIRE(fit.has_value());
  CHECK(fit->family == "warmup_linear");
  CHECK(fit->certainty_note.find("warmup_polynomial fits no better with more parameters") != std::string::npos);
}

// A long log ranks only the best family on every sample, and a family whose fewest parameters put it 10 or more
// behind that family's full-sample BIC is not refined (the note names it with that bound). A family containing
// another (wsd, polynomial) is then fitted only when that bound does not rule it out. Same result as fitting every
// family, note included, whether the bound rules it out (exact logs), does not (noise), or the family wins.
TEST_CASE("on a long log, a family containing another is fitted only when its parameter count does not rule it out") {
  std::uint64_t state = 777;
  auto uniform = [&state] {
    state ^= state << 13, state ^= state >> 7, state ^= state << 17;
    return static_cast<double>(state >> 11) * 0x1p-53;
  };
  wsd_schedule stable_phase{1e-3, 1e-4, 300, 60000, 40000};
  struct long_log {
    std::string name;
    schedule_model model;
    sampling s;
    double noise;
  };
  // wsd with its floor fixed at 0 has as few parameters as a cosine with a floor: it is not ruled out then.
  const long_log logs[] = {
      {"the seed's shape to 0 (wsd ruled out)", cosine(6e-4, 0, 700, 150000), {0, 150000, 1, false, true, 0}, 0},
      {"the seed's shape (wsd fitted, cosine first)", cosine(6e-4, 6e-5, 700, 150000), {0, 150000, 1, false, true, 0}, 0},
      {"the seed's shape with noise (wsd fitted)", cosine(6e-4, 0, 700, 150000), {0, 150000, 1, false, false, 0}, 1e-5},
      {"wsd with a stable phase (wsd fitted, first)", stable_phase, {1, 120000, 1, false, false, 1}, 0},
      {"warmup_linear (polynomial and wsd ruled out)", warmup_linear_schedule{5e-5, 0, {300, warmup_kind::linear, 0}, 130000},
       {0, 130000, 1, false, false, -1}, 0},
  };
  reconstruct_options every_family;
  every_family.screen_points = 0;
  for (const auto& one : logs) {
    const std::string& name = one.name;  // not a structured binding: clang 14 cannot capture one in INFO
    auto log = make_log(one.model, one.s);
    for (double& v : log.lr) v *= 1 + one.noise * (uniform() - 0.5);
    const auto deferred = reconstruct_schedule(log.steps, log.lr);
    const auto all = reconstruct_schedule(log.steps, log.lr, every_family);
    REQUIRE(deferred.has_value());
    REQUIRE(all.has_value());
    INFO(name, ": ", all->family, ", ", all->certainty_note, " / deferred: ", deferred->family, ", ", deferred->certainty_note);
    CHECK(deferred->family == all->family);
    CHECK(deferred->convention == all->convention);
    CHECK(deferred->information_criterion == all->information_criterion);
    CHECK(deferred->certainty_note == all->certainty_note);
    REQUIRE(deferred->params.size() == all->params.size());
    for (std::size_t i = 0; i < all->params.size(); ++i) CHECK(deferred->params[i].value == all->params[i].value);
  }
}
