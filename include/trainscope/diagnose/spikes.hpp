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
 * Non-finite points are skipped.
 *
 * Cost: O(n) for most curves, O(n window) at worst. The threshold is never below the median times
 * (1 + min_relative), and the median is never below the window's minimum (kept by a monotonic deque), so
 * a point under minimum x (1 + min_relative) is no spike and needs neither median nor MAD. Only the other
 * points bring a sorted copy of the window up to date (one shift per point since the last, or a sort
 * when that is cheaper) and read the exact median and MAD from it: the same values as median() and
 * mad_sigma() of the window, so the result does not depend on the shortcut.
 */
inline std::vector<spike> find_spikes(std::span<const std::int64_t> steps, std::span<const double> values,
                                      const spike_options& opts = {}) {
  std::vector<spike> out;
  const std::size_t w = std::max<std::size_t>(opts.window, 1);
  // Accepted points by number t = 0, 1, ...: the window is the last min(t, w). `hist` holds the last 2w
  // (the window and the values that left it since the sorted copy was last brought up to date).
  std::vector<double> hist(2 * w);
  std::size_t accepted = 0, hist_pos = 0;
  // Monotonic deque of (number, value), circular with capacity w: its front is the window's minimum.
  std::vector<std::size_t> dq_seq(w);
  std::vector<double> dq_val(w);
  std::size_t dq_head = 0, dq_size = 0;
  auto wrap = [w](std::size_t k) { return k >= w ? k - w : k; };
  detail::sorted_window sorted;  // the window in order, as of `synced` accepted points
  sorted.reserve(w);
  std::size_t synced = 0;
  std::vector<double> scratch;
  scratch.reserve(w);
  auto sync = [&] {
    if (accepted - synced > w / 2 + 1) {  // far behind: sorting the window beats that many shifts
      const std::size_t filled = std::min(accepted, w);
      scratch.clear();
      for (std::size_t k = 0; k < filled; ++k) scratch.push_back(hist[(accepted - filled + k) % (2 * w)]);
      sorted.assign(scratch.begin(), scratch.end());
      synced = accepted;
      return;
    }
    for (; synced < accepted; ++synced) {
      if (synced >= w) sorted.replace(hist[(synced - w) % (2 * w)], hist[synced % (2 * w)]);
      else sorted.insert(hist[synced % (2 * w)]);
    }
  };
  const bool bound_usable = opts.min_relative >= 0;  // then med + min_relative |med| grows with med >= 0
  const std::size_t n = std::min(steps.size(), values.size());
  for (std::size_t i = 0; i < n;) {
    const double x = values[i];
    if (!std::isfinite(x)) {
      ++i;
      continue;
    }
    const std::size_t filled = std::min(accepted, w);
    const double lo = dq_size ? dq_val[dq_head] : -1.0;
    const bool clearly_not = bound_usable && lo >= 0 && x <= lo + opts.min_relative * lo;
    if (filled >= opts.min_history && !clearly_not) {
      sync();
      // the same values as median() and mad_sigma() of the window; the threshold is at least
      // med (1 + min_relative), so below that the MAD is not needed
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
    // accept x: the window's minimum first (drop the front that leaves, then larger values at the back)
    if (dq_size && dq_seq[dq_head] + w <= accepted) dq_head = wrap(dq_head + 1), --dq_size;
    while (dq_size && dq_val[wrap(dq_head + dq_size - 1)] >= x) --dq_size;
    dq_seq[wrap(dq_head + dq_size)] = accepted;
    dq_val[wrap(dq_head + dq_size)] = x;
    ++dq_size;
    hist[hist_pos] = x;
    hist_pos = hist_pos + 1 == hist.size() ? 0 : hist_pos + 1;
    ++accepted;
    ++i;
  }
  return out;
}

}  // namespace trainscope::inline v1
