#pragma once
/** Is a curve still going down? Running least-squares slope with its uncertainty. */
#include <cassert>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>

#include "trainscope/stats/robust.hpp"

namespace trainscope::inline v1 {

/**
 * Ordinary least-squares line through (x, y) pairs added one at a time, with the
 * standard error of its slope: the idea of dlib's `running_gradient`
 * (statistics/running_gradient.h), generalised to arbitrary x (the log's steps)
 * and to a noise level known from elsewhere. O(1) per point, no allocation.
 *
 * Slope variance: sigma^2 / Sxx (any regression text, e.g. Draper & Smith ch. 1),
 * with sigma^2 either the residual variance RSS / (n - 2) or a given noise level.
 */
class running_gradient {
 public:
  void add(double x, double y) noexcept {
    // Welford-style co-moment updates (numerically stable for large steps)
    ++n_;
    const double dx = x - mean_x_;
    mean_x_ += dx / n_;
    const double dy = y - mean_y_;
    mean_y_ += dy / n_;
    sxx_ += dx * (x - mean_x_);
    sxy_ += dx * (y - mean_y_);
    syy_ += dy * (y - mean_y_);
  }
  /// Adds y at x = number of points so far (dlib's convention).
  void add(double y) noexcept { add(static_cast<double>(n_), y); }
  void operator()(double x, double y) noexcept { add(x, y); }

  /// Merges another fit's points into this one (pairwise co-moment update, Chan, Golub & LeVeque 1979).
  running_gradient& operator+=(const running_gradient& o) noexcept {
    if (o.n_ == 0) return *this;
    if (n_ == 0) return *this = o;
    const double n = n_ + o.n_, dx = o.mean_x_ - mean_x_, dy = o.mean_y_ - mean_y_, f = n_ * o.n_ / n;
    sxx_ += o.sxx_ + dx * dx * f;
    sxy_ += o.sxy_ + dx * dy * f;
    syy_ += o.syy_ + dy * dy * f;
    mean_x_ += dx * o.n_ / n;
    mean_y_ += dy * o.n_ / n;
    n_ = n;
    return *this;
  }

  std::size_t size() const noexcept { return static_cast<std::size_t>(n_); }
  double slope() const noexcept { return sxx_ > 0 ? sxy_ / sxx_ : 0.0; }
  /// Fitted value of the line at `x`.
  double value_at(double x) const noexcept { return mean_y_ + slope() * (x - mean_x_); }
  double mean_x() const noexcept { return mean_x_; }
  double mean_y() const noexcept { return mean_y_; }
  /// Residual standard deviation of the line fit (needs 3 points).
  double residual_sigma() const noexcept {
    if (n_ < 3) return std::numeric_limits<double>::infinity();
    const double rss = std::max(0.0, syy_ - slope() * sxy_);
    return std::sqrt(rss / (n_ - 2));
  }
  /// Standard error of the slope from the residuals, or from a known noise sigma.
  double standard_error(std::optional<double> noise_sigma = std::nullopt) const noexcept {
    if (n_ < 2 || !(sxx_ > 0)) return std::numeric_limits<double>::infinity();
    const double s = noise_sigma ? *noise_sigma : residual_sigma();
    return s / std::sqrt(sxx_);
  }
  /**
   * Probability that the true slope is below `threshold` (normal approximation as
   * in dlib; with a known noise sigma this is exact for Gaussian noise).
   */
  double probability_slope_less_than(double threshold, std::optional<double> noise_sigma = std::nullopt) const noexcept {
    const double se = standard_error(noise_sigma);
    if (!std::isfinite(se)) return 0.5;
    if (se == 0) return slope() < threshold ? 1.0 : 0.0;
    return normal_cdf((threshold - slope()) / se);
  }
  /// Probability the curve is still decreasing (slope < 0).
  double probability_decreasing(std::optional<double> noise_sigma = std::nullopt) const noexcept {
    return probability_slope_less_than(0.0, noise_sigma);
  }

 private:
  double n_ = 0, mean_x_ = 0, mean_y_ = 0, sxx_ = 0, sxy_ = 0, syy_ = 0;
};

/** Trend of the last points of a curve. */
struct trend_estimate {
  double slope = 0;                    ///< per step
  double standard_error = 0;           ///< of the slope
  double probability_decreasing = 0.5; ///< P(slope < 0)
  double start_value = 0, end_value = 0;  ///< the line at the window's first and last step
  std::size_t points = 0;
};

/**
 * Least-squares trend over the last `window` finite points (all when 0), with the
 * slope's standard error from `noise_sigma` when given, otherwise from the residuals.
 * O(window).
 */
inline trend_estimate trend(std::span<const std::int64_t> steps, std::span<const double> values, std::size_t window = 0,
                            std::optional<double> noise_sigma = std::nullopt) {
  running_gradient g;
  std::size_t first = 0, count = 0;
  const std::size_t n = std::min(steps.size(), values.size());
  double x_first = 0, x_last = 0;
  for (std::size_t i = n; i-- > 0;) {
    if (!std::isfinite(values[i])) continue;
    if (window && count == window) break;
    if (count == 0) x_last = static_cast<double>(steps[i]);
    first = i;
    ++count;
  }
  for (std::size_t i = first; i < n; ++i)
    if (std::isfinite(values[i])) {
      if (g.size() == 0) x_first = static_cast<double>(steps[i]);
      g.add(static_cast<double>(steps[i]), values[i]);
    }
  trend_estimate t;
  t.points = g.size();
  t.slope = g.slope();
  t.standard_error = g.standard_error(noise_sigma);
  t.probability_decreasing = g.probability_decreasing(noise_sigma);
  t.start_value = g.value_at(x_first);
  t.end_value = g.value_at(x_last);
  return t;
}

/**
 * How many of the last points show no decrease: the longest suffix (at least 3
 * points) whose least-squares slope is decreasing with probability below
 * `probability_of_decrease`. dlib's `count_steps_without_decrease` idea, with a
 * known noise sigma when given. Returns the number of points in that suffix (0 if none). O(n).
 */
inline std::size_t count_steps_without_decrease(std::span<const std::int64_t> steps, std::span<const double> values,
                                                double probability_of_decrease = 0.51,
                                                std::optional<double> noise_sigma = std::nullopt) {
  running_gradient g;
  std::size_t best = 0;
  const std::size_t n = std::min(steps.size(), values.size());
  std::size_t seen = 0;
  for (std::size_t i = n; i-- > 0;) {
    ++seen;
    if (!std::isfinite(values[i])) continue;
    g.add(static_cast<double>(steps[i]), values[i]);
    if (g.size() >= 3 && g.probability_decreasing(noise_sigma) < probability_of_decrease) best = seen;
  }
  return best;
}

}  // namespace trainscope::inline v1
