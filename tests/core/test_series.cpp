#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

#include "trainscope/core.hpp"

using namespace trainscope;

TEST_CASE("series: steps append in order and a resume replaces the abandoned timeline") {
  series s("loss");
  CHECK(s.put(1, 3.0) == 0);
  CHECK(s.put(2, 2.5) == 0);
  CHECK(s.put(3, 2.0) == 0);
  CHECK(s.put(4, 1.9) == 0);
  // resumed from the checkpoint at step 2: steps 2..4 are re-logged, the later records win
  CHECK(s.put(2, 2.6) == 3);
  CHECK(s.put(3, 2.1) == 0);
  REQUIRE(s.size() == 3);
  CHECK(s.steps == std::vector<std::int64_t>{1, 2, 3});
  CHECK(s.values == std::vector<double>{3.0, 2.6, 2.1});
  CHECK(s.at(2) == doctest::Approx(2.6));
  CHECK_FALSE(s.at(7).has_value());
  CHECK(s.at_or_before(7) == doctest::Approx(2.1));
}

TEST_CASE("metric keys: aliases and named evaluation sets") {
  CHECK(classify_key("global_step").role == metric_role::step);
  CHECK(classify_key("train/loss").role == metric_role::train_loss);
  CHECK(classify_key("eval_loss").role == metric_role::val_loss);
  CHECK(classify_key("train/learning_rate").role == metric_role::lr);
  CHECK(classify_key("_timestamp").role == metric_role::wall_time);
  auto named = classify_key("eval_g3_loss");
  CHECK(named.role == metric_role::named_val_loss);
  CHECK(named.name == "g3");
  CHECK(classify_key("eval_runtime").role == metric_role::none);
  CHECK(classify_key("hidden_size").role == metric_role::n_embd);

  key_mapping m;
  m.train_loss = "objective";
  CHECK(classify_key("objective", m).role == metric_role::train_loss);
  CHECK(classify_key("loss", m).role == metric_role::none);  // detection is off for a mapped role
  CHECK(classify_key("val_loss", m).role == metric_role::val_loss);
}

TEST_CASE("run_builder: an eval record's train_loss is the checkpoint's; a summary feeds no series") {
  run_builder b({"x.jsonl", "jsonl"});
  record r;
  r.step = 10;
  r.loss = 2.0;
  b.add(r);
  record e;
  e.kind = record_kind::eval;
  e.step = 10;
  e.loss = 1.9;
  e.val_loss = 2.1;
  b.add(e);
  record s;
  s.kind = record_kind::summary;
  s.step = 10;
  text_field f{"train_loss", "1.5"};
  s.fields = {&f, 1};
  b.add(s);
  b.add(e);  // the same eval line twice: counted, not duplicated
  run out = std::move(b).finish();
  CHECK(out.train_loss.size() == 1);
  CHECK(out.checkpoint_train_loss.values == std::vector<double>{1.9});
  CHECK(out.val_loss.values == std::vector<double>{2.1});
  CHECK(out.diagnostics.repeated_steps == 2);
  REQUIRE(out.summary.size() == 1);
  CHECK(out.summary[0].first == "train_loss");
}

TEST_CASE("run_builder: a counter back at its start is a new run; back to the middle is a resume") {
  run_builder b({"x", "jsonl"});
  for (std::int64_t ep : {0, 1, 2, 3, 0, 1, 2}) {
    record r;
    r.kind = record_kind::eval;
    r.epoch = static_cast<double>(ep);
    r.val_loss = 10.0 - static_cast<double>(ep);
    b.add(r);
  }
  run out = std::move(b).finish();
  CHECK(out.diagnostics.restarts == 1);
  CHECK(out.diagnostics.dropped_records_before_restart == 4);
  CHECK(out.val_loss.steps == std::vector<std::int64_t>{0, 1, 2});

  run_builder c({"y", "jsonl"});
  for (std::int64_t st : {1, 2, 3, 4, 3, 4, 5}) {
    record r;
    r.step = st;
    r.loss = static_cast<double>(st);
    c.add(r);
  }
  run resumed = std::move(c).finish();
  CHECK(resumed.diagnostics.restarts == 0);
  CHECK(resumed.diagnostics.repeated_steps == 2);
  CHECK(resumed.train_loss.steps == std::vector<std::int64_t>{1, 2, 3, 4, 5});
}

namespace {
// Bit for bit, NaN included.
bool same_series(const series& a, const series& b) {
  return a.steps == b.steps && a.values.size() == b.values.size() &&
         std::memcmp(a.values.data(), b.values.data(), a.values.size() * sizeof(double)) == 0;
}
}  // namespace

TEST_CASE("run_builder: a record of plain roles (record_values) builds what the same record does") {
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  // Each line: kind, step (or none), then loss, val_loss, lr, epoch, wall time, grad norm ({}: not logged).
  struct line {
    record_kind kind;
    std::optional<std::int64_t> step;
    std::optional<double> roles[record_values::roles];
  };
  const std::vector<line> log = {
      {record_kind::config, {}, {}},
      {record_kind::train, 1, {4.0, {}, 1e-4, 0.01, 100.0, 1.5}},
      {record_kind::train, 2, {3.9, {}, 2e-4, 0.02, 101.0, inf}},  // a non-finite grad norm is counted
      {record_kind::eval, 2, {3.8, 4.1, 2e-4, 0.02, 102.0, {}}},   // shares the train record's lr, epoch, time
      {record_kind::train, 3, {nan, 3.7, 3e-4, 0.03, 103.0, 1.2}},  // a NaN loss; a val_loss on a train record
      {record_kind::train, 2, {3.95, {}, 2e-4, 0.02, 104.0, 1.1}},  // a resume replaces step 3
      {record_kind::eval, {}, {{}, 4.0, {}, 2.0, {}, {}}},          // no step: the integral epoch is its step
      {record_kind::train, {}, {3.5, {}, {}, 2.5, {}, {}}},         // neither: the record count is
      {record_kind::train, 1, {4.2, {}, 1e-4, 0.01, 200.0, 1.4}},   // back to the first step: a new run
      {record_kind::train, 2, {4.1, {}, 2e-4, 0.02, 201.0, 1.3}},
      {record_kind::eval, 2, {4.0, 4.3, 5e-4, 0.5, 202.0, 2.0}},
  };
  run_builder by_record({"x", "jsonl"}), by_values({"x", "jsonl"});
  for (const line& l : log) {
    record r;
    record_values v;
    r.kind = v.kind = l.kind;
    r.step = l.step;
    if (l.step) v.present |= record_values::step_bit, v.step = *l.step;
    std::optional<double>* roles[] = {&r.loss, &r.val_loss, &r.lr, &r.epoch, &r.wall_time_s, &r.grad_norm};
    for (unsigned i = 0; i < record_values::roles; ++i)
      if (l.roles[i]) *roles[i] = *l.roles[i], v.set(i, *l.roles[i]);
    by_record.add(r);
    by_values.add(v);
  }
  const run a = std::move(by_record).finish(), b = std::move(by_values).finish();
  CHECK(a.diagnostics.restarts == 1);  // the log exercises what it says
  CHECK(a.diagnostics.non_finite_values == 2);
  for (auto member : {&run::train_loss, &run::val_loss, &run::checkpoint_train_loss, &run::lr, &run::epoch,
                      &run::wall_time_s, &run::grad_norm}) {
    CAPTURE((a.*member).name);
    CHECK(same_series(a.*member, b.*member));
  }
  CHECK(a.diagnostics.records == b.diagnostics.records);
  CHECK(a.diagnostics.repeated_steps == b.diagnostics.repeated_steps);
  CHECK(a.diagnostics.non_finite_values == b.diagnostics.non_finite_values);
  CHECK(a.diagnostics.restarts == b.diagnostics.restarts);
  CHECK(a.diagnostics.dropped_records_before_restart == b.diagnostics.dropped_records_before_restart);
}

namespace {

bool same_value(double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }

// A log of train records with an eval record every `eval_every`, epochs from `epoch_of` (some absent, NaN or
// infinite), wall times from 1e9 on; read into a run once with the series, once with the summaries.
template <class EpochOf>
std::pair<run, run> built_both_ways(std::int64_t steps, std::int64_t eval_every, EpochOf epoch_of) {
  build_options summarized;
  summarized.summarize_epoch = summarized.summarize_wall_time = true;
  run_builder full({"x", "jsonl"}), summary({"x", "jsonl"}, summarized);
  for (std::int64_t s = 1; s <= steps; ++s) {
    record_values v;
    v.kind = record_kind::train;
    v.present |= record_values::step_bit, v.step = s;
    v.set(record_values::loss, 3.0);
    if (const std::optional<double> e = epoch_of(s)) v.set(record_values::epoch, *e);
    if (s % 7 != 3) v.set(record_values::wall_time_s, 1e9 + 1.25 * static_cast<double>(s));
    full.add(v), summary.add(v);
    if (s % eval_every == 0) {  // shares the train record's epoch and time: not a second sample
      record_values e = v;
      e.kind = record_kind::eval;
      e.set(record_values::val_loss, 3.1);
      e.set(record_values::wall_time_s, 2e9);
      full.add(e), summary.add(e);
    }
  }
  return {std::move(full).finish(), std::move(summary).finish()};
}

void check_summaries_hold_the_series(const run& full, const run& summarized) {
  REQUIRE(summarized.epoch.empty());
  REQUIRE(summarized.wall_time_s.empty());
  CHECK(summarized.epoch_summary.exact());
  CHECK(summarized.wall_time_summary.exact());
  CHECK(full.diagnostics.non_finite_values == summarized.diagnostics.non_finite_values);
  CHECK(full.diagnostics.repeated_steps == summarized.diagnostics.repeated_steps);
  // The ends of both columns.
  for (const auto& column : {std::pair{&full.epoch, static_cast<const column_summary*>(&summarized.epoch_summary)},
                             std::pair{&full.wall_time_s, &summarized.wall_time_summary}}) {
    const series* s = column.first;  // not a structured binding: clang 14 cannot capture one in CAPTURE's lambda
    const column_summary* c = column.second;
    CAPTURE(s->name);
    REQUIRE(c->count == s->size());
    if (s->empty()) continue;
    CHECK(c->first_step == s->steps.front());
    CHECK(c->last_step == s->steps.back());
    CHECK(same_value(c->first, s->values.front()));
    CHECK(same_value(c->last, s->values.back()));
  }
  // The epoch's largest finite value, whether all are whole, and its whole part at or before every step.
  const auto& e = summarized.epoch_summary;
  double largest = 0;
  bool whole = true;
  for (double v : full.epoch.values)
    if (std::isfinite(v)) largest = std::max(largest, v), whole = whole && v == std::floor(v);
  CHECK(e.largest_finite == largest);
  CHECK(e.all_whole == whole);
  std::size_t mismatches = 0;
  for (std::int64_t s = -1; s <= (full.epoch.empty() ? 0 : full.epoch.steps.back()) + 1; ++s) {
    const auto by_series = full.epoch.at_or_before(s);
    const auto by_summary = e.whole_at_or_before(s);
    mismatches += by_series.has_value() != by_summary.has_value() ||
                  (by_series && !same_value(std::floor(*by_series), *by_summary));
  }
  CHECK(mismatches == 0);
}

}  // namespace

TEST_CASE("column summaries: what the epoch and wall-time series would give, without a sample per step") {
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  SUBCASE("fractional epochs, some steps without one") {
    auto [full, summarized] = built_both_ways(2000, 50, [](std::int64_t s) -> std::optional<double> {
      if (s % 11 == 5) return std::nullopt;
      return static_cast<double>(s) / 317.0;
    });
    CHECK(summarized.epoch_summary.changes.size() == 7);  // epochs 0..6
    CHECK_FALSE(summarized.epoch_summary.all_whole);
    check_summaries_hold_the_series(full, summarized);
  }
  SUBCASE("whole epochs: one per 100 steps, the count is largest + 1") {
    auto [full, summarized] = built_both_ways(1000, 100, [](std::int64_t s) -> std::optional<double> {
      return static_cast<double>((s - 1) / 100);
    });
    CHECK(summarized.epoch_summary.all_whole);
    CHECK(summarized.epoch_summary.largest_finite == 9);
    check_summaries_hold_the_series(full, summarized);
  }
  SUBCASE("NaN, infinities, negative and huge epochs: each whole part change is kept") {
    auto [full, summarized] = built_both_ways(600, 37, [&](std::int64_t s) -> std::optional<double> {
      if (s % 97 == 0) return nan;
      if (s % 89 == 0) return s % 2 ? inf : -inf;
      if (s < 50) return -2.5 + 0.01 * static_cast<double>(s);
      if (s > 550) return 0x1p53 + static_cast<double>(2 * s);  // beyond 2^53: w + 1 is not exact
      return 0.5 + 0.003 * static_cast<double>(s);
    });
    CHECK(full.diagnostics.non_finite_values > 0);
    check_summaries_hold_the_series(full, summarized);
  }
  SUBCASE("a resume cannot be summarized: the summary says so, and the series counts what it replaced") {
    build_options summarized_options;
    summarized_options.summarize_epoch = summarized_options.summarize_wall_time = true;
    run_builder full({"x", "jsonl"}), summary({"x", "jsonl"}, summarized_options);
    for (std::int64_t s : {1, 2, 3, 4, 5, 3, 4, 5, 6}) {
      record_values v;
      v.kind = record_kind::train;
      v.present |= record_values::step_bit, v.step = s;
      v.set(record_values::loss, 2.0);
      v.set(record_values::epoch, 0.1 * static_cast<double>(s));
      v.set(record_values::wall_time_s, static_cast<double>(s));
      full.add(v), summary.add(v);
    }
    const run a = std::move(full).finish(), b = std::move(summary).finish();
    CHECK(a.diagnostics.repeated_steps > 0);
    CHECK_FALSE(b.epoch_summary.exact());
    CHECK_FALSE(b.wall_time_summary.exact());
    CHECK(b.epoch_summary.rewinds == 3);  // steps 3, 4 and 5 again, none after the last applied step (5)
  }
  SUBCASE("a restart starts the summaries again, as it starts the series again") {
    build_options summarized_options;
    summarized_options.summarize_epoch = summarized_options.summarize_wall_time = true;
    run_builder full({"x", "jsonl"}), summary({"x", "jsonl"}, summarized_options);
    for (std::int64_t s : {1, 2, 3, 4, 1, 2}) {
      record_values v;
      v.kind = record_kind::train;
      v.present |= record_values::step_bit, v.step = s;
      v.set(record_values::loss, 2.0);
      v.set(record_values::epoch, static_cast<double>(s));
      v.set(record_values::wall_time_s, 10.0 * static_cast<double>(s));
      full.add(v), summary.add(v);
    }
    const run a = std::move(full).finish(), b = std::move(summary).finish();
    CHECK(a.diagnostics.restarts == 1);
    check_summaries_hold_the_series(a, b);
  }
}
