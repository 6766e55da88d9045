#pragma once
/** Per-step loss spike guard: robust z-score against a rolling window, with a recovery window. */
#include <algorithm>
#include <array>
#include <cassert>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "trainscope/diagnose/decision.hpp"

namespace trainscope::inline v1 {

/** Settings of `spike_guard`. */
struct spike_guard_options {
  std::size_t min_history = 20;    ///< steps before the guard starts judging
  double z = 6.0;                  ///< robust z-score (x - median) / (1.4826 MAD) of a spike
  double min_relative = 0.1;       ///< and at least this fraction above the median
  std::size_t recovery_steps = 20; ///< consecutive spiking steps after which to rewind instead of skip
  std::size_t refresh_every = 16;  ///< recompute median and MAD every this many accepted steps
};

/**
 * Spike guard observer for `monitor`: `on_step` only. Keeps the last `Capacity`
 * accepted losses in a fixed ring buffer (spikes do not enter it); the median and
 * MAD are recomputed every `refresh_every` accepted steps, so a step costs O(1)
 * amortised (O(Capacity) every `refresh_every` steps) and never allocates.
 * A spike asks for `skip_step`; a spike lasting `recovery_steps` asks for `rewind`.
 */
template <std::size_t Capacity = 64>
class spike_guard {
  static_assert(Capacity >= 8, "spike_guard needs a window of at least 8 steps to estimate a median and MAD");

 public:
  /** Trivially copyable state: the window, its statistics and the current spike. */
  struct state_type {
    std::array<double, Capacity> window{};
    std::uint32_t head = 0, count = 0, since_refresh = 0;
    double median = 0, scale = 0;
    std::uint32_t spiking = 0;  ///< consecutive spiking steps
    std::uint64_t spikes = 0;   ///< spikes seen in all
  };

  explicit spike_guard(spike_guard_options opts = {}) noexcept : opts_(opts) {
    assert(opts_.refresh_every > 0 && opts_.min_history <= Capacity);
  }

  decision on_step(std::int64_t step, double loss) noexcept {
    decision d;
    d.step = step;
    d.value = loss;
    auto& s = state_;
    if (!std::isfinite(loss)) return d;  // the finite guard's business
    if (s.count >= opts_.min_history) {
      const double threshold = std::max(s.median + opts_.z * s.scale, s.median + opts_.min_relative * std::abs(s.median));
      if (loss > threshold) {
        if (s.spiking == 0) ++s.spikes;
        ++s.spiking;
        d.reference = s.median;
        if (s.spiking >= opts_.recovery_steps) {
          d.what = action::rewind;
          d.reason = "loss spike did not recover within the recovery window";
          s.spiking = 0;
        } else {
          d.what = action::skip_step;
          d.reason = "loss spike (robust z-score above threshold)";
        }
        return d;
      }
    }
    s.spiking = 0;
    s.window[s.head] = loss;
    s.head = static_cast<std::uint32_t>((s.head + 1) % Capacity);
    s.count = std::min<std::uint32_t>(s.count + 1, Capacity);
    if (++s.since_refresh >= opts_.refresh_every || s.count <= opts_.min_history) refresh();
    return d;
  }

  std::uint64_t spikes() const noexcept { return state_.spikes; }
  double baseline() const noexcept { return state_.median; }
  const state_type& state() const noexcept { return state_; }
  void restore(const state_type& s) noexcept { state_ = s; }

 private:
  void refresh() noexcept {
    auto& s = state_;
    s.since_refresh = 0;
    std::array<double, Capacity> tmp = s.window;
    const auto n = static_cast<std::ptrdiff_t>(s.count);
    const auto mid = tmp.begin() + n / 2;
    std::nth_element(tmp.begin(), mid, tmp.begin() + n);
    s.median = *mid;
    for (std::ptrdiff_t i = 0; i < n; ++i) tmp[static_cast<std::size_t>(i)] = std::abs(tmp[static_cast<std::size_t>(i)] - s.median);
    std::nth_element(tmp.begin(), mid, tmp.begin() + n);
    s.scale = 1.482602218505602 * *mid;
  }

  spike_guard_options opts_;
  state_type state_{};
};

}  // namespace trainscope::inline v1
