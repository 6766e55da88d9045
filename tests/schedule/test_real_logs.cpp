// Reconstruction on real training logs (see real-logs/SOURCES.md), read with tiny ad-hoc parsers
// (to be replaced by the library's readers once they are merged).
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "trainscope/schedule.hpp"

using namespace trainscope;

namespace {

struct lr_log {
  std::vector<std::int64_t> steps;
  std::vector<double> lr;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const std::string real = TRAINSCOPE_REAL_LOGS_DIR "/";

// llm.c main.log: "s:N trl:X lr:Y norm:Z" (val and eval lines have no lr).
lr_log read_llmc(const std::string& path) {
  lr_log out;
  std::istringstream in(slurp(path));
  std::string line;
  while (std::getline(in, line)) {
    long long s = 0;
    double loss = 0, lr = 0, norm = 0;
    if (std::sscanf(line.c_str(), "s:%lld trl:%lf lr:%lf norm:%lf", &s, &loss, &lr, &norm) == 4)
      out.steps.push_back(s), out.lr.push_back(lr);
  }
  return out;
}

// HF trainer_state.json: each log_history entry with "learning_rate" also has "step" (eval entries have no lr).
lr_log read_hf(const std::string& path) {
  lr_log out;
  const std::string t = slurp(path);
  std::size_t pos = 0;
  while ((pos = t.find("\"learning_rate\":", pos)) != std::string::npos) {
    const std::size_t open = t.rfind('{', pos), close = t.find('}', pos);
    const std::size_t sp = t.find("\"step\":", open);
    REQUIRE(sp < close);
    out.lr.push_back(std::stod(t.substr(pos + 16)));
    out.steps.push_back(std::stoll(t.substr(sp + 7)));
    pos = close;
  }
  return out;
}

// Lightning CSVLogger metrics.csv: rows with the first column (lr-SGD) filled; step is the second column.
lr_log read_lightning_lr(const std::string& path) {
  lr_log out;
  std::istringstream in(slurp(path));
  std::string line;
  std::getline(in, line);
  REQUIRE(line.rfind("lr-SGD,step,", 0) == 0);
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == ',') continue;
    const auto c = line.find(',');
    out.lr.push_back(std::stod(line.substr(0, c)));
    out.steps.push_back(std::stoll(line.substr(c + 1)));
  }
  return out;
}

/// A reported parameter, NaN when absent or null.
double param(const schedule_fit& f, const char* name) { return f.param(name).value_or(std::nan("")); }

bool have(const std::string& path) { return std::ifstream(path).good(); }

}  // namespace

TEST_CASE("llm.c GPT-2 124M main.log: linear warmup 700 to 6e-4, cosine to 0") {
  const std::string path = real + "text/llmc-gpt2-124m-fineweb10b-main.log";
  if (!have(path)) return;
  const auto log = read_llmc(path);
  REQUIRE(log.steps.size() == 19552);
  const auto fit = reconstruct_schedule(log.steps, log.lr);
  REQUIRE(fit.has_value());
  INFO(fit->convention, " / ", fit->certainty_note);
  CHECK(fit->family == "warmup_cosine");
  CHECK(std::abs(param(*fit, "warmup_steps") - 700) <= 1);
  CHECK(std::abs(param(*fit, "peak_lr") / 6e-4 - 1) < 1e-3);
  CHECK(param(*fit, "min_lr") < 1e-6);
  // The lr prints as 0.000000 from about step 19300 on: the end is the log's end, to 1%.
  CHECK(std::abs(param(*fit, "total_steps") / 19552 - 1) < 0.01);
  // llm.c's warmup is peak (step + 1) / W: the fit finds the logged lr is that of the next counter.
  CHECK(fit->step_offset == -1);
  CHECK(fit->convention.find("6 decimals") != std::string::npos);
  // Every value within its print rounding (0.5e-6) of the closed form.
  for (std::size_t i = 0; i < log.steps.size(); i += 97) CHECK(std::abs(fit->lr(log.steps[i]) - log.lr[i]) <= 0.6e-6);
}

TEST_CASE("whisper HF trainer_state: linear warmup 500 steps to 1e-5, then linear decay to 5000") {
  const std::string path = real + "hf-trainer-state/whisper-large-v2-ja-evalloss-rising.json";
  if (!have(path)) return;
  const auto log = read_hf(path);
  REQUIRE(log.steps.size() == 200);
  const auto fit = reconstruct_schedule(log.steps, log.lr);
  REQUIRE(fit.has_value());
  INFO(fit->convention, " / ", fit->certainty_note);
  CHECK(fit->family == "warmup_linear");
  CHECK(std::abs(param(*fit, "peak_lr") / 1e-5 - 1) < 0.01);
  // fp16 loss scaling skipped a few optimizer steps (4.6e-7 at step 25 is 23/500 of the peak), which the
  // scheduler did not count: the logged steps run 2 to 4 ahead of the scheduler, so the fit lands a few steps late.
  CHECK(std::abs(param(*fit, "warmup_steps") - 500) <= 8);
  CHECK(std::abs(param(*fit, "total_steps") / 5000 - 1) < 0.01);
  CHECK(param(*fit, "min_lr") < 1e-3 * 1e-5);  // decays to 0 (the skipped steps blur the very end)
}

TEST_CASE("TinyLlama TRL trainer_state: warmup to 1e-5 near step 60, cosine to about 0 at max_steps 2808") {
  const std::string path = real + "hf-trainer-state/tinyllama-lora-sft-trl.json";
  if (!have(path)) return;
  const auto log = read_hf(path);
  REQUIRE(log.steps.size() == 186);
  const auto fit = reconstruct_schedule(log.steps, log.lr);
  REQUIRE(fit.has_value());
  INFO(fit->convention, " / ", fit->certainty_note);
  CHECK(fit->family == "warmup_cosine");
  CHECK(std::abs(param(*fit, "peak_lr") / 1e-5 - 1) < 1e-3);
  // 2.456e-6 at logged step 15 is 14/57 of the peak: warmup_ratio 0.02 of 2808 rounded up to 57 steps,
  // and logged step = counter + 1.
  CHECK(std::abs(param(*fit, "warmup_steps") - 57) <= 1);
  CHECK(fit->step_offset == 1);
  CHECK(std::abs(param(*fit, "total_steps") / 2808 - 1) < 0.01);
  CHECK(fit->max_relative_error < 0.01);
}

TEST_CASE("Lightning CIFAR metrics.csv: OneCycleLR to 0.1 (column lr-SGD, every 50 steps)") {
  const std::string path = real + "csv/lightning-resnet18-cifar10-onecycle-metrics.csv";
  if (!have(path)) return;
  const auto log = read_lightning_lr(path);
  REQUIRE(log.steps.size() == 55);
  const auto fit = reconstruct_schedule(log.steps, log.lr);
  REQUIRE(fit.has_value());
  INFO(fit->convention, " / ", fit->certainty_note);
  CHECK(fit->family == "one_cycle");
  CHECK(std::abs(param(*fit, "peak_lr") / 0.1 - 1) < 1e-3);
  CHECK(param(*fit, "pct_start") == doctest::Approx(0.3).epsilon(0.01));
  CHECK(param(*fit, "div_factor") == doctest::Approx(25).epsilon(0.01));  // PyTorch's default: starts at 0.004
  CHECK(param(*fit, "three_phase") == 0);
  // The epoch rows end at steps 78, 157, ..., 2764: 79 steps per epoch for 35 epochs, so OneCycleLR was given
  // total_steps = 35 * 79 = 2765; the log's lr stops at 2749, yet the fit places the end there exactly.
  CHECK(param(*fit, "total_steps") == 2765);
  CHECK(fit->max_relative_error < 1e-6);
}

TEST_CASE("multi-evalset HF trainer_state: constant 1e-5, one lr per epoch") {
  const std::string path = real + "hf-trainer-state/multi-evalset-constant-lr-overfit.json";
  if (!have(path)) return;
  const auto log = read_hf(path);
  REQUIRE(log.steps.size() == 30);
  const auto fit = reconstruct_schedule(log.steps, log.lr);
  REQUIRE(fit.has_value());
  CHECK(fit->family == "constant");
  CHECK(param(*fit, "peak_lr") == doctest::Approx(1e-5));
  CHECK_FALSE(fit->param("total_steps").has_value());
  CHECK(fit->max_relative_error == 0.0);
}

TEST_CASE("a config that names the schedule, and whether the log agrees with it") {
  // The bundled sample run's config (DeepSpeed names).
  const std::vector<std::pair<std::string, std::string>> config{
      {"lr_schedule", "WarmupCosineLR"}, {"warmup_num_steps", "500"}, {"total_num_steps", "11763"},
      {"cos_min_ratio", "0.0"}, {"lr", "3e-4"}};
  const auto cs = schedule_from_config(config);
  REQUIRE(cs.has_value());
  CHECK(family_name(cs->model) == "warmup_log_cosine");
  CHECK(cs->peak_known);
  const auto& m = std::get<warmup_cosine_schedule>(cs->model);
  CHECK(m.total_steps == 11763);
  CHECK(m.end_offset == 1);
  std::vector<std::int64_t> steps;
  std::vector<double> lr;
  for (std::int64_t s = 1; s <= 11760; ++s) steps.push_back(s), lr.push_back(static_cast<float>(m.lr(static_cast<double>(s - 1))));
  const auto ok = compare_schedule(*cs, steps, lr);
  CHECK(ok.agrees);
  CHECK(ok.step_offset == 1);
  CHECK(ok.max_relative_error < 1e-6);

  auto wrong = config;
  wrong[2].second = "20000";
  const auto bad = compare_schedule(*schedule_from_config(wrong), steps, lr);
  CHECK_FALSE(bad.agrees);
  CHECK(bad.max_relative_error > 0.1);

  // HF names, no learning rate given: the peak is fitted as a scale; compared against TinyLlama's real log.
  const std::string path = real + "hf-trainer-state/tinyllama-lora-sft-trl.json";
  if (!have(path)) return;
  const auto hf = schedule_from_config(
      {{"lr_scheduler_type", "cosine"}, {"warmup_ratio", "0.02"}, {"max_steps", "2808"}});
  REQUIRE(hf.has_value());
  CHECK_FALSE(hf->peak_known);
  const auto log = read_hf(path);
  const auto agreement = compare_schedule(*hf, log.steps, log.lr);
  INFO("max rel ", agreement.max_relative_error, " offset ", agreement.step_offset);
  CHECK(agreement.agrees);
  CHECK(agreement.scale == doctest::Approx(1e-5).epsilon(1e-3));
  CHECK_FALSE(schedule_from_config({{"optimizer", "adamw"}}).has_value());

  // DeepSpeed OneCycle by its own keys (nested ds_config names match on their last component).
  const auto oc = schedule_from_config({{"scheduler.type", "OneCycle"}, {"scheduler.params.cycle_min_lr", "1e-4"},
                                        {"scheduler.params.cycle_max_lr", "1e-3"},
                                        {"scheduler.params.cycle_first_step_size", "1000"}});
  REQUIRE(oc.has_value());
  CHECK(family_name(oc->model) == "one_cycle");
  CHECK(lr_at(oc->model, 500) == doctest::Approx(5.5e-4));   // half-way up the first 1000 steps
  CHECK(lr_at(oc->model, 1500) == doctest::Approx(5.5e-4));  // second step size defaults to the first
}
