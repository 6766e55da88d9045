#pragma once
/** Per-step columns reduced to what a run's overview reads of them, kept instead of the columns (a read option). */
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "trainscope/core/series.hpp"

namespace trainscope::inline v1 {

/**
 * A per-step column reduced to its ends: the number of samples, the first and the last. Kept instead of the
 * wall-time column when a run is read with `build_options::summarize_wall_time` (16 bytes per step less).
 *
 * Samples are applied by the series rule for steps that increase. A sample at or before the last step (a resume,
 * which replaces the samples it repeats) cannot be applied to a summary: it is counted in `rewinds`, nothing else
 * changes, and `exact()` turns false. Such a log must be read again with the column kept (the command-line tool
 * does); `report::analyze` does not use a summary that is not exact.
 */
struct column_summary {
  std::size_t count = 0;  ///< samples applied
  std::int64_t first_step = 0, last_step = 0;
  double first = 0, last = 0;  ///< values of the first and the last sample
  std::size_t rewinds = 0;     ///< samples not applied: their step was not after the last one

  bool empty() const noexcept { return count == 0; }
  bool exact() const noexcept { return rewinds == 0; }

  /// Applies a sample; false (only `rewinds` counts it) when `step` is not after the last sample's.
  bool put(std::int64_t step, double value) noexcept {
    if (count > 0 && step <= last_step) [[unlikely]] {
      ++rewinds;
      return false;
    }
    if (count == 0) first_step = step, first = value;
    last_step = step, last = value;
    ++count;
    return true;
  }
};

/**
 * The epoch column reduced to what a run's overview reads of it (`build_options::summarize_epoch`): besides the
 * ends, the largest finite value and whether every finite value is whole (how many epochs), and the steps where
 * the whole part changes, so the epoch of any step. Same rule for resumes as `column_summary`.
 */
struct epoch_column_summary : column_summary {
  /// From `step` on, the whole part (std::floor) of the values is `whole` (NaN: a NaN value).
  struct whole_change {
    std::int64_t step = 0;
    double whole = 0;
  };

  double largest_finite = 0;          ///< std::max over 0 and every finite value, in order
  bool all_whole = true;              ///< every finite value is a whole number
  std::vector<whole_change> changes;  ///< the first sample, and each one whose whole part differs from the one before

  bool put(std::int64_t step, double value) {
    if (!column_summary::put(step, value)) return false;
    // Most samples stay within the current whole part w: then std::floor(value) is w without computing it
    // (w + 1 is exact below 2^53; NaN and infinities fail the test).
    if (!changes.empty()) {
      const double w = changes.back().whole;
      if (value >= w && value < w + 1) {
        all_whole = all_whole && value == w;
        largest_finite = std::max(largest_finite, value);
        return true;
      }
    }
    const double whole = std::floor(value);
    if (std::isfinite(value)) {
      all_whole = all_whole && value == whole;
      largest_finite = std::max(largest_finite, value);
    }
    if (changes.empty() || !(changes.back().whole == whole)) changes.push_back({step, whole});
    return true;
  }

  /// std::floor of the value of the last sample at or before `step`; empty when there is none. O(log changes).
  std::optional<double> whole_at_or_before(std::int64_t step) const {
    const auto after = std::upper_bound(changes.begin(), changes.end(), step,
                                        [](std::int64_t s, const whole_change& c) { return s < c.step; });
    if (after == changes.begin()) return std::nullopt;
    return std::prev(after)->whole;
  }
};

/// The ends of a whole series (what a summary read alongside it would hold).
inline column_summary summarize_column(const series& s) noexcept {
  column_summary c;
  if (s.empty()) return c;
  c.count = s.size();
  c.first_step = s.steps.front(), c.last_step = s.steps.back();
  c.first = s.values.front(), c.last = s.values.back();
  return c;
}

/// The epoch summary of a whole series (its steps increase, so every sample applies).
inline epoch_column_summary summarize_epochs(const series& s) {
  epoch_column_summary c;
  for (std::size_t i = 0; i < s.size(); ++i) c.put(s.steps[i], s.values[i]);
  return c;
}

}  // namespace trainscope::inline v1
