#pragma once
/** One log record after key classification: what readers hand to a streaming callback. */
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <utility>

namespace trainscope::inline v1 {

/** What a record is, decided before its keys are read. */
enum class record_kind {
  train,    ///< a training step: loss, lr, grad norm...
  eval,     ///< an evaluation: validation loss; a train_loss here is the checkpoint's training loss
  config,   ///< configuration or metadata (model shape, schedule name...)
  summary,  ///< end-of-run summary: its train_loss is a run average and feeds no series
};

constexpr std::string_view to_string(record_kind k) noexcept {
  switch (k) {
    case record_kind::train: return "train";
    case record_kind::eval: return "eval";
    case record_kind::config: return "config";
    case record_kind::summary: return "summary";
  }
  return "unknown";
}

/** A named number (eval set loss, parameter-group lr, extra metric); views into reader memory. */
struct named_value {
  std::string_view name;
  double value = 0;
};

/** A key with its value as text (config, metadata and summary fields). */
using text_field = std::pair<std::string_view, std::string_view>;

/**
 * A train or eval record made of its step and one-value roles only (no named values, groups, extras or
 * fields): how the JSONL reader hands on most records, so a record need not be built and taken apart for
 * each. run_builder::add reads it as the `record` with the same step and values.
 */
struct record_values {
  /// Index of each role in `values`, in `record`'s order.
  enum role : unsigned { loss, val_loss, lr, epoch, wall_time_s, grad_norm, roles };
  static constexpr unsigned step_bit = 1u << 7;

  record_kind kind = record_kind::train;
  std::uint8_t present = 0;  ///< bit i: values[i] was logged; step_bit: step was
  std::int64_t step = 0;
  double values[roles] = {};

  bool has(unsigned i) const noexcept { return (present >> i) & 1u; }
  void set(unsigned i, double v) noexcept {
    present = static_cast<std::uint8_t>(present | (1u << i));
    values[i] = v;
  }
};

/**
 * One record, with every known role resolved. Views are valid only during the
 * callback that receives the record.
 */
struct record {
  record_kind kind = record_kind::train;
  std::optional<std::int64_t> step;
  std::optional<double> loss;       ///< train loss (train record) or checkpoint train loss (eval record)
  std::optional<double> val_loss;   ///< plain validation loss
  std::optional<double> lr;
  std::optional<double> epoch;
  std::optional<double> wall_time_s;
  std::optional<double> grad_norm;
  std::span<const named_value> named_val_losses;  ///< eval_<name>_loss, name = "<name>"
  std::span<const named_value> lr_groups;         ///< lr per parameter group, in group order
  std::span<const named_value> extra;             ///< other numeric fields, by key
  std::span<const text_field> fields;             ///< config / metadata / summary fields as text
  std::size_t line = 0;                           ///< 1-based line (record index for binary formats)
  std::uint64_t byte_offset = 0;
};

/// The kind, step and one-value roles of `r`.
inline record_values values_of(const record& r) noexcept {
  record_values v;
  v.kind = r.kind;
  const std::optional<double>* roles[record_values::roles] = {&r.loss,  &r.val_loss,    &r.lr,
                                                               &r.epoch, &r.wall_time_s, &r.grad_norm};
  for (unsigned i = 0; i < record_values::roles; ++i)
    if (*roles[i]) v.set(i, **roles[i]);
  if (r.step) v.present = static_cast<std::uint8_t>(v.present | record_values::step_bit), v.step = *r.step;
  return v;
}

/// Sets the kind, step and one-value roles of `r` from `v` (the rest of `r` stays as it is).
inline void set_values(record& r, const record_values& v) noexcept {
  r.kind = v.kind;
  std::optional<double>* roles[record_values::roles] = {&r.loss, &r.val_loss, &r.lr, &r.epoch, &r.wall_time_s, &r.grad_norm};
  for (unsigned i = 0; i < record_values::roles; ++i)
    if (v.has(i)) *roles[i] = v.values[i];
    else roles[i]->reset();
  if (v.present & record_values::step_bit) r.step = v.step;
  else r.step.reset();
}

}  // namespace trainscope::inline v1
