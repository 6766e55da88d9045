#pragma once
/** Smoothing of noisy curves: debiased EMA, time-weighted EMA, centred windows. */
#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "trainscope/stats/robust.hpp"

namespace trainscope::inline v1 {

/**
 * Exponential moving average with TensorBoard's debiasing.
 *
 * TensorBoard's scalar dashboard starts the average at 0 and divides by
 * `1 - weight^n` (n = finite values seen), so early values are not pulled
 * towards 0 (the bias correction of Adam, Kingma & Ba 2015, sec. 3). Non-finite
 * inputs pass through unchanged and do not enter the average, as in TensorBoard.
 */
class ema {
 public:
  /// `weight` in [0, 1): 0 is no smoothing, 0.6 is TensorBoard's default slider.
  explicit ema(double weight = 0.6) noexcept : weight_(weight) { assert(weight >= 0.0 && weight < 1.0); }

  /// Adds `value`; returns the smoothed value at this point. O(1).
  double operator()(double value) noexcept {
    if (!std::isfinite(value)) return value;
    last_ = last_ * weight_ + (1.0 - weight_) * value;
    debias_ *= weight_;
    return value_ = last_ / (1.0 - debias_);
  }
  double value() const noexcept { return value_; }

 private:
  double weight_;
  double last_ = 0.0;
  double debias_ = 1.0;  // weight^n
  double value_ = 0.0;
};

/**
 * EMA for unevenly spaced steps: a gap of `dt` steps decays the past by
 * `weight^(dt / reference_steps)`, so the smoothing is the same per step whatever
 * the logging interval. Debiased by the accumulated weight, like `ema`.
 */
class time_weighted_ema {
 public:
  /// `weight` per `reference_steps` steps, in [0, 1).
  explicit time_weighted_ema(double weight = 0.6, double reference_steps = 1.0) noexcept
      : log_weight_(std::log(weight)), reference_(reference_steps) {
    assert(weight > 0.0 && weight < 1.0 && reference_steps > 0.0);
  }

  double operator()(std::int64_t step, double value) noexcept {
    if (!std::isfinite(value)) return value;
    const double decay =
        started_ ? std::exp(log_weight_ * static_cast<double>(std::max<std::int64_t>(step - last_step_, 0)) / reference_)
                 : 0.0;
    started_ = true;
    last_step_ = step;
    sum_ = decay * sum_ + (1.0 - decay) * value;
    norm_ = decay * norm_ + (1.0 - decay);
    // a repeated step (decay 1) leaves norm_ unchanged; keep the first value then
    return value_ = norm_ > 0.0 ? sum_ / norm_ : value;
  }
  double value() const noexcept { return value_; }

 private:
  double log_weight_;
  double reference_;
  bool started_ = false;
  std::int64_t last_step_ = 0;
  double sum_ = 0.0, norm_ = 0.0, value_ = 0.0;
};

/// TensorBoard-style debiased EMA of a whole series (non-finite values pass through). O(n).
inline std::vector<double> ema_smooth(std::span<const double> values, double weight = 0.6) {
  std::vector<double> out;
  out.reserve(values.size());
  ema e(weight);
  for (double v : values) out.push_back(e(v));
  return out;
}

/**
 * Centred moving average over `[i - half_width, i + half_width]`, shrunk at both
 * ends, over finite values only (NaN where a window has none). O(n).
 */
inline std::vector<double> centered_mean(std::span<const double> values, std::size_t half_width) {
  const std::size_t n = values.size();
  std::vector<double> prefix(n + 1, 0.0), count(n + 1, 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    const bool ok = std::isfinite(values[i]);
    prefix[i + 1] = prefix[i] + (ok ? values[i] : 0.0);
    count[i + 1] = count[i] + (ok ? 1.0 : 0.0);
  }
  std::vector<double> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t lo = i >= half_width ? i - half_width : 0;
    const std::size_t hi = std::min(n, i + half_width + 1);
    const double c = count[hi] - count[lo];
    out[i] = c > 0 ? (prefix[hi] - prefix[lo]) / c : std::nan("");
  }
  return out;
}

/// Centred moving median (robust to single outliers), shrunk at both ends. O(n w) in the worst case,
/// but each step only inserts and removes one value in a sorted window (one memmove), not a sort.
inline std::vector<double> centered_median(std::span<const double> values, std::size_t half_width) {
  const std::size_t n = values.size();
  std::vector<double> out(n);
  detail::sorted_window window;
  window.reserve(2 * half_width + 1);
  std::size_t added = 0;  // values[0, added) have entered the window
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t hi = std::min(n, i + half_width + 1);
    const bool leaves = i > half_width && std::isfinite(values[i - half_width - 1]);
    if (leaves && added < hi && std::isfinite(values[added])) {  // one in, one out: a single shift
      window.replace(values[i - half_width - 1], values[added++]);
    } else if (leaves) {
      window.erase(values[i - half_width - 1]);
    }
    for (; added < hi; ++added)
      if (std::isfinite(values[added])) window.insert(values[added]);
    out[i] = window.median();
  }
  return out;
}

/**
 * The underlying curve of a noisy checkpoint series: a running median (removes
 * isolated outliers) followed by a running mean of the same width (removes the
 * median's steps), a simplified form of Tukey's compound smoothers (Tukey 1977, EDA ch. 7).
 */
inline std::vector<double> robust_smooth(std::span<const double> values, std::size_t half_width) {
  const auto med = centered_median(values, half_width);
  return centered_mean(med, half_width);
}

}  // namespace trainscope::inline v1
