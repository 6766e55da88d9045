#pragma once
/** Divergence: non-finite losses, or a runaway rise of the loss that does not come back. */
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "trainscope/stats/robust.hpp"
#include "trainscope/stats/smoothing.hpp"

namespace trainscope::inline v1 {

/** Where a curve stopped being finite. */
struct non_finite_report {
  std::optional<std::size_t> first;  ///< index of the first NaN/Inf
  std::size_t count = 0;             ///< non-finite points in all
  bool persistent = false;           ///< the last point is non-finite or at least half the points after `first` are
};

/// Non-finite points of a curve. O(n).
inline non_finite_report find_non_finite(std::span<const double> values) {
  non_finite_report r;
  for (std::size_t i = 0; i < values.size(); ++i)
    if (!std::isfinite(values[i])) {
      if (!r.first) r.first = i;
      ++r.count;
    }
  if (r.first) {
    const std::size_t after = values.size() - *r.first;
    r.persistent = !std::isfinite(values.back()) || 2 * r.count >= after;
  }
  return r;
}

/** A runaway rise of a loss. */
struct runaway_report {
  std::optional<std::size_t> first;  ///< first raw point at or above factor x the level before
  double level_before = 0;           ///< lowest smoothed level before the rise
  double peak = 0;                   ///< highest smoothed level after it
  double final_level = 0;            ///< smoothed level at the end
  bool recovered = false;
};

namespace detail {

/**
 * True when no point of find_runaway's smoothed curve can reach `factor` x its lowest earlier level, proven
 * without the running median: a median lies within its window's minimum and maximum, so the smoothed
 * value at i is at most the maximum of the window around i, and the lowest earlier level is at least the
 * minimum of every raw point those earlier windows saw. O(n) with a monotonic deque; most healthy curves
 * pass it and skip the O(n w) smoothing. False only means "look closer".
 */
inline bool runaway_impossible_exact(std::span<const double> finite, std::size_t h, double factor);

/**
 * The same proof by blocks of h points, cheaper and a little stricter: the window of a point in block k
 * lies within blocks k - 1 .. k + 1, and every earlier window within blocks 0 .. k + 1, so block maxima
 * against the running minimum of whole blocks bound both sides. Vectorisable min/max per block, no
 * branch per point; where it cannot decide, the exact point-by-point proof (a monotonic deque) runs.
 */
inline bool runaway_impossible(std::span<const double> finite, std::size_t h, double factor) {
  const std::size_t n = finite.size();
  if (!(factor > 0) || n < 2) return false;
  const std::size_t b = std::max<std::size_t>(h, 1), blocks = (n + b - 1) / b;
  auto block = [&](std::size_t k, double& lo, double& hi) {
    lo = INFINITY, hi = -INFINITY;
    for (std::size_t i = k * b, e = std::min(n, i + b); i < e; ++i) lo = std::min(lo, finite[i]), hi = std::max(hi, finite[i]);
  };
  // maxima of blocks k - 1, k, k + 1 as the scan moves; prefix_min covers blocks 0 .. k + 1
  double hi_prev = -INFINITY, lo_cur, hi_cur, lo_next = INFINITY, hi_next = -INFINITY;
  block(0, lo_cur, hi_cur);
  double prefix_min = lo_cur;
  bool proven = true;
  for (std::size_t k = 0; k < blocks && proven; ++k) {
    if (k + 1 < blocks) block(k + 1, lo_next, hi_next);
    else lo_next = INFINITY, hi_next = -INFINITY;
    prefix_min = std::min(prefix_min, lo_next);
    const double window_max = std::max(hi_prev, std::max(hi_cur, hi_next));
    proven = prefix_min > 0 && window_max < 1e300 && window_max < factor * prefix_min;
    hi_prev = hi_cur, lo_cur = lo_next, hi_cur = hi_next;
  }
  return proven || runaway_impossible_exact(finite, h, factor);
}

inline bool runaway_impossible_exact(std::span<const double> finite, std::size_t h, double factor) {
  const std::size_t n = finite.size();
  if (!(factor > 0) || n < 2) return false;
  // indices of decreasing values, the window's maximum first; circular, a power of two above 2h + 1
  std::vector<std::size_t> dq(std::bit_ceil(2 * h + 2));
  const std::size_t mask = dq.size() - 1;
  std::size_t head = 0, size = 0, added = 0, seen = 0;
  auto at = [&](std::size_t k) -> std::size_t& { return dq[(head + k) & mask]; };
  double earlier_min = INFINITY;  // minimum of finite[0, seen)
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t hi = std::min(n, i + h + 1), lo = i >= h ? i - h : 0;
    for (; added < hi; ++added) {
      while (size && finite[at(size - 1)] <= finite[added]) --size;
      at(size++) = added;
    }
    while (at(0) < lo) head = (head + 1) & mask, --size;
    if (i == 0) continue;  // the first point is the starting level, never a rise
    // windows of the points before i reach up to index i - 1 + h
    for (const std::size_t end = std::min(n, i + h); seen < end; ++seen) earlier_min = std::min(earlier_min, finite[seen]);
    const double window_max = finite[at(0)];
    if (!(earlier_min > 0 && window_max < 1e300 && window_max < factor * earlier_min)) return false;
  }
  return true;
}

}  // namespace detail

/**
 * Looks for a smoothed loss rising to at least `factor` x its lowest earlier level,
 * by at least `min_rise_fraction` of the starting loss (so a loss near zero
 * wobbling from 0.01 to 0.03 is not a divergence). Recovered when the final level
 * is below `recovery_factor` x the level before. Smoothing: running median over
 * about 2 % of the points (at least 5), which ignores single-step spikes. O(n w).
 */
inline runaway_report find_runaway(std::span<const double> values, double factor = 2.0,
                                   double min_rise_fraction = 0.1, double recovery_factor = 1.5);

namespace detail {

/// find_runaway over points known to be finite; `index(k)` maps the k-th of them to the caller's index.
template <class Index>
runaway_report find_runaway_finite(std::span<const double> finite, Index&& index, double factor,
                                   double min_rise_fraction, double recovery_factor) {
  runaway_report r;
  const std::size_t n = finite.size();
  if (n < 8) return r;
  const std::size_t h = std::clamp<std::size_t>(n / 100, 2, 25);
  if (detail::runaway_impossible(finite, h, factor)) return r;
  const auto smooth = centered_median(finite, h);
  const double start = median(finite.first(std::min<std::size_t>(n, 2 * h + 1)));
  double low = smooth[0];
  for (std::size_t i = 1; i < n; ++i) {
    if (smooth[i] >= factor * low && smooth[i] - low >= min_rise_fraction * std::abs(start) && low > 0) {
      r.level_before = low;
      for (std::size_t k = i > h ? i - h : 0; k <= i; ++k)
        if (finite[k] >= factor * low) {
          r.first = index(k);
          break;
        }
      if (!r.first) r.first = index(i);
      r.peak = *std::max_element(smooth.begin() + static_cast<std::ptrdiff_t>(i), smooth.end());
      r.final_level = smooth.back();
      r.recovered = r.final_level < recovery_factor * low;
      if (!r.recovered) return r;
      // recovered: keep looking for a later runaway from the new low
      r = runaway_report{};
      low = smooth[i];
      continue;
    }
    low = std::min(low, smooth[i]);
  }
  return r;
}

}  // namespace detail

inline runaway_report find_runaway(std::span<const double> values, double factor, double min_rise_fraction,
                                   double recovery_factor) {
  // The finite points, with their index; all of them (the usual case) are viewed, not copied.
  const auto all_finite = std::all_of(values.begin(), values.end(), [](double x) { return std::isfinite(x); });
  if (all_finite)
    return detail::find_runaway_finite(values, [](std::size_t k) { return k; }, factor, min_rise_fraction,
                                       recovery_factor);
  std::vector<double> own;
  std::vector<std::size_t> own_index;
  for (std::size_t i = 0; i < values.size(); ++i)
    if (std::isfinite(values[i])) {
      own.push_back(values[i]);
      own_index.push_back(i);
    }
  return detail::find_runaway_finite(own, [&](std::size_t k) { return own_index[k]; }, factor, min_rise_fraction,
                                     recovery_factor);
}

}  // namespace trainscope::inline v1
