#pragma once
/** The analysis object: everything the JSON output and the Markdown report say, computed once. */
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "trainscope/core/run.hpp"
#include "trainscope/diagnose.hpp"
#include "trainscope/schedule.hpp"
#include "trainscope/stats/trend.hpp"

namespace trainscope::inline v1::report {

/** One validation checkpoint as the report's table shows it. */
struct checkpoint_row {
  std::int64_t step = 0;
  std::optional<std::int64_t> epoch;
  std::optional<double> train_loss;    ///< the checkpoint's training loss (logged with the evaluation, else the last step's)
  std::optional<double> val_loss;
  std::optional<double> relative_gap;  ///< (val - train) / train
  std::optional<double> train_ppl;     ///< exp(train_loss), only where the loss is a per-token cross-entropy
  std::optional<double> val_ppl;
  std::string label;
};

/** A named validation set other than the one the verdict uses. */
struct other_val_series {
  std::string key;
  std::size_t points = 0;
  std::optional<double> first, best, last;
  std::optional<std::int64_t> best_step;
};

/** Least-squares trend of the relative gap over the checkpoints: is the gap growing? */
struct gap_trend {
  std::size_t points = 0;
  double min_gap = 0, max_gap = 0;  ///< range of the relative gap
  double slope_per_1k_steps = 0;    ///< change of the relative gap per 1000 steps
  double standard_error = 0;        ///< of that slope
  double t_statistic = 0;           ///< slope / standard error; |t| >= 2 is a significant trend (about 95 %)
  bool significant() const noexcept { return points >= 4 && (t_statistic >= 2 || t_statistic <= -2); }
};

/** Where the schedule figures come from and how well they match the log. */
struct schedule_section {
  std::optional<schedule_fit> fitted;  ///< reconstructed from the logged learning rate
  std::string fit_error;               ///< why there is no fit (no lr logged, too few samples...)
  std::optional<std::string> config_schedule;  ///< schedule named by a config record, as written
  std::optional<configured_schedule> config;   ///< the closed form that config describes, when it is complete enough
  std::optional<schedule_agreement> agreement; ///< logged lr against the config's closed form
  std::string source;                  ///< "fit", "config" or "" (nothing)
  struct group {
    std::string name;
    std::string family;   ///< empty when this group could not be fitted
    std::optional<double> peak_lr;
    double max_relative_error = 0;
  };
  std::vector<group> groups;           ///< every parameter group when the log has several (the first is the run's)
  std::vector<std::pair<std::int64_t, double>> lr_at;  ///< requested --lr-at values
};

/** Everything known about one run, from which both outputs are rendered. */
struct analysis {
  source_info source;
  std::int64_t first_step = 0, last_step = 0;
  std::size_t records = 0;
  // training loss as logged per step (first and last logged step)
  std::optional<double> train_first_loss, train_last_loss;
  std::optional<std::int64_t> train_first_step, train_last_step;
  std::optional<double> wall_time_s;          ///< last minus first logged wall time
  std::optional<std::int64_t> epochs;         ///< number of epochs (0-based integer epochs: max + 1)
  std::optional<double> last_epoch;           ///< epoch value at the last record (may be fractional)
  model_shape model;
  bool perplexity = false;                    ///< perplexity shown: the loss is a per-token cross-entropy
  std::string perplexity_reason;
  std::string val_key;                        ///< key of the validation series the verdict uses
  std::vector<other_val_series> other_val;
  std::vector<checkpoint_row> checkpoints;
  std::optional<report::gap_trend> gap;       ///< absent with fewer than 3 checkpoints that have both losses
  trainscope::diagnosis diagnosis;
  schedule_section schedule;
  read_diagnostics diagnostics;
};

/** Whether perplexity is meaningful for this run. */
enum class perplexity_mode { automatic, on, off };

struct analyze_options {
  std::vector<std::int64_t> lr_at_steps;     ///< fill schedule.lr_at for these logged-step values
  perplexity_mode perplexity = perplexity_mode::automatic;
  diagnose_options diagnose;
  reconstruct_options schedule;
  /// 2 or more: the schedule section is computed on a second thread while diagnose runs (same result;
  /// without a thread, or when none can be started, everything runs on the caller's thread).
  unsigned threads = 1;
};

namespace detail {

// A language-model run says so in its config (context length, vocabulary) or by its format (llm.c).
inline std::pair<bool, std::string> detect_per_token_loss(const run& r) {
  if (r.model.block_size) return {true, "the config gives a context length (block_size), so the loss is per-token cross-entropy"};
  for (const char* key : {"vocab_size", "n_ctx", "context_length", "max_seq_len", "seq_len"})
    if (r.config_value(key)) return {true, std::string("the config names a language-model setting (") + key + ")"};
  if (r.source.format.rfind("llmc", 0) == 0) return {true, "llm.c logs the per-token cross-entropy of a language model"};
  return {false, "nothing in the log says the loss is a per-token cross-entropy, so perplexity is not shown"};
}

inline std::optional<double> finite_or_empty(double v) {
  if (std::isfinite(v)) return v;
  return std::nullopt;
}

// Least-squares line of the gap against step (stats/trend.hpp), with the slope's standard error from its residuals.
inline gap_trend fit_gap_trend(const std::vector<double>& x, const std::vector<double>& y) {
  gap_trend g;
  g.points = x.size();
  g.min_gap = *std::min_element(y.begin(), y.end());
  g.max_gap = *std::max_element(y.begin(), y.end());
  running_gradient line;
  for (std::size_t i = 0; i < x.size(); ++i) line.add(x[i], y[i]);
  const double se = line.standard_error();
  if (x.size() < 3 || !std::isfinite(se)) return g;
  g.slope_per_1k_steps = line.slope() * 1000;
  g.standard_error = se * 1000;
  g.t_statistic = se > 0 ? line.slope() / se : 0;
  return g;
}

}  // namespace detail

/**
 * Reads the run once more into the report's terms: overview, checkpoint rows, diagnosis, schedule.
 * O(n log n) in the number of records (look-ups by step), linear in practice.
 */
inline analysis analyze(const run& r, const analyze_options& opts = {}) {
  analysis a;
  a.source = r.source;
  a.records = r.diagnostics.records;
  a.diagnostics = r.diagnostics;
  a.model = r.model;

  // Schedule: fitted from the logged lr; the config, where it names one, is checked against the log.
  // The fit and the config check read only `r` and write separate members of a.schedule, so with
  // threads the fit starts first and runs beside everything else; what depends on both comes after.
  auto schedule_part = [&] {
    auto& sched = a.schedule;
    if (auto name = r.config_value("lr_schedule")) sched.config_schedule = *name;
    else if (auto hf = r.config_value("lr_scheduler_type")) sched.config_schedule = *hf;
    if (r.lr.size() >= 2) {
      auto fit = reconstruct_schedule(r.lr.step_view(), r.lr.view(), opts.schedule);
      if (fit) {
        sched.fitted = std::move(*fit);
        sched.source = "fit";
      } else {
        sched.fit_error = fit.error().message;
      }
    } else {
      sched.fit_error = r.lr.empty() ? "no learning rate in the log" : "only one learning-rate sample";
    }
    for (const auto& g : r.lr_groups) {
      schedule_section::group out;
      out.name = g.name;
      if (g.size() >= 2)
        if (auto f = reconstruct_schedule(g.step_view(), g.view(), opts.schedule)) {
          out.family = f->family;
          out.peak_lr = f->param("peak_lr");
          out.max_relative_error = f->max_relative_error;
        }
      sched.groups.push_back(std::move(out));
    }
  };
  auto config_part = [&] {
    auto& sched = a.schedule;
    sched.config = schedule_from_config(r.config);
    if (sched.config && r.lr.size() >= 2) sched.agreement = compare_schedule(*sched.config, r.lr.step_view(), r.lr.view());
  };
  auto after_both = [&] {
    auto& sched = a.schedule;
    if (!sched.fitted && sched.config) sched.source = "config";  // no logged lr: the config is all there is
    for (auto s : opts.lr_at_steps) {
      if (sched.fitted) sched.lr_at.emplace_back(s, sched.fitted->lr(s));
      else if (sched.config) sched.lr_at.emplace_back(s, lr_at(sched.config->model, static_cast<double>(s)));
    }
  };
  // The config check goes to whichever thread is free first (the fit or the diagnosis may be the
  // longer, depending on the log); it writes its own members, so the result does not depend on which.
  std::atomic<bool> config_claimed{false};
  auto claim_config = [&] {
    if (!config_claimed.exchange(true)) config_part();
  };
  std::exception_ptr schedule_failure;  // rethrown here, as it would be without the thread
  std::thread schedule_thread;
  if (opts.threads > 1 && r.lr.size() >= 2) {
    try {
      schedule_thread = std::thread([&] {
        try {
          schedule_part();
          claim_config();
        } catch (...) {
          schedule_failure = std::current_exception();
        }
      });
    } catch (const std::system_error&) {  // no thread to be had: run it below
    }
  }
  struct join_on_exit {  // if diagnose throws (out of memory), the thread is joined, not left to terminate
    std::thread& t;
    ~join_on_exit() {
      if (t.joinable()) t.join();
    }
  } joiner{schedule_thread};

  // Step range over every series that has steps.
  bool any = false;
  auto widen = [&](const series& s) {
    if (s.empty()) return;
    if (!any || s.steps.front() < a.first_step) a.first_step = s.steps.front();
    if (!any || s.steps.back() > a.last_step) a.last_step = s.steps.back();
    any = true;
  };
  for (const series* s : {&r.train_loss, &r.val_loss, &r.checkpoint_train_loss, &r.lr}) widen(*s);

  const series& train = r.train_loss.empty() ? r.checkpoint_train_loss : r.train_loss;
  if (!train.empty()) {
    a.train_first_loss = train.values.front();
    a.train_last_loss = train.values.back();
    a.train_first_step = train.steps.front();
    a.train_last_step = train.steps.back();
  }
  // The epoch and wall-time columns are read through their summaries (core/column_summary.hpp): the run's own
  // when it was read with them (not when a resume made them inexact), else made from the series.
  const column_summary wall = r.wall_time_s.empty() && r.wall_time_summary.exact() ? r.wall_time_summary
                                                                                    : summarize_column(r.wall_time_s);
  epoch_column_summary epochs_of_series;
  const epoch_column_summary* epochs = &epochs_of_series;
  if (!r.epoch.empty()) epochs_of_series = summarize_epochs(r.epoch);
  else if (r.epoch_summary.exact()) epochs = &r.epoch_summary;
  // A clock that starts near zero is elapsed time since the start (the first step's own time counts);
  // an epoch timestamp only gives the span between the first and last record.
  if (wall.count >= 2) {
    const bool elapsed_clock = wall.first >= 0 && wall.first < 1e6 && wall.first < 0.5 * wall.last;
    a.wall_time_s = elapsed_clock ? wall.last : wall.last - wall.first;
  }
  if (!epochs->empty()) {
    a.last_epoch = epochs->last;
    const double max_epoch = epochs->largest_finite;
    if (epochs->all_whole) a.epochs = static_cast<std::int64_t>(max_epoch) + 1;
    else a.epochs = static_cast<std::int64_t>(std::ceil(max_epoch));
  }

  auto [ppl, why] = detail::detect_per_token_loss(r);
  if (opts.perplexity == perplexity_mode::on) ppl = true, why = "perplexity requested (--perplexity on)";
  if (opts.perplexity == perplexity_mode::off) ppl = false, why = "perplexity turned off (--perplexity off)";
  a.perplexity = ppl;
  a.perplexity_reason = why;

  a.val_key = r.val_loss_key;
  for (const auto& s : r.named_val_loss) {
    std::string key = "eval_" + s.name + "_loss";
    if (key == a.val_key) continue;
    other_val_series o;
    o.key = key;
    o.points = s.size();
    if (!s.empty()) {
      o.first = s.values.front();
      o.last = s.values.back();
      for (std::size_t i = 0; i < s.size(); ++i)
        if (std::isfinite(s.values[i]) && (!o.best || s.values[i] < *o.best)) o.best = s.values[i], o.best_step = s.steps[i];
    }
    a.other_val.push_back(std::move(o));
  }


  a.diagnosis = diagnose(r, opts.diagnose);

  a.checkpoints.reserve(r.val_loss.size());
  for (std::size_t i = 0; i < r.val_loss.size(); ++i) {
    checkpoint_row row;
    row.step = r.val_loss.steps[i];
    row.val_loss = detail::finite_or_empty(r.val_loss.values[i]);
    if (auto whole = epochs->whole_at_or_before(row.step)) row.epoch = static_cast<std::int64_t>(*whole);
    std::optional<double> t = r.checkpoint_train_loss.at(row.step);
    if (!t) t = r.train_loss.at_or_before(row.step);
    if (t) row.train_loss = detail::finite_or_empty(*t);
    if (row.train_loss && row.val_loss && *row.train_loss != 0)
      row.relative_gap = (*row.val_loss - *row.train_loss) / *row.train_loss;
    if (a.perplexity) {
      if (row.train_loss) row.train_ppl = detail::finite_or_empty(std::exp(*row.train_loss));
      if (row.val_loss) row.val_ppl = detail::finite_or_empty(std::exp(*row.val_loss));
    }
    if (i < a.diagnosis.checkpoints.size() && a.diagnosis.checkpoints[i].step == row.step)
      row.label = a.diagnosis.checkpoints[i].label;
    a.checkpoints.push_back(std::move(row));
  }

  {
    std::vector<double> xs, gaps;
    for (const auto& c : a.checkpoints)
      if (c.relative_gap) xs.push_back(static_cast<double>(c.step)), gaps.push_back(*c.relative_gap);
    if (xs.size() >= 3) a.gap = detail::fit_gap_trend(xs, gaps);
  }

  claim_config();
  if (schedule_thread.joinable()) {
    schedule_thread.join();
    if (schedule_failure) std::rethrow_exception(schedule_failure);
  } else {
    schedule_part();
  }
  after_both();
  return a;
}

}  // namespace trainscope::inline v1::report
