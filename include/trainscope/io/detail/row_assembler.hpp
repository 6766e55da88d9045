#pragma once
/**
 * Turns sparse rows of named values (CSV rows, TensorBoard events) into run records.
 * Consecutive rows at the same step are merged into one record, so a Lightning log that
 * writes lr, train and val metrics of one step on separate rows yields one record and no
 * spurious "repeated step"; a value that would overwrite one already pending starts a new record.
 */
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "trainscope/core/record.hpp"
#include "trainscope/core/run_builder.hpp"
#include "trainscope/io/detail/metric_names.hpp"

namespace trainscope::inline v1::io::detail {

/** Finds or appends the series called `name` in `list`. */
inline series& series_named(std::vector<series>& list, std::string_view name) {
  for (auto& s : list)
    if (s.name == name) return s;
  return list.emplace_back(std::string(name));
}

class row_assembler {
 public:
  row_assembler(const metric_plan& plan, run_builder& builder)
      : plan_(plan), builder_(builder), pending_(plan.slots.size()), own_axis_pos_(plan.slots.size(), npos) {
    for (const auto& slot : plan.slots) {
      train_total_ += slot.component == loss_component::train;
      val_total_ += slot.component == loss_component::val;
    }
  }

  /// Starts a row at `step` (nullopt: the logger wrote none); flushes the pending record if the step differs.
  void begin(std::optional<std::int64_t> step, std::size_t line, std::uint64_t byte_offset,
             std::optional<double> wall_time_s = std::nullopt) {
    if (any_ && (!step || !step_ || *step != *step_)) flush();
    if (!any_) {
      step_ = step;
      line_ = line;
      offset_ = byte_offset;
      wall_ = wall_time_s;
    }
    row_step_ = step;
  }

  /// Sets the value of column `slot` in the current row.
  void value(std::size_t slot, double v) {
    const auto kind = plan_.slots[slot].kind;
    if (kind == slot_kind::step) return;
    if (kind == slot_kind::own_axis) {
      if (row_step_) own_axis_value(slot, *row_step_, v);
      return;
    }
    if (pending_[slot] && *pending_[slot] == v) return;  // the same value again (Lightning repeats epoch)
    if (pending_[slot]) {  // the same column twice at one step with another value: two records
      const auto step = step_;
      const auto line = line_;
      const auto offset = offset_;
      flush();
      step_ = step;
      line_ = line;
      offset_ = offset;
    }
    pending_[slot] = v;
    filled_.push_back(slot);
    any_ = true;
  }

  /// A value on its own step counter: kept apart so it neither merges with nor restarts the global axis.
  void own_axis_value(std::size_t slot, std::int64_t step, double v) {
    // the series' position is cached per slot and checked, since a restart empties run.extra
    auto& list = builder_.current().extra;
    std::size_t& pos = own_axis_pos_[slot];
    if (pos >= list.size() || list[pos].name != plan_.slots[slot].name) {
      series& found = series_named(list, plan_.slots[slot].name);
      pos = static_cast<std::size_t>(&found - list.data());
    }
    auto& s = list[pos];
    builder_.diagnostics().repeated_steps += s.put(step, v);
    if (!std::isfinite(v)) ++builder_.diagnostics().non_finite_values;
  }

  /// Emits the pending record, if any.
  void flush() {
    if (!any_) return;
    record r;
    r.kind = record_kind::train;
    r.step = step_;
    r.line = line_;
    r.byte_offset = offset_;
    named_.clear();
    groups_.clear();
    extra_.clear();
    double train_sum = 0, val_sum = 0;
    std::size_t train_parts = 0, val_parts = 0;
    // only the filled slots, in column order: a row costs what it holds, not the header's width
    std::sort(filled_.begin(), filled_.end());
    for (const std::size_t i : filled_) {
      const auto& slot = plan_.slots[i];
      const double v = *pending_[i];
      switch (slot.kind) {
        case slot_kind::train_loss: r.loss = v; break;
        case slot_kind::val_loss: r.val_loss = v; break;
        case slot_kind::lr: r.lr = v; break;
        case slot_kind::epoch: r.epoch = v; break;
        case slot_kind::wall_time: r.wall_time_s = v; break;
        case slot_kind::grad_norm: r.grad_norm = v; break;
        case slot_kind::named_val_loss: named_.push_back({slot.name, v}); break;
        case slot_kind::lr_group: groups_.push_back({slot.name, v}); break;
        case slot_kind::extra: extra_.push_back({slot.name, v}); break;
        case slot_kind::step:
        case slot_kind::own_axis: break;
      }
      if (slot.component == loss_component::train) {
        train_sum += v;
        ++train_parts;
      } else if (slot.component == loss_component::val) {
        val_sum += v;
        ++val_parts;
      }
    }
    // a summed loss exists only where every component was logged
    if (plan_.train_is_sum && train_parts == train_total_) r.loss = train_sum;
    if (plan_.val_is_sum && val_parts == val_total_) r.val_loss = val_sum;
    if (!r.wall_time_s && wall_) r.wall_time_s = wall_;
    r.named_val_losses = named_;
    r.lr_groups = groups_;
    r.extra = extra_;
    builder_.add(r);
    for (const std::size_t i : filled_) pending_[i].reset();
    filled_.clear();
    any_ = false;
  }

 private:
  const metric_plan& plan_;
  run_builder& builder_;
  std::vector<std::optional<double>> pending_;
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);
  std::vector<std::size_t> filled_;  ///< slots set in the pending record
  std::vector<std::size_t> own_axis_pos_;  ///< position in run.extra of each own-axis slot's series
  std::size_t train_total_ = 0, val_total_ = 0;  ///< component columns in the plan
  std::vector<named_value> named_, groups_, extra_;
  std::optional<std::int64_t> step_, row_step_;
  std::optional<double> wall_;
  std::size_t line_ = 0;
  std::uint64_t offset_ = 0;
  bool any_ = false;
};

}  // namespace trainscope::inline v1::io::detail
