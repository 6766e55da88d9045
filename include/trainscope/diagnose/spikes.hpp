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
 * (1 + min_relative), and the median is never below the window's minimum, nor below the minimum of any
 * longer stretch that contains the window: here the accepted points of the current block of `window`
 * points and of the block before (two running minima, no branch per point, where a monotonic deque
 * mispredicts on noisy data). A point under that bound x (1 + min_relative) is no spike and needs neither
 * median nor MAD. Only the other points bring a sorted copy of the window up to date (one shift per point
 * since the last, or a sort when that is cheaper) and read the exact median and MAD from it: the same
 * values as median() and mad_sigma() of the window, so the result does not depend on the shortcut.
 */
inline std::vector<spike> find_spikes(std::span<const std::int64_t> steps, std::span<const double> values,
                                      const spike_options& opts = {}) {
  std::vector<spike> out;
  const std::size_t w = std::max<std::size_t>(opts.window, 1);
  // Accepted points by number t = 0, 1, ...: the window is the last min(t, w). `hist` holds the last 2w
  // (the window and the values that left it since the sorted copy was last brought up to date).
  std::vector<double> hist(2 * w);
  std::size_t accepted = 0, hist_pos = 0;
  // Minima of the accepted points numbered [b w, accepted) (this block) and [(b - 1) w, b w) (the one
  // before): the window, the last min(accepted, w) points, lies within both, so their minimum bounds its own.
  double block_min = INFINITY, prev_block_min = INFINITY;
  std::size_t block_left = w;  // accepted points until the block ends
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
  // Accepts the finite points [i, j) without testing them (by segments: vectorisable minimum and copy).
  auto accept_all = [&](std::size_t i, std::size_t j) {
    while (i < j) {
      const std::size_t seg = std::min({j - i, block_left, hist.size() - hist_pos});
      double m[4] = {block_min, block_min, block_min, block_min};
      std::size_t k = 0;
      for (; k + 4 <= seg; k += 4)
        for (std::size_t l = 0; l < 4; ++l) m[l] = std::min(m[l], values[i + k + l]);
      for (; k < seg; ++k) m[0] = std::min(m[0], values[i + k]);
      block_min = std::min(std::min(m[0], m[1]), std::min(m[2], m[3]));
      std::copy(values.begin() + static_cast<std::ptrdiff_t>(i), values.begin() + static_cast<std::ptrdiff_t>(i + seg),
                hist.begin() + static_cast<std::ptrdiff_t>(hist_pos));
      i += seg, accepted += seg, block_left -= seg, hist_pos += seg;
      if (hist_pos == hist.size()) hist_pos = 0;
      if (block_left == 0) prev_block_min = block_min, block_min = INFINITY, block_left = w;
    }
  };
  // Chunks of points are first tested together: when all are finite and all lie under the bound taken
  // with the chunk's own minimum (no lower than what each point would see), none can be a spike.
  constexpr std::size_t chunk = 64;
  std::size_t chunk_end = 0;  // points before it were tested as a chunk or are taken one by one
  for (std::size_t i = 0; i < n;) {
    if (i >= chunk_end) {
      chunk_end = std::min(n, i + chunk);
      if (bound_usable && accepted > 0) {
        // four lanes each (no chain of dependent compares); a NaN is skipped by the compares and caught by
        // `nan`, an infinity makes hi or lo fail the test
        double lo4[4], hi4[4];
        std::fill(lo4, lo4 + 4, std::min(block_min, prev_block_min));
        std::fill(hi4, hi4 + 4, -INFINITY);
        bool nan = false;
        std::size_t k = i;
        for (; k + 4 <= chunk_end; k += 4)
          for (std::size_t l = 0; l < 4; ++l) {
            const double v = values[k + l];
            lo4[l] = v < lo4[l] ? v : lo4[l];
            hi4[l] = hi4[l] < v ? v : hi4[l];
            nan |= v != v;
          }
        for (; k < chunk_end; ++k) {
          const double v = values[k];
          lo4[0] = v < lo4[0] ? v : lo4[0];
          hi4[0] = hi4[0] < v ? v : hi4[0];
          nan |= v != v;
        }
        const double lo = std::min(std::min(lo4[0], lo4[1]), std::min(lo4[2], lo4[3]));
        const double hi = std::max(std::max(hi4[0], hi4[1]), std::max(hi4[2], hi4[3]));
        if (!nan && lo >= 0 && hi <= lo + opts.min_relative * lo) {
          accept_all(i, chunk_end);
          i = chunk_end;
          continue;
        }
      }
    }
    const double x = values[i];
    if (!std::isfinite(x)) {
      ++i;
      continue;
    }
    const std::size_t filled = std::min(accepted, w);
    const double lo = accepted ? std::min(block_min, prev_block_min) : -1.0;
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
    // accept x
    block_min = std::min(block_min, x);
    if (--block_left == 0) prev_block_min = block_min, block_min = INFINITY, block_left = w;
    hist[hist_pos] = x;
    hist_pos = hist_pos + 1 == hist.size() ? 0 : hist_pos + 1;
    ++accepted;
    ++i;
  }
  return out;
}

}  // namespace trainscope::inline v1
