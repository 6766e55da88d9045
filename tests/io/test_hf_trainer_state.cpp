#include <doctest/doctest.h>

#include <cmath>

#include "io/reader_fixtures.hpp"
#include "trainscope/io/hf_trainer_state.hpp"

using namespace trainscope;
using fixtures::extra;

namespace {
result<run> read_hf_file(const std::string& path, const io::read_options& o = {}) {
  auto in = fixtures::load(path);
  return io::read_hf_trainer_state(in, path, o);
}
result<run> read_hf_text(std::string_view text, const io::read_options& o = {}) {
  return io::read_hf_trainer_state(io::detail::make_padded(text), "trainer_state.json", o);
}
bool non_decreasing(const std::vector<double>& v) {
  for (std::size_t i = 1; i < v.size(); ++i)
    if (v[i] < v[i - 1]) return false;
  return true;
}
}  // namespace

TEST_CASE("hf: whisper — 200 train entries, 5 rising evals, the summary is not a series") {
  const auto path = fixtures::real_log("hf-trainer-state/whisper-large-v2-ja-evalloss-rising.json");
  REQUIRE_REAL_LOG(path);
  auto r = read_hf_file(path);
  REQUIRE(r.has_value());
  CHECK(r->source.format == "hf_trainer_state");
  REQUIRE(r->train_loss.size() == 200);
  CHECK(r->train_loss.steps.front() == 25);
  CHECK(r->train_loss.steps.back() == 5000);
  CHECK(r->train_loss.values.back() == doctest::Approx(0.0002));
  REQUIRE(r->val_loss.size() == 5);
  CHECK(r->val_loss.steps == std::vector<std::int64_t>{1000, 2000, 3000, 4000, 5000});
  CHECK(non_decreasing(r->val_loss.values));
  CHECK(r->val_loss.values.front() == doctest::Approx(0.321).epsilon(0.001));
  CHECK(r->val_loss.values.back() == doctest::Approx(0.420).epsilon(0.001));
  CHECK(r->val_loss_key == "val_loss");
  // the summary's train_loss (0.0189) is a run average: not in train_loss, nor a checkpoint loss
  CHECK(r->checkpoint_train_loss.empty());
  CHECK_FALSE(r->train_loss.at(5000) == doctest::Approx(0.01890342615880072));
  bool summary_has_train_loss = false;
  for (const auto& [k, v] : r->summary) summary_has_train_loss |= k == "train_loss" && v.starts_with("0.0189034");
  CHECK(summary_has_train_loss);
  // top-level fields are config text
  REQUIRE(r->config_value("best_model_checkpoint") != nullptr);
  CHECK(r->config_value("best_model_checkpoint")->ends_with("checkpoint-3000"));
  REQUIRE(r->config_value("max_steps") != nullptr);
  CHECK(*r->config_value("max_steps") == "5000");
  CHECK(r->config_value("log_history") == nullptr);
  // older transformers: no grad_norm; eval_wer kept as a metric
  CHECK(r->grad_norm.empty());
  REQUIRE(extra(*r, "eval_wer") != nullptr);
  CHECK(extra(*r, "eval_wer")->size() == 5);
  // linear warmup over 500 steps, then linear decay: the largest logged lr is the first
  // one logged after the warmup ends (HF logs the lr of the next update)
  CHECK(fixtures::argmax_step(r->lr) == 525);
  CHECK(r->lr.values[fixtures::argmax_step(r->lr) / 25 - 1] == doctest::Approx(1e-5).epsilon(0.01));
  CHECK(r->diagnostics.repeated_steps == 0);
}

TEST_CASE("hf: multi-evalset — six named sets of 31 points, g0 primary, no plain eval_loss") {
  const auto path = fixtures::real_log("hf-trainer-state/multi-evalset-constant-lr-overfit.json");
  REQUIRE_REAL_LOG(path);
  auto r = read_hf_file(path);
  REQUIRE(r.has_value());
  REQUIRE(r->named_val_loss.size() == 6);
  for (std::size_t i = 0; i < 6; ++i) {
    CHECK(r->named_val_loss[i].name == "g" + std::to_string(i));
    CHECK(r->named_val_loss[i].size() == 31);
    CHECK(r->named_val_loss[i].steps.front() == 0);  // the step-0 eval before training
  }
  CHECK(r->val_loss_key == "eval_g0_loss");
  CHECK(r->val_loss.values == r->named_val_loss[0].values);
  // g0 bottoms at 1.11 at step 401, then climbs
  CHECK(fixtures::argmin_step(r->val_loss) == 401);
  CHECK(*r->val_loss.at(401) == doctest::Approx(1.11).epsilon(0.01));
  CHECK(r->val_loss.values.back() > 2.5);
  REQUIRE(r->train_loss.size() == 30);
  CHECK(r->train_loss.steps.front() == 401);
  CHECK(r->train_loss.steps.back() == 12030);
  CHECK(r->train_loss.values.back() == doctest::Approx(0.055).epsilon(0.01));
  // constant lr 1e-5, grad_norm logged
  for (double lr : r->lr.values) CHECK(lr == doctest::Approx(1e-5));
  CHECK(r->grad_norm.size() == 30);
  CHECK(r->diagnostics.repeated_steps == 0);
  CHECK(r->diagnostics.restarts == 0);
}

TEST_CASE("hf: tinyllama TRL — 14 evals falling 1.622 -> 1.122, grad_norm, TRL extras") {
  const auto path = fixtures::real_log("hf-trainer-state/tinyllama-lora-sft-trl.json");
  REQUIRE_REAL_LOG(path);
  auto r = read_hf_file(path);
  REQUIRE(r.has_value());
  REQUIRE(r->val_loss.size() == 14);
  CHECK(r->val_loss.steps.front() == 200);
  CHECK(r->val_loss.steps.back() == 2800);
  for (std::size_t i = 1; i < r->val_loss.size(); ++i) CHECK(r->val_loss.values[i] < r->val_loss.values[i - 1]);
  CHECK(r->val_loss.values.front() == doctest::Approx(1.622).epsilon(0.001));
  CHECK(r->val_loss.values.back() == doctest::Approx(1.122).epsilon(0.001));
  CHECK(r->train_loss.size() == 186);
  CHECK(r->train_loss.values.front() == doctest::Approx(2.0762));
  CHECK(r->grad_norm.size() == 186);
  CHECK(fixtures::argmax_step(r->lr) == 60);  // warmup to 1e-5 at step 60
  REQUIRE(extra(*r, "mean_token_accuracy") != nullptr);
  REQUIRE(r->config_value("eval_steps") != nullptr);
  CHECK(*r->config_value("eval_steps") == "200");
  REQUIRE(r->config_value("best_global_step") != nullptr);
}

TEST_CASE("hf: bare NaN / Infinity written by Python are non-finite values") {
  auto r = read_hf_text(R"({"log_history": [
    {"loss": 2.5, "step": 1, "learning_rate": 1e-4},
    {"loss": NaN, "step": 2, "learning_rate": 1e-4, "grad_norm": Infinity},
    {"eval_loss": -Infinity, "step": 2},
    {"loss": "NaN", "note": "text with NaN inside", "step": 3}
  ], "max_steps": 3})");
  REQUIRE(r.has_value());
  REQUIRE(r->train_loss.size() == 3);
  CHECK(std::isnan(r->train_loss.values[1]));
  CHECK(std::isnan(r->train_loss.values[2]));
  CHECK(std::isinf(r->grad_norm.values[0]));
  CHECK(r->val_loss.values[0] < 0);
  CHECK(r->diagnostics.non_finite_values == 4);
  CHECK(r->diagnostics.skipped_values == 0);
}

TEST_CASE("hf: not a trainer state") {
  auto a = read_hf_text("[1, 2, 3]");
  REQUIRE_FALSE(a.has_value());
  CHECK(a.error().code == errc::malformed);
  auto b = read_hf_text(R"({"epoch": 3})");
  REQUIRE_FALSE(b.has_value());
  CHECK(b.error().code == errc::malformed);
  CHECK(b.error().field == "log_history");
  auto c = read_hf_text(R"({"log_history": []})");
  REQUIRE_FALSE(c.has_value());
  CHECK(c.error().code == errc::no_usable_data);
  auto d = read_hf_text("");
  REQUIRE_FALSE(d.has_value());
  CHECK(d.error().code == errc::empty_input);
}

TEST_CASE("hf: a string loss is a skipped value, or an error under the fail policy") {
  const std::string text = R"({"log_history": [{"loss": 1.5, "step": 1}, {"loss": "high", "step": 2}, {"loss": 1.2, "step": 3}]})";
  auto r = read_hf_text(text);
  REQUIRE(r.has_value());
  CHECK(r->train_loss.size() == 2);
  CHECK(r->diagnostics.skipped_values == 1);
  REQUIRE(r->diagnostics.issues.size() == 1);
  CHECK(r->diagnostics.issues[0].line == 2);  // log_history entry index
  CHECK(r->diagnostics.issues[0].field == "loss");
  io::read_options fail;
  fail.on_bad_record = io::bad_record_policy::fail;
  auto f = read_hf_text(text, fail);
  REQUIRE_FALSE(f.has_value());
  CHECK(f.error().line == 2);
}
