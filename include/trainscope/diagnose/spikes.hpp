#pragma once
/** Transient spikes in a per-step curve: robust z-score against the preceding window. */
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "trainscope/stats/robust.hpp"

namespace trainscope::inline v1 {

/** Settings of `find_spikes`. */
struct spike_options {
  std::size_t window = 50;       ///< preceding accepted points the reference is taken from
  std::size_t min_history = 10;  ///< no test before this many points
  double z = 6.0;                ///< robust z-score (x - median) / (1.4826 MAD) to call a spike
  double min_relative = 0.1;     ///< and x >= median (1 + min_relative)
  std::size_t recovery = 20;     ///< the curve must come back within this many points
};

/** One spike: where, how big, whether it recovered. */
struct spike {
  std::size_t index = 0;       ///< first point of the spike
  std::int64_t step = 0;
  double value = 0, baseline = 0, z = 0;
  std::size_t length = 1;      ///< points above the threshold
  bool recovered = false;      ///< back near the baseline within `recovery` points
};

/**
 * Spikes of a curve. Points inside a spike do not enter the reference window, so a
 * spike does not hide the next one; a rise that never comes back is reported with
 * `recovered = false` (a level shift or a divergence, not a transient spike).
 * Non-finite points are skipped. O(n window) in the worst case; the window is kept sorted (one insert
 * and one erase per point), so the median and MAD need no copy or selection per point.
 */
inline std::vector<spike> find_spikes(std::span<const std::int64_t> steps, std::span<const double> values,
                                      const spike_options& opts = {}) {
  std::vector<spike> out;
  std::vector<double> ring(std::max<std::size_t>(opts.window, 1));
  detail::sorted_window sorted;  // the ring's values, in order
  sorted.reserve(ring.size());
  std::size_t filled = 0, head = 0;
  const std::size_t n = std::min(steps.size(), values.size());
  for (std::size_t i = 0; i < n;) {
    const double x = values[i];
    if (!std::isfinite(x)) {
      ++i;
      continue;
    }
    if (filled >= opts.min_history) {
      // the same values as median() and mad_sigma() of the ring's contents; the threshold is at least
      // med (1 + min_relative), so below that the MAD is not needed (nearly every point)
      const double med = sorted.median();
      const double floor_threshold = med + opts.min_relative * std::abs(med);
      const double scale = x > floor_threshold ? mad_to_sigma * sorted.median_abs_deviation(med) : 0.0;
      const double threshold = std::max(med + opts.z * scale, floor_threshold);
      if (x > threshold && scale >= 0) {
        spike s;
        s.index = i;
        s.step = steps[i];
        s.value = x;
        s.baseline = med;
        s.z = scale > 0 ? (x - med) / scale : INFINITY;
        // the spike lasts while the points stay above the threshold; recovered if one comes back
        // below half-way between baseline and threshold within `recovery` points
        const double back = med + 0.5 * (threshold - med);
        std::size_t j = i + 1, seen = 0;
        for (; j < n && seen < opts.recovery; ++j, ++seen) {
          if (!std::isfinite(values[j])) continue;
          if (values[j] <= back) {
            s.recovered = true;
            break;
          }
          s.value = std::max(s.value, values[j]);
        }
        s.length = j - i;
        out.push_back(s);
        if (!s.recovered) break;  // a lasting shift: what follows is another regime
        i = j;
        continue;
      }
    }
    if (filled == ring.size()) sorted.replace(ring[head], x);  // the oldest leaves
    else sorted.insert(x);
    ring[head] = x;
    head = (head + 1) % ring.size();
    filled = std::min(filled + 1, ring.size());
    ++i;
  }
  return out;
}

}  // namespace trainscope::inline v1
