// What ../shared/real-logs/SOURCES.md says each real log shows, asserted through the public path a user takes:
// read_log (format detected by content) -> analyze (diagnosis + schedule reconstruction).
#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "trainscope/io.hpp"
#include "trainscope/report/analysis.hpp"

using namespace trainscope;

namespace {

bool have_real_logs() { return std::filesystem::is_directory(TRAINSCOPE_REAL_LOGS_DIR); }

report::analysis analyze_real(const std::string& relative, const std::string& expected_format) {
  auto r = io::read_log(std::string(TRAINSCOPE_REAL_LOGS_DIR) + "/" + relative);
  REQUIRE_MESSAGE(r, relative);
  CHECK(r->source.format == expected_format);
  return report::analyze(*r);
}

bool has_finding(const report::analysis& a, std::string_view kind) {
  for (const auto& f : a.diagnosis.findings)
    if (f.kind == kind) return true;
  return false;
}

// A healthy run raises no alarm: no overfitting, memorization or divergence verdict or finding.
void check_no_alarm(const report::analysis& a) {
  const auto v = a.diagnosis.verdict;
  CHECK(v != verdict::overfitting);
  CHECK(v != verdict::memorization);
  CHECK(v != verdict::diverged);
  CHECK_FALSE(has_finding(a, "overfitting"));
  CHECK_FALSE(has_finding(a, "divergence"));
}

double param(const report::analysis& a, std::string_view name) {
  REQUIRE(a.schedule.fitted);
  auto v = a.schedule.fitted->param(name);
  REQUIRE_MESSAGE(v, name);
  return *v;
}

}  // namespace

TEST_CASE("real logs: overfitting runs are found with a sensible onset") {
  if (!have_real_logs()) {
    MESSAGE("real logs not found: skipped");
    return;
  }
  SUBCASE("whisper: eval loss rises at every evaluation while train loss nears zero; linear warmup then decay") {
    auto a = analyze_real("hf-trainer-state/whisper-large-v2-ja-evalloss-rising.json", "hf_trainer_state");
    CHECK(a.diagnosis.verdict == verdict::overfitting);
    CHECK(a.diagnosis.best_step == 1000);
    CHECK(a.diagnosis.overfit_onset_step == 1000);
    CHECK(a.checkpoints.size() == 5);
    CHECK(a.schedule.fitted->family == "warmup_linear");
    CHECK(param(a, "peak_lr") == doctest::Approx(1e-5).epsilon(0.01));
    // fp16 loss-scale skips make the logged counter lag by a few steps, so the warmup is within 2 %
    CHECK(param(a, "warmup_steps") == doctest::Approx(500).epsilon(0.02));
    CHECK(param(a, "total_steps") == doctest::Approx(5000).epsilon(0.01));
  }
  SUBCASE("keras irfanet, CSV and TensorBoard alike: lowest validation loss at epoch 15") {
    for (const auto& file_format : {std::pair{"csv/keras-irfanet-csvlogger-55ep.log", "csv"},
                                    std::pair{"tfevents/keras-tf1-irfanet-overfit-with-graph.tfevents", "tfevents"}}) {
      const char* file = file_format.first;  // a plain variable: clang 14 cannot capture structured bindings
      CAPTURE(file);
      auto a = analyze_real(file, file_format.second);
      CHECK((a.diagnosis.verdict == verdict::overfitting || a.diagnosis.verdict == verdict::memorization));
      CHECK(a.diagnosis.best_step == 15);
      REQUIRE(a.diagnosis.overfit_onset_step);
      CHECK(*a.diagnosis.overfit_onset_step >= 11);
      CHECK(*a.diagnosis.overfit_onset_step <= 17);
    }
  }
  SUBCASE("keras speaker250: overfitting from the first epoch") {
    auto a = analyze_real("csv/keras-speaker250-csvlogger-overfit.log", "csv");
    CHECK(a.diagnosis.verdict == verdict::overfitting);
    CHECK(a.diagnosis.best_step == 0);
    REQUIRE(a.diagnosis.overfit_onset_step);
    CHECK(*a.diagnosis.overfit_onset_step <= 2);
  }
  SUBCASE("multi eval sets, no plain eval_loss: the first named set decides, the others are reported") {
    auto a = analyze_real("hf-trainer-state/multi-evalset-constant-lr-overfit.json", "hf_trainer_state");
    CHECK(a.val_key == "eval_g0_loss");
    CHECK(a.other_val.size() == 5);
    CHECK(a.diagnosis.verdict == verdict::overfitting);
    CHECK(a.diagnosis.best_step == 401);
    CHECK(a.diagnosis.overfit_onset_step == 401);
    CHECK(a.schedule.fitted->family == "constant");
    CHECK(param(a, "peak_lr") == doctest::Approx(1e-5).epsilon(0.001));
  }
}

TEST_CASE("real logs: healthy runs get no alarm, and their schedules are recovered") {
  if (!have_real_logs()) {
    MESSAGE("real logs not found: skipped");
    return;
  }
  SUBCASE("TinyLlama LoRA: eval loss falls monotonically; warmup to 1e-5 at step 60 then cosine") {
    auto a = analyze_real("hf-trainer-state/tinyllama-lora-sft-trl.json", "hf_trainer_state");
    check_no_alarm(a);
    CHECK(a.checkpoints.size() == 14);
    CHECK(a.schedule.fitted->family == "warmup_cosine");
    CHECK(param(a, "peak_lr") == doctest::Approx(1e-5).epsilon(0.01));
    CHECK(param(a, "warmup_steps") == doctest::Approx(60).epsilon(0.07));
  }
  SUBCASE("llm.c GPT-2 124M: val loss falls to 3.27; warmup 700 to 6e-4 then cosine; a grad-norm spike at 8715") {
    auto a = analyze_real("text/llmc-gpt2-124m-fineweb10b-main.log", "llmc_text");
    check_no_alarm(a);
    CHECK(a.diagnosis.spike_steps.empty());  // no loss spikes
    bool spike_8715 = false;
    for (const auto& f : a.diagnosis.findings) spike_8715 |= f.kind == "grad_norm_spike" && f.step == 8715;
    CHECK(spike_8715);
    CHECK(a.schedule.fitted->family == "warmup_cosine");
    CHECK(param(a, "peak_lr") == doctest::Approx(6e-4).epsilon(0.001));
    CHECK(std::abs(param(a, "warmup_steps") - 700) <= 1);
  }
  SUBCASE("Lightning ResNet18 CIFAR10: OneCycle peaking at 0.09997 near step 849") {
    auto a = analyze_real("csv/lightning-resnet18-cifar10-onecycle-metrics.csv", "csv");
    CHECK(a.diagnosis.verdict != verdict::diverged);
    CHECK(a.schedule.fitted->family == "one_cycle");
    CHECK(param(a, "peak_lr") == doctest::Approx(0.1).epsilon(0.001));
  }
  SUBCASE("NMT and LoRA MedQA JSONL: improving runs with too few evaluations for a verdict, and no alarm") {
    for (const char* f : {"jsonl/nmt-transformer-step-and-epoch.jsonl", "jsonl/lora-medqa-hf-callback-metrics.jsonl"}) {
      CAPTURE(f);
      auto a = analyze_real(f, "jsonl");
      check_no_alarm(a);
      CHECK(a.diagnosis.verdict == verdict::insufficient_data);
    }
  }
  SUBCASE("Lightning CIFAR10 TensorBoard: healthy, widening gap") {
    auto a = analyze_real("tfevents/lightning-cifar10-onecycle-lr-sgd.tfevents", "tfevents");
    check_no_alarm(a);
  }
  SUBCASE("YOLO results.csv: all losses fall") {
    auto a = analyze_real("csv/yolo11-seg-gallstone-results.csv", "csv");
    check_no_alarm(a);
  }
}

TEST_CASE("real logs: edge cases") {
  if (!have_real_logs()) {
    MESSAGE("real logs not found: skipped");
    return;
  }
  SUBCASE("llm.c NaN run: diverged from step 1, cut off mid-line, still a run that was read") {
    auto a = analyze_real("text/llmc-gpt2-124m-stdout-nan-from-step1.log", "llmc_text");
    CHECK(a.diagnosis.verdict == verdict::diverged);
    CHECK(a.diagnosis.divergence_step == 1);
    CHECK(a.diagnostics.truncated_last_line);
  }
  SUBCASE("DETR: two runs appended; the later one is analysed and the restart reported") {
    auto a = analyze_real("jsonl/detr-r50-custom-epoch-log.jsonl", "jsonl");
    CHECK(a.diagnostics.restarts == 1);
    CHECK(a.checkpoints.size() == 51);
    CHECK(a.diagnosis.verdict != verdict::diverged);
    CHECK(a.schedule.fitted->family == "constant");
    CHECK(param(a, "peak_lr") == doctest::Approx(1e-4).epsilon(0.001));
  }
  SUBCASE("Fashion-MNIST: validation flat after its minimum near step 17249") {
    auto a = analyze_real("tfevents/lightning-fashionmnist-35ep-plateau.tfevents", "tfevents");
    CHECK((a.diagnosis.verdict == verdict::plateau || a.diagnosis.verdict == verdict::overfitting));
    CHECK(a.diagnosis.best_step == 17249);
  }
}
