#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include "io/reader_fixtures.hpp"
#include "trainscope/io/text_log.hpp"

using namespace trainscope;
using fixtures::extra;

namespace {
result<run> read_text_file(const std::string& path, const io::read_options& o = {}) {
  auto in = fixtures::load(path);
  return io::read_text_log(in, path, o);
}
result<run> read_text(std::string_view text, const io::read_options& o = {}) {
  return io::read_text_log(io::detail::make_padded(text), "train.log", o);
}
}  // namespace

TEST_CASE("text: llm.c main.log — 19552 train steps, 80 val points, the grad-norm spike at 8715") {
  const auto path = fixtures::real_log("text/llmc-gpt2-124m-fineweb10b-main.log");
  REQUIRE_REAL_LOG(path);
  auto r = read_text_file(path);
  REQUIRE(r.has_value());
  CHECK(r->source.format == "llmc_text");
  CHECK(r->train_loss.size() == 19552);
  CHECK(r->lr.size() == 19552);
  CHECK(r->grad_norm.size() == 19552);
  REQUIRE(r->val_loss.size() == 80);
  CHECK(r->val_loss.values.front() == doctest::Approx(11.01).epsilon(0.001));
  CHECK(r->val_loss.values.back() == doctest::Approx(3.27).epsilon(0.001));
  // never rises (the last three evaluations print the same 3.2731)
  for (std::size_t i = 1; i < r->val_loss.size(); ++i) CHECK(r->val_loss.values[i] <= r->val_loss.values[i - 1]);
  // the one isolated grad-norm spike, with a small loss blip
  CHECK(fixtures::argmax_step(r->grad_norm) < 100);  // the start of training has the largest norms
  std::int64_t spike_step = -1;
  double spike = 0;
  for (std::size_t i = 0; i < r->grad_norm.size(); ++i)
    if (r->grad_norm.steps[i] > 2000 && r->grad_norm.values[i] > spike) {
      spike = r->grad_norm.values[i];
      spike_step = r->grad_norm.steps[i];
    }
  CHECK(spike_step == 8715);
  CHECK(spike == doctest::Approx(4.29));
  CHECK(*r->train_loss.at(8715) == doctest::Approx(3.5416));
  // warmup to 6e-4 over 700 steps
  CHECK(*std::max_element(r->lr.values.begin(), r->lr.values.end()) == doctest::Approx(6e-4));
  // HellaSwag accuracy: 79 points, 0.244 -> 0.305
  const series* hs = extra(*r, "hellaswag");
  REQUIRE(hs != nullptr);
  CHECK(hs->size() == 79);
  CHECK(hs->values.back() == doctest::Approx(0.3054));
  CHECK(r->diagnostics.non_finite_values == 0);
  CHECK_FALSE(r->diagnostics.truncated_last_line);
}

TEST_CASE("text: llm.c stdout — 750 steps, 4 val points, the parameter table as config") {
  const auto path = fixtures::real_log("text/llmc-gpt2-124m-stdout-warmup.log");
  REQUIRE_REAL_LOG(path);
  auto r = read_text_file(path);
  REQUIRE(r.has_value());
  CHECK(r->train_loss.size() == 750);
  CHECK(r->train_loss.steps.front() == 1);
  CHECK(r->train_loss.steps.back() == 750);
  CHECK(r->grad_norm.size() == 750);
  REQUIRE(r->val_loss.size() == 4);
  CHECK(r->val_loss.steps == std::vector<std::int64_t>{0, 250, 500, 750});
  CHECK(r->val_loss.values[0] == doctest::Approx(11.008742));
  CHECK(r->val_loss.values[1] == doctest::Approx(6.208999));
  CHECK(r->val_loss.values[2] == doctest::Approx(5.421806));
  CHECK(r->val_loss.values[3] == doctest::Approx(4.723455));
  CHECK(r->lr.values.back() == doctest::Approx(6e-4));
  REQUIRE(r->config_value("warmup iterations") != nullptr);
  CHECK(*r->config_value("warmup iterations") == "700");
  CHECK(r->model.n_layer == 12);
  CHECK(r->model.n_head == 12);
  CHECK(r->model.n_embd == 768);
  CHECK(r->model.block_size == 1024);
  // the killed job's last line (CR-separated HellaSwag progress + slurmstepd) is not a step
  CHECK_FALSE(r->diagnostics.truncated_last_line);
  REQUIRE(extra(*r, "tokens_per_s") != nullptr);
}

TEST_CASE("text: llm.c stdout with nan from step 1 — non-finite values, a truncated last line") {
  const auto path = fixtures::real_log("text/llmc-gpt2-124m-stdout-nan-from-step1.log");
  REQUIRE_REAL_LOG(path);
  auto r = read_text_file(path);
  REQUIRE(r.has_value());
  CHECK(r->train_loss.size() == 902);
  CHECK(r->train_loss.steps.front() == 1);
  CHECK(std::all_of(r->train_loss.values.begin(), r->train_loss.values.end(), [](double v) { return std::isnan(v); }));
  CHECK(std::all_of(r->val_loss.values.begin(), r->val_loss.values.end(), [](double v) { return std::isnan(v); }));
  // the lr schedule is still printed: warmup to 6e-4
  CHECK(r->lr.size() == 901);
  CHECK(std::isfinite(r->lr.values.front()));
  CHECK(r->lr.values.back() == doctest::Approx(6e-4));
  CHECK(r->diagnostics.non_finite_values >= 902 + 901);
  CHECK(r->diagnostics.truncated_last_line);
  REQUIRE_FALSE(r->diagnostics.issues.empty());
  CHECK(r->diagnostics.issues.back().line > 900);
}

TEST_CASE("text: a resumed llm.c log repeats steps; later lines win") {
  auto r = read_text(
      "s:0 trl:11.0 lr:0.0001 norm:5\n"
      "s:1 trl:10.0 lr:0.0002 norm:4\n"
      "s:2 trl:9.0 lr:0.0003 norm:3\n"
      "s:3 trl:8.5 lr:0.0004 norm:3\n"
      "s:2 trl:9.1 lr:0.0003 norm:3\n"  // resumed from the step-2 checkpoint
      "s:3 trl:8.4 lr:0.0004 norm:3\n");
  REQUIRE(r.has_value());
  CHECK(r->train_loss.steps == std::vector<std::int64_t>{0, 1, 2, 3});
  CHECK(r->train_loss.values == std::vector<double>{11.0, 10.0, 9.1, 8.4});
  CHECK(r->diagnostics.repeated_steps > 0);
  CHECK(r->diagnostics.restarts == 0);
}

TEST_CASE("text: two runs in one stdout log — the counter back to its start is a restart") {
  auto r = read_text(
      "val loss 11.0\nstep    1/10 | loss 11.0 (+nanz)| norm 3.0 (+nanz)| lr 1e-05 | 10 ms\n"
      "step    2/10 | loss 10.0 (+nanz)| norm 2.0 (+nanz)| lr 2e-05 | 10 ms\n"
      "val loss 10.9\nstep    1/10 | loss 12.0 (+nanz)| norm 3.0 (+nanz)| lr 1e-05 | 10 ms\n");
  REQUIRE(r.has_value());
  CHECK(r->diagnostics.restarts == 1);
  CHECK(r->train_loss.values == std::vector<double>{12.0});
  CHECK(r->val_loss.values == std::vector<double>{10.9});
}

TEST_CASE("text: the older llm.c stdout layout and bad numbers") {
  auto r = read_text(
      "step 1/100: train loss 4.5 norm 1.2 lr 1.00e-04 (120.0 ms, 4000 tok/s)\n"
      "step 2/100: train loss 4.25 norm 1.1 lr 2.00e-04 (120.0 ms, 4000 tok/s)\n"
      "s:3 trl:abc lr:0.0003 norm:1\n");
  REQUIRE(r.has_value());
  CHECK(r->train_loss.values == std::vector<double>{4.5, 4.25});
  CHECK(r->lr.size() == 3);
  CHECK(r->diagnostics.skipped_values == 1);
  REQUIRE(r->diagnostics.issues.size() == 1);
  CHECK(r->diagnostics.issues[0].line == 3);
  CHECK(r->diagnostics.issues[0].field == "trl");
  auto none = read_text("hello\nworld\n");
  REQUIRE_FALSE(none.has_value());
  CHECK(none.error().code == errc::malformed);
}
