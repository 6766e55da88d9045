#pragma once
/** Turns a stream of records into a run: roles, resume rule, restarts, counts. */
#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "trainscope/core/record.hpp"
#include "trainscope/core/run.hpp"

namespace trainscope::inline v1 {

/** What to do when the step counter goes back to its start (a second run appended to the file). */
enum class restart_policy {
  last_run,  ///< analyse the later run; the earlier one is dropped and counted (default)
  merge,     ///< treat it as a resume: later records win for repeated steps
};

/** Options shared by every reader's run collection. */
struct build_options {
  restart_policy on_restart = restart_policy::last_run;
  /// Keep `run::epoch_summary` / `run::wall_time_summary` instead of the epoch / wall-time series: what the
  /// overview of `report::analyze` reads, without 16 bytes per step. A log that resumes (a step at or before
  /// an earlier one) cannot be summarized (the summary's `exact()` is false): read it again without.
  bool summarize_epoch = false;
  bool summarize_wall_time = false;
};

/**
 * Collects records into a `run`. Readers classify; the builder applies the run model's
 * rules, so every format treats resumes, restarts and checkpoint losses alike.
 * Amortised O(1) per record in order; a resume costs the samples it replaces.
 */
class run_builder {
 public:
  explicit run_builder(source_info source, build_options options = {}) : options_(options) {
    run_.source = std::move(source);
  }

  /// Reserve room for about `n` records in the per-step series.
  void reserve(std::size_t n) {
    run_.train_loss.reserve(n);
    run_.lr.reserve(n);
  }

  void add(const record& r) {
    auto& d = run_.diagnostics;
    ++d.records;
    if (r.kind == record_kind::config) {
      for (const auto& [k, v] : r.fields) run_.config.emplace_back(std::string(k), std::string(v));
      return;
    }
    if (r.kind == record_kind::summary) {
      for (const auto& [k, v] : r.fields) run_.summary.emplace_back(std::string(k), std::string(v));
      return;
    }
    const std::int64_t step = add_roles(values_of(r));
    auto put = [&](series& s, double x) {
      if (!std::isfinite(x)) ++d.non_finite_values;
      d.repeated_steps += s.put(step, x);
    };
    if (r.kind == record_kind::eval)
      for (const auto& nv : r.named_val_losses) put(named(run_.named_val_loss, nv.name), nv.value);
    for (const auto& nv : r.lr_groups) {
      series& group = named(run_.lr_groups, nv.name);
      if (!shared_sample_of_train_record(r.kind, group, step)) put(group, nv.value);
    }
    for (const auto& nv : r.extra) put(named(run_.extra, nv.name), nv.value);
    for (const auto& [k, v] : r.fields) run_.config.emplace_back(std::string(k), std::string(v));
  }

  /// A record of step and one-value roles only: the same as add() of the record it stands for.
  void add(const record_values& v) {
    ++run_.diagnostics.records;
    if (v.kind == record_kind::config || v.kind == record_kind::summary) return;  // no fields: nothing to keep
    (void)add_roles(v);
  }

  /// A record that could not be read at all.
  void skip_record(read_issue issue) {
    ++run_.diagnostics.skipped_records;
    run_.diagnostics.add_issue(std::move(issue));
  }
  /// A single field that was ignored (e.g. a loss that is a string).
  void skip_value(read_issue issue) {
    ++run_.diagnostics.skipped_values;
    run_.diagnostics.add_issue(std::move(issue));
  }

  run& current() noexcept { return run_; }
  read_diagnostics& diagnostics() noexcept { return run_.diagnostics; }

  /// The collected run; picks the primary validation series when only named sets exist.
  run finish() && {
    if (run_.val_loss.empty() && !run_.named_val_loss.empty()) {
      run_.val_loss = run_.named_val_loss.front();
      run_.val_loss_key = "eval_" + run_.val_loss.name + "_loss";
      run_.val_loss.name = "val_loss";
    } else if (!run_.val_loss.empty() && run_.val_loss_key.empty()) {
      run_.val_loss_key = "val_loss";
    }
    if (run_.lr.empty() && !run_.lr_groups.empty()) {
      run_.lr.steps = run_.lr_groups.front().steps;
      run_.lr.values = run_.lr_groups.front().values;
    }
    return std::move(run_);
  }

 private:
  // Name -> position, one index per named list: a linear search made a log with thousands of
  // distinct keys quadratic (a 1 MB CSV of 20000 columns took 5 s).
  struct name_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  using name_index = std::unordered_map<std::string, std::size_t, name_hash, std::equal_to<>>;

  static series& named(std::vector<series>& list, name_index& index, std::string_view name) {
    if (auto it = index.find(name); it != index.end()) return list[it->second];
    index.emplace(std::string(name), list.size());
    return list.emplace_back(std::string(name));
  }
  series& named(std::vector<series>& list, std::string_view name) {
    return named(list, &list == &run_.named_val_loss ? named_val_index_
                       : &list == &run_.lr_groups    ? lr_group_index_
                                                     : extra_index_,
                 name);
  }

  // Logs without a step counter (per-epoch logs) use an integral epoch, else the record index.
  std::int64_t resolve_step(const record_values& v) const {
    if (v.present & record_values::step_bit) return v.step;
    if (v.has(record_values::epoch)) {
      const double e = v.values[record_values::epoch];
      if (std::isfinite(e) && e == std::floor(e) && std::fabs(e) < 1e15) return static_cast<std::int64_t>(e);
    }
    return static_cast<std::int64_t>(stepped_records_);
  }

  // An evaluation logged at a train record's step repeats its lr / epoch / time: keep the train record's
  // sample rather than count a resume.
  static bool shared_sample_of_train_record(record_kind kind, const series& s, std::int64_t step) noexcept {
    return kind == record_kind::eval && !s.empty() && s.steps.back() == step;
  }
  static bool shared_sample_of_train_record(record_kind kind, const column_summary& c, std::int64_t step) noexcept {
    return kind == record_kind::eval && !c.empty() && c.last_step == step;
  }

  // The step, restart and one-value roles of a train or eval record; returns its step.
  std::int64_t add_roles(const record_values& v) {
    auto& d = run_.diagnostics;
    const std::int64_t step = resolve_step(v);
    if (is_restart(step)) start_new_run();
    note_step(step);
    auto put = [&](series& s, unsigned role) {
      if (!v.has(role)) return;
      const double x = v.values[role];
      if (!std::isfinite(x)) ++d.non_finite_values;
      d.repeated_steps += s.put(step, x);
    };
    if (v.kind == record_kind::eval) {
      put(run_.checkpoint_train_loss, record_values::loss);
      put(run_.val_loss, record_values::val_loss);
    } else {
      put(run_.train_loss, record_values::loss);
      put(run_.val_loss, record_values::val_loss);
    }
    auto put_shared = [&](series& s, unsigned role) {
      if (v.has(role) && shared_sample_of_train_record(v.kind, s, step)) return;
      put(s, role);
    };
    // A summary takes the samples the series would, counting non-finite values alike.
    auto summarize = [&](auto& c, unsigned role) {
      if (!v.has(role) || shared_sample_of_train_record(v.kind, c, step)) return;
      const double x = v.values[role];
      if (!std::isfinite(x)) ++d.non_finite_values;
      c.put(step, x);
    };
    put_shared(run_.lr, record_values::lr);
    if (options_.summarize_epoch) summarize(run_.epoch_summary, record_values::epoch);
    else put_shared(run_.epoch, record_values::epoch);
    if (options_.summarize_wall_time) summarize(run_.wall_time_summary, record_values::wall_time_s);
    else put_shared(run_.wall_time_s, record_values::wall_time_s);
    put_shared(run_.grad_norm, record_values::grad_norm);
    return step;
  }

  // A counter that falls back to where it started (0 or 1) begins a new run; any other
  // fall is a resume from a checkpoint, which the series' later-wins rule handles.
  bool is_restart(std::int64_t step) const {
    return options_.on_restart == restart_policy::last_run && stepped_records_ > 0 && first_step_ <= 1 &&
           step <= first_step_ && last_step_ > first_step_;
  }

  void start_new_run() {
    run fresh;
    fresh.source = std::move(run_.source);
    fresh.model = run_.model;
    fresh.config = std::move(run_.config);
    fresh.diagnostics = std::move(run_.diagnostics);
    ++fresh.diagnostics.restarts;
    fresh.diagnostics.dropped_records_before_restart = stepped_records_;
    run_ = std::move(fresh);
    named_val_index_.clear();
    lr_group_index_.clear();
    extra_index_.clear();
    stepped_records_ = 0;
  }

  void note_step(std::int64_t step) {
    if (stepped_records_ == 0) first_step_ = step;
    last_step_ = step;
    ++stepped_records_;
  }

  run run_;
  name_index named_val_index_, lr_group_index_, extra_index_;
  build_options options_;
  std::size_t stepped_records_ = 0;
  std::int64_t first_step_ = 0;
  std::int64_t last_step_ = 0;
};

}  // namespace trainscope::inline v1
