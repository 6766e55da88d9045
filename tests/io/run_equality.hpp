#pragma once
// Whether two runs are the same, value for value: every series (NaN equal to NaN, -0 unequal to 0:
// compared as bits), config, model, counts and issues with their lines. Used where two ways of
// reading must give one result (single-threaded and parallel, memory and stream).
#include <cstdint>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "trainscope/core/run.hpp"
#include "trainscope/result.hpp"

namespace trainscope_test {

/// Empty when `a` and `b` are the same run, else what differs first.
inline std::string run_difference(const trainscope::run& a, const trainscope::run& b) {
  using trainscope::series;
  auto same_series = [](const series& x, const series& y) {
    if (x.name != y.name || x.steps != y.steps || x.values.size() != y.values.size()) return false;
    return x.values.empty() || std::memcmp(x.values.data(), y.values.data(), x.values.size() * sizeof(double)) == 0;
  };
  auto same_list = [&](const std::vector<series>& x, const std::vector<series>& y) {
    if (x.size() != y.size()) return false;
    for (std::size_t i = 0; i < x.size(); ++i)
      if (!same_series(x[i], y[i])) return false;
    return true;
  };
  const series* single[][2] = {{&a.train_loss, &b.train_loss},   {&a.val_loss, &b.val_loss},
                               {&a.checkpoint_train_loss, &b.checkpoint_train_loss},
                               {&a.lr, &b.lr},                   {&a.epoch, &b.epoch},
                               {&a.wall_time_s, &b.wall_time_s}, {&a.grad_norm, &b.grad_norm}};
  for (auto& [x, y] : single)
    if (!same_series(*x, *y)) return "series " + x->name;
  if (!same_list(a.named_val_loss, b.named_val_loss)) return "named_val_loss";
  if (!same_list(a.lr_groups, b.lr_groups)) return "lr_groups";
  if (!same_list(a.extra, b.extra)) return "extra";
  if (a.val_loss_key != b.val_loss_key) return "val_loss_key";
  if (a.config != b.config) return "config";
  if (a.summary != b.summary) return "summary";
  const auto &ma = a.model, &mb = b.model;
  if (ma.n_layer != mb.n_layer || ma.n_head != mb.n_head || ma.n_embd != mb.n_embd ||
      ma.block_size != mb.block_size || ma.dropout != mb.dropout)
    return "model";
  const auto &da = a.diagnostics, &db = b.diagnostics;
  std::ostringstream counts;
  counts << "counts: records " << da.records << "/" << db.records << " skipped " << da.skipped_records << "/"
         << db.skipped_records << " values " << da.skipped_values << "/" << db.skipped_values << " repeated "
         << da.repeated_steps << "/" << db.repeated_steps << " non-finite " << da.non_finite_values << "/"
         << db.non_finite_values << " restarts " << da.restarts << "/" << db.restarts;
  if (da.records != db.records || da.skipped_records != db.skipped_records ||
      da.skipped_values != db.skipped_values || da.repeated_steps != db.repeated_steps ||
      da.non_finite_values != db.non_finite_values || da.restarts != db.restarts ||
      da.dropped_records_before_restart != db.dropped_records_before_restart ||
      da.truncated_last_line != db.truncated_last_line || da.byte_order_mark != db.byte_order_mark)
    return counts.str();
  if (da.issues.size() != db.issues.size()) return "issue count";
  for (std::size_t i = 0; i < da.issues.size(); ++i) {
    const auto &x = da.issues[i], &y = db.issues[i];
    if (x.line != y.line || x.byte_offset != y.byte_offset || x.field != y.field || x.message != y.message)
      return "issue " + std::to_string(i) + ": line " + std::to_string(x.line) + " vs " + std::to_string(y.line) +
             ": " + x.message + " | " + y.message;
  }
  return {};
}

/// Empty when two readings came to the same outcome: the same run, or the same error (code, line,
/// offset, field, message); else what differs first.
inline std::string outcome_difference(const trainscope::result<trainscope::run>& a,
                                      const trainscope::result<trainscope::run>& b) {
  if (a.has_value() != b.has_value()) return a ? "only the second failed: " + b.error().message
                                               : "only the first failed: " + a.error().message;
  if (a) return run_difference(*a, *b);
  const trainscope::error &x = a.error(), &y = b.error();
  if (x.code != y.code || x.line != y.line || x.byte_offset != y.byte_offset || x.field != y.field ||
      x.message != y.message)
    return "errors: line " + std::to_string(x.line) + " vs " + std::to_string(y.line) + ": " + x.message + " | " +
           y.message;
  return {};
}

}  // namespace trainscope_test
