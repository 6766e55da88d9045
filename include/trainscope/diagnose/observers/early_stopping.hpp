#pragma once
/** Early stopping on a checkpoint metric: Lightning's options plus a noise-aware mode. */
#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>

#include "trainscope/diagnose/decision.hpp"

namespace trainscope::inline v1 {

/** Settings of `early_stopping`; the first seven mirror PyTorch Lightning's `EarlyStopping`. */
struct early_stopping_options {
  enum class direction : std::uint8_t { min, max };
  direction mode = direction::min;
  double min_delta = 0.0;              ///< smallest change that counts as an improvement
  bool min_delta_is_relative = false;  ///< min_delta is a fraction of |best| instead of an absolute change
  std::size_t patience = 3;            ///< checkpoints without improvement before stopping
  std::optional<double> stopping_threshold = std::nullopt;    ///< stop as soon as the metric is better than this
  std::optional<double> divergence_threshold = std::nullopt;  ///< stop as soon as the metric is worse than this
  bool check_finite = true;                    ///< stop when the metric is NaN or infinite
  std::size_t warmup_checkpoints = 0;          ///< checkpoints that never count against patience
  /**
   * Noise-aware mode: an improvement must also exceed `noise_z` times the checkpoint
   * noise measured online (robust, from the last checkpoints), so patience is not
   * reset by noise; a merely lower value is still saved as the best checkpoint.
   */
  bool noise_aware = false;
  double noise_z = 2.0;
};

/**
 * Early-stopping observer for `monitor`: `on_checkpoint` only. O(1) per checkpoint
 * (O(K) with K = 32 in noise-aware mode), no allocation, state is trivially copyable.
 */
class early_stopping {
 public:
  static constexpr std::size_t noise_capacity = 32;

  /** Everything needed to resume after a restart. */
  struct state_type {
    double best = std::numeric_limits<double>::quiet_NaN();
    std::int64_t best_step = -1;
    double significant_best = std::numeric_limits<double>::quiet_NaN();  ///< noise-aware reference
    std::uint64_t wait = 0;
    std::uint64_t checkpoints = 0;
    // the last three checkpoints and the noise residual ring (noise-aware mode)
    std::array<double, 3> last_values{};
    std::array<std::int64_t, 3> last_steps{};
    std::array<double, noise_capacity> residuals{};
    std::uint32_t residual_head = 0, residual_count = 0;
  };

  explicit early_stopping(early_stopping_options opts = {}) noexcept : opts_(opts) {}

  decision on_checkpoint(std::int64_t step, double value) noexcept {
    decision d;
    d.step = step;
    d.value = value;
    auto& s = state_;
    if (!std::isfinite(value)) {
      if (opts_.check_finite) {
        d.what = action::stop;
        d.reason = "monitored metric is not finite";
      }
      return d;
    }
    ++s.checkpoints;
    push_history(step, value);
    const bool first = std::isnan(s.best);
    d.reference = s.best;
    if (first || better(value, s.best)) {
      s.best = value;
      s.best_step = step;
      d.new_best = true;
      d.what = action::new_best_save;
      d.reason = "new best checkpoint";
    }
    const double margin = required_improvement(first ? value : s.significant_best);
    const bool significant = first || better(value, shifted(s.significant_best, margin));
    if (significant) {
      s.significant_best = value;
      s.wait = 0;
    } else if (s.checkpoints > opts_.warmup_checkpoints) {
      ++s.wait;
    }
    if (opts_.stopping_threshold && better(value, *opts_.stopping_threshold)) {
      d.what = action::stop;
      d.reference = *opts_.stopping_threshold;
      d.reason = "metric reached the stopping threshold";
    } else if (opts_.divergence_threshold && better(*opts_.divergence_threshold, value)) {
      d.what = action::stop;
      d.reference = *opts_.divergence_threshold;
      d.reason = "metric is worse than the divergence threshold";
    } else if (s.wait >= opts_.patience && s.checkpoints > opts_.warmup_checkpoints) {
      d.what = action::stop;
      d.reference = s.best;
      d.reason = opts_.noise_aware ? "no improvement above the checkpoint noise within patience"
                                   : "no improvement within patience";
    }
    return d;
  }

  /// Best value so far and its step.
  double best() const noexcept { return state_.best; }
  std::int64_t best_step() const noexcept { return state_.best_step; }
  std::uint64_t wait() const noexcept { return state_.wait; }
  /// Checkpoint noise measured so far (sigma), NaN before 3 residuals.
  double noise_sigma() const noexcept {
    const auto& s = state_;
    if (s.residual_count < 3) return std::numeric_limits<double>::quiet_NaN();
    std::array<double, noise_capacity> tmp = s.residuals;
    const auto n = static_cast<std::ptrdiff_t>(s.residual_count);
    std::nth_element(tmp.begin(), tmp.begin() + n / 2, tmp.begin() + n);
    return 1.482602218505602 * tmp[static_cast<std::size_t>(n / 2)];  // MAD about 0 -> sigma
  }

  const state_type& state() const noexcept { return state_; }
  void restore(const state_type& s) noexcept { state_ = s; }

 private:
  bool better(double a, double b) const noexcept {
    return opts_.mode == early_stopping_options::direction::min ? a < b : a > b;
  }
  /// `ref` moved by `margin` in the direction of improvement.
  double shifted(double ref, double margin) const noexcept {
    return opts_.mode == early_stopping_options::direction::min ? ref - margin : ref + margin;
  }
  double required_improvement(double ref) const noexcept {
    double m = opts_.min_delta_is_relative ? std::abs(opts_.min_delta * ref) : std::abs(opts_.min_delta);
    if (opts_.noise_aware) {
      const double sigma = noise_sigma();
      if (std::isfinite(sigma)) m = std::max(m, opts_.noise_z * sigma);
    }
    return m;
  }
  // The middle of the last three checkpoints against the line through its neighbours
  // (see estimate_noise in stats/noise.hpp): removes the trend, keeps the noise.
  void push_history(std::int64_t step, double value) noexcept {
    auto& s = state_;
    s.last_values = {s.last_values[1], s.last_values[2], value};
    s.last_steps = {s.last_steps[1], s.last_steps[2], step};
    if (s.checkpoints < 3) return;
    const double t0 = static_cast<double>(s.last_steps[0]), t1 = static_cast<double>(s.last_steps[1]),
                 t2 = static_cast<double>(s.last_steps[2]);
    if (!(t2 > t0)) return;
    const double w = (t2 - t1) / (t2 - t0);
    const double r = (s.last_values[1] - (w * s.last_values[0] + (1 - w) * s.last_values[2])) /
                     std::sqrt(1 + w * w + (1 - w) * (1 - w));
    s.residuals[s.residual_head] = std::abs(r);
    s.residual_head = static_cast<std::uint32_t>((s.residual_head + 1) % noise_capacity);
    s.residual_count = std::min<std::uint32_t>(s.residual_count + 1, noise_capacity);
  }

  early_stopping_options opts_;
  state_type state_{};
};

}  // namespace trainscope::inline v1
