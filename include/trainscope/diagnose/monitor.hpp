#pragma once
/**
 * Online training monitor: the trainer reports each step's loss and each
 * checkpoint's validation metric; small observers decide whether to continue,
 * save the best checkpoint, skip a step, rewind or stop.
 *
 * @code
 *   trainscope::monitor mon{trainscope::early_stopping({.patience = 5, .noise_aware = true}),
 *                           trainscope::spike_guard<>{}, trainscope::finite_guard{}};
 *   for (step ...) {
 *     if (mon.on_step(step, loss).what == trainscope::action::skip_step) continue;
 *     if (eval_now) {
 *       auto d = mon.on_checkpoint(step, val_loss);
 *       if (d.should_save()) save_best();
 *       if (d.should_stop()) break;
 *     }
 *   }
 * @endcode
 */
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <tuple>
#include <type_traits>
#include <utility>

#include "trainscope/diagnose/decision.hpp"
#include "trainscope/diagnose/observers/early_stopping.hpp"
#include "trainscope/diagnose/observers/finite_guard.hpp"
#include "trainscope/diagnose/observers/spike_guard.hpp"

namespace trainscope::inline v1 {

/**
 * What an observer may provide (each hook is optional, ensmallen-callback style):
 *
 * | expression                         | meaning                                    |
 * |------------------------------------|--------------------------------------------|
 * | `o.on_step(step, loss)`            | per training step; returns `decision` or void |
 * | `o.on_checkpoint(step, value)`     | per evaluation; returns `decision` or void |
 * | `O::state_type`, `o.state()`, `o.restore(s)` | resumable state, trivially copyable |
 */
template <class O>
concept monitor_observer = requires(O& o, std::int64_t step, double v) { o.on_step(step, v); } ||
                           requires(O& o, std::int64_t step, double v) { o.on_checkpoint(step, v); };

namespace detail {
struct no_state {};
template <class O>
struct observer_state {
  using type = no_state;
};
template <class O>
  requires requires(const O& o) { typename O::state_type; o.state(); }
struct observer_state<O> {
  using type = typename O::state_type;
};
template <class O>
using observer_state_t = typename observer_state<O>::type;

inline constexpr std::uint64_t monitor_state_magic = 0x7473636d6f6e0001ULL;  // "tscmon", version 1
}  // namespace detail

/**
 * Composes observers; each call asks every observer that has the hook and merges
 * their decisions (most severe action wins, `new_best` if any said so). Header-only,
 * no allocation after construction, O(1) amortised per call for the bundled observers.
 */
template <class... Observers>
class monitor {
  static_assert(sizeof...(Observers) > 0, "monitor needs at least one observer, e.g. monitor{early_stopping{}}");
  static_assert((monitor_observer<Observers> && ...),
                "every observer must have on_step(std::int64_t, double) or on_checkpoint(std::int64_t, double)");

 public:
  /** Resumable state of every observer (`no_state` for observers without one). */
  using state_type = std::tuple<detail::observer_state_t<Observers>...>;
  static_assert((std::is_trivially_copyable_v<detail::observer_state_t<Observers>> && ...),
                "observer state_type must be trivially copyable so it can be saved as bytes");
  /// Size of `serialize()`'s output: a magic/version word then each observer's state.
  static constexpr std::size_t serialized_size =
      sizeof(std::uint64_t) + (sizeof(detail::observer_state_t<Observers>) + ... + 0);

  explicit monitor(Observers... observers) : observers_(std::move(observers)...) {}

  /// Reports one training step's loss.
  decision on_step(std::int64_t step, double loss) noexcept {
    decision out;
    out.step = step;
    out.value = loss;
    std::apply([&](auto&... o) { (visit_step(o, step, loss, out), ...); }, observers_);
    return out;
  }

  /// Reports one checkpoint's monitored metric (validation loss).
  decision on_checkpoint(std::int64_t step, double value) noexcept {
    decision out;
    out.step = step;
    out.value = value;
    std::apply([&](auto&... o) { (visit_checkpoint(o, step, value, out), ...); }, observers_);
    return out;
  }

  template <std::size_t I>
  auto& get() noexcept { return std::get<I>(observers_); }
  template <class O>
  O& get() noexcept { return std::get<O>(observers_); }

  /// State of every observer, to store with the trainer's checkpoint.
  state_type state() const {
    return std::apply([](const auto&... o) { return state_type{state_of(o)...}; }, observers_);
  }
  void restore(const state_type& s) {
    restore_each(s, std::index_sequence_for<Observers...>{});
  }

  /// The state as bytes (host byte order; for the same build to resume from).
  std::array<std::byte, serialized_size> serialize() const {
    std::array<std::byte, serialized_size> out{};
    const state_type s = state();
    std::size_t at = 0;
    std::memcpy(out.data(), &detail::monitor_state_magic, sizeof(std::uint64_t));
    at += sizeof(std::uint64_t);
    std::apply([&](const auto&... part) { ((std::memcpy(out.data() + at, &part, sizeof(part)), at += sizeof(part)), ...); }, s);
    return out;
  }
  /// Restores from `serialize()` output; false (and no change) if the bytes are not ours.
  bool deserialize(std::span<const std::byte> bytes) {
    std::uint64_t magic = 0;
    if (bytes.size() != serialized_size) return false;
    std::memcpy(&magic, bytes.data(), sizeof magic);
    if (magic != detail::monitor_state_magic) return false;
    state_type s{};
    std::size_t at = sizeof(std::uint64_t);
    std::apply([&](auto&... part) { ((std::memcpy(&part, bytes.data() + at, sizeof(part)), at += sizeof(part)), ...); }, s);
    restore(s);
    return true;
  }

 private:
  template <class O>
  static void visit_step(O& o, std::int64_t step, double loss, decision& out) noexcept {
    if constexpr (requires { o.on_step(step, loss); }) {
      if constexpr (std::is_same_v<decltype(o.on_step(step, loss)), decision>) out = merge(out, o.on_step(step, loss));
      else o.on_step(step, loss);
    }
  }
  template <class O>
  static void visit_checkpoint(O& o, std::int64_t step, double value, decision& out) noexcept {
    if constexpr (requires { o.on_checkpoint(step, value); }) {
      if constexpr (std::is_same_v<decltype(o.on_checkpoint(step, value)), decision>)
        out = merge(out, o.on_checkpoint(step, value));
      else o.on_checkpoint(step, value);
    }
  }
  template <class O>
  static detail::observer_state_t<O> state_of(const O& o) {
    if constexpr (std::is_same_v<detail::observer_state_t<O>, detail::no_state>) return {};
    else return o.state();
  }
  template <std::size_t... I>
  void restore_each(const state_type& s, std::index_sequence<I...>) {
    (restore_one(std::get<I>(observers_), std::get<I>(s)), ...);
  }
  template <class O, class S>
  static void restore_one(O& o, const S& s) {
    if constexpr (!std::is_same_v<S, detail::no_state>) o.restore(s);
  }

  std::tuple<Observers...> observers_;
};

}  // namespace trainscope::inline v1
