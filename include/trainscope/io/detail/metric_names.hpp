#pragma once
/**
 * Roles of column names (CSV) and tags (TensorBoard), where every name is known before
 * the values: the shared alias rules (core/metric_keys.hpp) plus the logger conventions
 * seen in real files, and a choice of one name per role when several qualify.
 */
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "trainscope/core/metric_keys.hpp"

namespace trainscope::inline v1::io::detail {

/** Where a named column's values go. */
enum class slot_kind : unsigned char {
  extra,           ///< run.extra under its own name
  step,
  train_loss,
  val_loss,
  named_val_loss,  ///< eval_<name>_loss
  lr,
  lr_group,        ///< one parameter group's lr (lr/pg0, lr-SGD/pg1)
  epoch,
  wall_time,
  grad_norm,
  own_axis,        ///< counts its own steps (Lightning's val_loss_step): run.extra, outside the global step axis
};

/** Which summed loss a component column belongs to (YOLO's train/box_loss, val/dfl_loss...). */
enum class loss_component : unsigned char { none, train, val };

/** A name's candidate role; lower rank wins when several names claim one role. */
struct name_role {
  slot_kind kind = slot_kind::extra;
  int rank = 100;
  std::string_view name;  ///< set name (named_val_loss) or group name (lr_group)
  loss_component component = loss_component::none;
};

namespace names {
inline constexpr int mapped = 0;      // the user named this key
inline constexpr int direct = 10;     // an alias of core/metric_keys.hpp, or a per-step variant
inline constexpr int epoch_var = 15;  // val_loss_epoch: validation is per epoch anyway
inline constexpr int fallback = 30;   // train_loss_epoch, test_loss: used only when nothing better exists
}  // namespace names

inline bool mapping_names(const key_mapping& m, std::string_view key) noexcept {
  for (const std::string* k : {&m.step, &m.train_loss, &m.val_loss, &m.lr, &m.epoch, &m.wall_time})
    if (!k->empty() && key == *k) return true;
  return false;
}

/**
 * The candidate role of one column or tag name.
 * Beyond classify_key: Lightning's `<metric>_step` / `<metric>_epoch` variants and
 * `lr-<Optimizer>[/pgN]` (LearningRateMonitor); Keras TF2's `epoch_loss`; YOLO's
 * `train/<part>_loss`, `val/<part>_loss` components and `lr/pgN` groups.
 */
inline name_role classify_metric_name(std::string_view name, const key_mapping& mapping) noexcept {
  using names::direct;
  const key_role kr = classify_key(name, mapping);
  const int base_rank = mapping_names(mapping, name) ? names::mapped : direct;
  switch (kr.role) {
    case metric_role::step: return {slot_kind::step, base_rank, {}, {}};
    case metric_role::train_loss: return {slot_kind::train_loss, base_rank, {}, {}};
    case metric_role::val_loss:
      // a held-out test loss is validation only when no validation loss was logged
      return {slot_kind::val_loss, name.starts_with("test") && base_rank ? names::fallback : base_rank, {}, {}};
    case metric_role::named_val_loss: return {slot_kind::named_val_loss, direct, kr.name, {}};
    case metric_role::lr: return {slot_kind::lr, base_rank, {}, {}};
    case metric_role::epoch: return {slot_kind::epoch, base_rank, {}, {}};
    case metric_role::wall_time: return {slot_kind::wall_time, base_rank, {}, {}};
    case metric_role::grad_norm: return {slot_kind::grad_norm, direct, {}, {}};
    case metric_role::none: break;
    default: return {};  // model-shape keys as columns are just numbers
  }
  if (classify_key(name).role != metric_role::none) return {};  // an alias whose role the mapping took
  const bool train_free = mapping.train_loss.empty(), val_free = mapping.val_loss.empty(),
             lr_free = mapping.lr.empty();
  auto base_role = [](std::string_view base) { return classify_key(base).role; };
  if (name.ends_with("_step")) {
    const auto r = base_role(name.substr(0, name.size() - 5));
    if (r == metric_role::train_loss && train_free) return {slot_kind::train_loss, direct, {}, {}};
    // Lightning logs validation/test metrics with on_step=True against a counter of their own
    const std::string_view base = name.substr(0, name.size() - 5);
    if (r == metric_role::val_loss || r == metric_role::named_val_loss || base.starts_with("val_") ||
        base.starts_with("valid_") || base.starts_with("test_") || base.starts_with("val/") || base.starts_with("eval_"))
      return {slot_kind::own_axis, direct, {}, {}};
    return {};
  }
  if (name.ends_with("_epoch")) {
    const auto r = base_role(name.substr(0, name.size() - 6));
    if (r == metric_role::train_loss && train_free) return {slot_kind::train_loss, names::fallback, {}, {}};
    if (r == metric_role::val_loss && val_free) return {slot_kind::val_loss, names::epoch_var, {}, {}};
    return {};
  }
  if (name == "epoch_loss" && train_free) return {slot_kind::train_loss, names::fallback, {}, {}};
  if ((name == "epoch_val_loss" || name == "validation/epoch_loss") && val_free)
    return {slot_kind::val_loss, names::fallback, {}, {}};
  if ((name == "epoch_lr" || name == "epoch_learning_rate") && lr_free) return {slot_kind::lr, names::fallback, {}, {}};
  if (name.starts_with("lr-") && lr_free) {
    if (name.find("-momentum") != std::string_view::npos || name.find("-beta") != std::string_view::npos) return {};
    if (name.find("/pg") != std::string_view::npos) return {slot_kind::lr_group, direct, name.substr(3), {}};
    return {slot_kind::lr, direct, {}, {}};
  }
  if (name.starts_with("lr/") && name.size() > 3 && lr_free) return {slot_kind::lr_group, direct, name.substr(3), {}};
  if (name.ends_with("_loss")) {
    if (name.starts_with("train/") && train_free) return {slot_kind::extra, 100, {}, loss_component::train};
    if (name.starts_with("val/") && val_free) return {slot_kind::extra, 100, {}, loss_component::val};
  }
  return {};
}

/** One input name with its final role. */
struct metric_slot {
  slot_kind kind = slot_kind::extra;
  std::string name;  ///< series name: the input name, or the set / group name
  loss_component component = loss_component::none;
};

/** Roles for a whole header (or tag set), with the summed-loss definitions when there is no total. */
struct metric_plan {
  std::vector<metric_slot> slots;  ///< parallel to the input names
  bool train_is_sum = false;       ///< train loss = sum of the train components
  bool val_is_sum = false;
  std::string train_definition;    ///< "sum of train/box_loss+train/seg_loss+..."
  std::string val_definition;
  bool has_step = false;
};

/**
 * Assigns roles: for each single role (step, train loss, val loss, lr, epoch, wall time,
 * grad norm) the lowest-ranked name wins, the first on ties; the others stay in extra
 * under their own names, so nothing is dropped. O(n).
 */
inline metric_plan plan_metrics(std::span<const std::string_view> input_names, const key_mapping& mapping) {
  metric_plan plan;
  plan.slots.resize(input_names.size());
  std::vector<name_role> roles(input_names.size());
  constexpr std::size_t n_kinds = static_cast<std::size_t>(slot_kind::own_axis) + 1;
  std::size_t winner[n_kinds];
  for (auto& w : winner) w = static_cast<std::size_t>(-1);
  auto single = [](slot_kind k) {
    return k == slot_kind::step || k == slot_kind::train_loss || k == slot_kind::val_loss || k == slot_kind::lr ||
           k == slot_kind::epoch || k == slot_kind::wall_time || k == slot_kind::grad_norm;
  };
  for (std::size_t i = 0; i < input_names.size(); ++i) {
    roles[i] = classify_metric_name(input_names[i], mapping);
    const auto k = static_cast<std::size_t>(roles[i].kind);
    if (single(roles[i].kind) && (winner[k] == static_cast<std::size_t>(-1) || roles[i].rank < roles[winner[k]].rank))
      winner[k] = i;
  }
  for (std::size_t i = 0; i < input_names.size(); ++i) {
    auto& s = plan.slots[i];
    const auto& r = roles[i];
    s.name = std::string(input_names[i]);
    s.component = r.component;
    if (single(r.kind)) {
      s.kind = winner[static_cast<std::size_t>(r.kind)] == i ? r.kind : slot_kind::extra;
    } else {
      s.kind = r.kind;
      if (r.kind == slot_kind::named_val_loss || r.kind == slot_kind::lr_group) s.name = std::string(r.name);
    }
  }
  plan.has_step = winner[static_cast<std::size_t>(slot_kind::step)] != static_cast<std::size_t>(-1);
  auto define = [&](loss_component c, slot_kind total, bool& is_sum, std::string& definition) {
    if (winner[static_cast<std::size_t>(total)] != static_cast<std::size_t>(-1)) return;
    for (const auto& s : plan.slots) {
      if (s.component != c) continue;
      definition += is_sum ? "+" : "sum of ";
      definition += s.name;
      is_sum = true;
    }
  };
  define(loss_component::train, slot_kind::train_loss, plan.train_is_sum, plan.train_definition);
  define(loss_component::val, slot_kind::val_loss, plan.val_is_sum, plan.val_definition);
  return plan;
}

}  // namespace trainscope::inline v1::io::detail
