#pragma once
/** Stops (or rewinds) on NaN/Inf losses, tolerating a few isolated ones if asked. */
#include <cmath>
#include <cstdint>

#include "trainscope/diagnose/decision.hpp"

namespace trainscope::inline v1 {

/** Settings of `finite_guard`. */
struct finite_guard_options {
  std::uint32_t tolerated_consecutive = 0;  ///< non-finite steps skipped before acting (mixed precision overflows)
  bool rewind_instead_of_stop = false;      ///< ask to reload the last good checkpoint rather than stop
};

/** Non-finite guard observer for `monitor`: `on_step` and `on_checkpoint`. O(1), no allocation. */
class finite_guard {
 public:
  struct state_type {
    std::uint32_t consecutive = 0;
    std::uint64_t total = 0;
  };

  explicit finite_guard(finite_guard_options opts = {}) noexcept : opts_(opts) {}

  decision on_step(std::int64_t step, double loss) noexcept {
    decision d;
    d.step = step;
    d.value = loss;
    if (std::isfinite(loss)) {
      state_.consecutive = 0;
      return d;
    }
    ++state_.total;
    if (++state_.consecutive <= opts_.tolerated_consecutive) {
      d.what = action::skip_step;
      d.reason = "non-finite loss skipped (tolerated)";
    } else {
      d.what = opts_.rewind_instead_of_stop ? action::rewind : action::stop;
      d.reason = "non-finite training loss";
      if (opts_.rewind_instead_of_stop) state_.consecutive = 0;
    }
    return d;
  }

  decision on_checkpoint(std::int64_t step, double value) noexcept {
    decision d;
    d.step = step;
    d.value = value;
    if (!std::isfinite(value)) {
      ++state_.total;
      d.what = opts_.rewind_instead_of_stop ? action::rewind : action::stop;
      d.reason = "non-finite validation metric";
    }
    return d;
  }

  std::uint64_t non_finite_seen() const noexcept { return state_.total; }
  const state_type& state() const noexcept { return state_; }
  void restore(const state_type& s) noexcept { state_ = s; }

 private:
  finite_guard_options opts_;
  state_type state_{};
};

}  // namespace trainscope::inline v1
