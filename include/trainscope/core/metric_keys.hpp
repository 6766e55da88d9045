#pragma once
/** Which role a logged key plays: the alias rules every reader shares. */
#include <array>
#include <string>
#include <string_view>

namespace trainscope::inline v1 {

/** The roles the run model knows. */
enum class metric_role {
  none,
  step,
  train_loss,
  val_loss,        ///< plain validation loss (val_loss, eval_loss, ...)
  named_val_loss,  ///< eval_<name>_loss: one of several evaluation sets
  lr,
  epoch,
  wall_time,
  grad_norm,
  n_layer,
  n_head,
  n_embd,
  block_size,
  dropout,
};

/** A key's role, and for named evaluation sets the set's name. */
struct key_role {
  metric_role role = metric_role::none;
  std::string_view name;  ///< for named_val_loss: "<name>" of eval_<name>_loss
};

namespace detail {
template <std::size_t N>
constexpr bool one_of(std::string_view key, const std::array<std::string_view, N>& names) noexcept {
  for (auto n : names)
    if (key == n) return true;
  return false;
}
}  // namespace detail

inline constexpr std::array<std::string_view, 5> step_keys{"step", "iter", "iteration", "global_step", "_step"};
inline constexpr std::array<std::string_view, 3> train_loss_keys{"loss", "train_loss", "train/loss"};
inline constexpr std::array<std::string_view, 6> val_loss_keys{"val_loss", "eval_loss", "valid_loss",
                                                               "test_loss", "val/loss", "eval/loss"};
inline constexpr std::array<std::string_view, 5> lr_keys{"lr", "learning_rate", "train_lr", "train/lr",
                                                         "train/learning_rate"};
inline constexpr std::array<std::string_view, 5> wall_time_keys{"time", "timestamp", "_timestamp", "wall_time",
                                                                "elapsed"};
inline constexpr std::array<std::string_view, 2> grad_norm_keys{"grad_norm", "train/grad_norm"};

/**
 * Classifies a key by the alias rules (exact, case-sensitive, as loggers write them).
 * O(number of aliases); readers cache the result per distinct key.
 */
constexpr key_role classify_key(std::string_view key) noexcept {
  using detail::one_of;
  if (one_of(key, step_keys)) return {metric_role::step, {}};
  if (one_of(key, train_loss_keys)) return {metric_role::train_loss, {}};
  if (one_of(key, val_loss_keys)) return {metric_role::val_loss, {}};
  if (one_of(key, lr_keys)) return {metric_role::lr, {}};
  if (key == "epoch") return {metric_role::epoch, {}};
  if (one_of(key, wall_time_keys)) return {metric_role::wall_time, {}};
  if (one_of(key, grad_norm_keys)) return {metric_role::grad_norm, {}};
  if (key == "n_layer" || key == "num_layers") return {metric_role::n_layer, {}};
  if (key == "n_head") return {metric_role::n_head, {}};
  if (key == "n_embd" || key == "d_model" || key == "hidden_size") return {metric_role::n_embd, {}};
  if (key == "block_size" || key == "context_length" || key == "max_seq_len") return {metric_role::block_size, {}};
  if (key == "dropout") return {metric_role::dropout, {}};
  constexpr std::string_view eval_prefix = "eval_", loss_suffix = "_loss";
  if (key.size() > eval_prefix.size() + loss_suffix.size() && key.starts_with(eval_prefix) &&
      key.ends_with(loss_suffix))
    return {metric_role::named_val_loss,
            key.substr(eval_prefix.size(), key.size() - eval_prefix.size() - loss_suffix.size())};
  return {};
}

/**
 * An explicit key mapping: a non-empty entry names the key for that role and turns
 * off detection for it (the detected aliases of that role are then ignored).
 */
struct key_mapping {
  std::string step, train_loss, val_loss, lr, epoch, wall_time;
  bool empty() const noexcept {
    return step.empty() && train_loss.empty() && val_loss.empty() && lr.empty() && epoch.empty() &&
           wall_time.empty();
  }
};

/** Role of `key` under an explicit mapping, falling back to detection for unmapped roles. */
inline key_role classify_key(std::string_view key, const key_mapping& mapping) noexcept {
  const std::pair<const std::string*, metric_role> roles[] = {
      {&mapping.step, metric_role::step},   {&mapping.train_loss, metric_role::train_loss},
      {&mapping.val_loss, metric_role::val_loss}, {&mapping.lr, metric_role::lr},
      {&mapping.epoch, metric_role::epoch}, {&mapping.wall_time, metric_role::wall_time}};
  for (const auto& [k, r] : roles)
    if (!k->empty() && key == *k) return {r, {}};
  key_role detected = classify_key(key);
  for (const auto& [k, r] : roles)
    if (detected.role == r && !k->empty()) return {};  // role taken by the mapping
  return detected;
}

}  // namespace trainscope::inline v1
