#pragma once
/** Median and median absolute deviation over finite values. */
#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstddef>
#include <span>
#include <vector>

namespace trainscope::inline v1 {

/// 1 / Phi^-1(3/4): makes the MAD a consistent estimate of a normal sigma.
inline constexpr double mad_to_sigma = 1.482602218505602;

/// Median of the finite values (NaN when there are none). O(n).
inline double median(std::span<const double> values) {
  std::vector<double> v;
  v.reserve(values.size());
  for (double x : values)
    if (std::isfinite(x)) v.push_back(x);
  if (v.empty()) return std::nan("");
  const auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  double m = *mid;
  if (v.size() % 2 == 0) m = 0.5 * (m + *std::max_element(v.begin(), mid));
  return m;
}

/// Median absolute deviation from the median, scaled to a normal sigma. O(n).
inline double mad_sigma(std::span<const double> values) {
  const double m = median(values);
  std::vector<double> dev;
  dev.reserve(values.size());
  for (double x : values)
    if (std::isfinite(x)) dev.push_back(std::abs(x - m));
  return mad_to_sigma * median(dev);
}

namespace detail {

/**
 * The finite values of a sliding window, kept sorted: insert and erase cost one binary search and one
 * memmove (O(w), no allocation once reserved), the median is O(1) and the median absolute deviation
 * O(w) without a copy. Both give exactly what median() and mad_sigma() give over the same values
 * (same order statistics, same arithmetic), so running filters can use it in place of a copy and
 * nth_element per position.
 */
class sorted_window {
 public:
  void reserve(std::size_t n) { v_.reserve(n); }
  std::size_t size() const noexcept { return v_.size(); }
  bool empty() const noexcept { return v_.empty(); }
  void insert(double x) { v_.insert(std::upper_bound(v_.begin(), v_.end(), x), x); }
  /// Replaces the contents by [first, last), sorted: cheaper than many inserts when most values change.
  template <class It>
  void assign(It first, It last) {
    v_.assign(first, last);
    std::sort(v_.begin(), v_.end());
  }
  /// Removes one value equal to `x` (bit for bit, so -0.0 and 0.0 stay apart); nothing if absent.
  void erase(double x) {
    auto it = std::lower_bound(v_.begin(), v_.end(), x);
    for (; it != v_.end() && *it == x; ++it)
      if (std::signbit(*it) == std::signbit(x)) {
        v_.erase(it);
        return;
      }
  }
  /// Erases one value equal to `old_value` (which must be present) and inserts `x`: a sliding window's
  /// step. Finds the old value by a branch-free binary search (random data defeats branch prediction)
  /// and moves `x` from there to its place one neighbour at a time, like insertion sort: the values
  /// between the two positions move once, and nothing else is touched.
  void replace(double old_value, double x) noexcept {
    const std::size_t n = v_.size();
    assert(n > 0 && "replace needs the old value in the window");
    if (n == 0) return;
    const double* base = v_.data();
    for (std::size_t len = n; len > 1;) {  // first element not below old_value, branch-free
      const std::size_t half = len / 2;
      base = base[half - 1] < old_value ? base + half : base;
      len -= half;
    }
    std::size_t i = static_cast<std::size_t>(base - v_.data()) + (*base < old_value ? 1 : 0);
    while (i < n && v_[i] == old_value && std::signbit(v_[i]) != std::signbit(old_value)) ++i;
    assert(i < n && v_[i] == old_value && "replace needs the old value in the window");
    if (i == n) return;
    if (x > v_[i]) {
      for (; i + 1 < n && v_[i + 1] < x; ++i) v_[i] = v_[i + 1];
    } else {
      for (; i > 0 && v_[i - 1] > x; --i) v_[i] = v_[i - 1];
    }
    v_[i] = x;
  }
  /// As median(): the middle value, or the mean of the two middle values (NaN when empty).
  double median() const noexcept {
    if (v_.empty()) return std::nan("");
    const std::size_t k = v_.size() / 2;
    double m = v_[k];
    if (v_.size() % 2 == 0) m = 0.5 * (m + v_[k - 1]);
    return m;
  }
  /// Median of |x - center| over the window (NaN when empty). The deviations of the values below
  /// `center`, read downward, and of the others, read upward, are two sorted runs: merging them up
  /// to the middle gives the order statistics median() would pick from the copied deviations.
  double median_abs_deviation(double center) const noexcept {
    const std::size_t n = v_.size();
    if (n == 0) return std::nan("");
    const std::size_t split = static_cast<std::size_t>(std::lower_bound(v_.begin(), v_.end(), center) - v_.begin());
    std::size_t lo = split, hi = split;  // next below: v_[lo - 1]; next above: v_[hi]
    const std::size_t k = n / 2;
    double prev = 0, cur = 0;
    for (std::size_t taken = 0; taken <= k; ++taken) {
      const double below = lo > 0 ? std::abs(v_[lo - 1] - center) : INFINITY;
      const double above = hi < n ? std::abs(v_[hi] - center) : INFINITY;
      prev = cur;
      if (hi >= n || (lo > 0 && below <= above)) cur = below, --lo;
      else cur = above, ++hi;
    }
    return n % 2 == 0 ? 0.5 * (cur + prev) : cur;
  }

 private:
  std::vector<double> v_;
};

}  // namespace detail

/// Standard normal CDF.
inline double normal_cdf(double x) noexcept { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

/**
 * Two-sided Student-t quantile: the t with P(T <= t) = p for `dof` degrees of freedom.
 * Exact for 1 and 2 dof, otherwise the Cornish-Fisher expansion of Abramowitz &
 * Stegun 26.7.5 around the normal quantile (error < 1e-3 for dof >= 3, p <= 0.99).
 */
inline double student_t_quantile(double p, double dof) noexcept {
  constexpr double pi = 3.14159265358979323846;
  if (dof <= 1.0) return std::tan(pi * (p - 0.5));
  if (dof <= 2.0) return (2 * p - 1) / std::sqrt(2 * p * (1 - p));
  // normal quantile by Acklam's rational approximation (relative error < 1.2e-9)
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                                 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                                 6.680131188771972e+01, -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                                 -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                                 3.754408661907416e+00};
  double z;
  if (p < 0.02425) {
    const double q = std::sqrt(-2 * std::log(p));
    z = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p > 1 - 0.02425) {
    const double q = std::sqrt(-2 * std::log(1 - p));
    z = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else {
    const double q = p - 0.5, r = q * q;
    z = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  }
  if (!std::isfinite(dof) || dof > 1e6) return z;
  const double z2 = z * z;
  const double g1 = (z2 + 1) * z / 4;
  const double g2 = ((5 * z2 + 16) * z2 + 3) * z / 96;
  const double g3 = (((3 * z2 + 19) * z2 + 17) * z2 - 15) * z / 384;
  const double g4 = ((((79 * z2 + 776) * z2 + 1482) * z2 - 1920) * z2 - 945) * z / 92160;
  return z + g1 / dof + g2 / (dof * dof) + g3 / (dof * dof * dof) + g4 / (dof * dof * dof * dof);
}

/// Standard normal quantile.
inline double normal_quantile(double p) noexcept { return student_t_quantile(p, INFINITY); }

}  // namespace trainscope::inline v1
