#pragma once
/** One metric over training steps, with the resume rule applied on insertion. */
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace trainscope::inline v1 {

/**
 * A named metric sampled at increasing steps.
 *
 * Insertion applies TensorBoard's resume rule: a record whose step is not past the
 * last one means the run was resumed from an earlier checkpoint, so every sample at
 * or after that step belongs to the abandoned timeline and is replaced. The number
 * of replaced samples is returned so readers can report it.
 */
struct series {
  std::string name;
  std::vector<std::int64_t> steps;
  std::vector<double> values;

  series() = default;
  explicit series(std::string n) : name(std::move(n)) {}

  std::size_t size() const noexcept { return steps.size(); }
  bool empty() const noexcept { return steps.empty(); }
  void reserve(std::size_t n) {
    steps.reserve(n);
    values.reserve(n);
  }
  void clear() noexcept {
    steps.clear();
    values.clear();
  }

  /// Appends (step, value); returns how many earlier samples the resume rule replaced.
  std::size_t put(std::int64_t step, double value) {
    if (steps.empty() || step > steps.back()) [[likely]] {
      steps.push_back(step);
      values.push_back(value);
      return 0;
    }
    auto first_stale = std::lower_bound(steps.begin(), steps.end(), step);
    const auto replaced = static_cast<std::size_t>(steps.end() - first_stale);
    const auto keep = static_cast<std::size_t>(first_stale - steps.begin());
    steps.resize(keep);
    values.resize(keep);
    steps.push_back(step);
    values.push_back(value);
    return replaced;
  }

  std::span<const double> view() const noexcept { return values; }
  std::span<const std::int64_t> step_view() const noexcept { return steps; }

  /// Value logged at exactly `step`, if any. O(log n).
  std::optional<double> at(std::int64_t step) const {
    auto it = std::lower_bound(steps.begin(), steps.end(), step);
    if (it == steps.end() || *it != step) return std::nullopt;
    return values[static_cast<std::size_t>(it - steps.begin())];
  }

  /// Value at the last logged step not after `step`, if any. O(log n).
  std::optional<double> at_or_before(std::int64_t step) const {
    auto it = std::upper_bound(steps.begin(), steps.end(), step);
    if (it == steps.begin()) return std::nullopt;
    return values[static_cast<std::size_t>(it - steps.begin()) - 1];
  }
};

}  // namespace trainscope::inline v1
