#pragma once
/** What the online monitor asks the trainer to do, and why. */
#include <cmath>
#include <limits>
#include <cstdint>
#include <string_view>

namespace trainscope::inline v1 {

/** Actions in increasing severity: when observers disagree, the most severe wins. */
enum class action : std::uint8_t {
  continue_training,  ///< nothing to do
  new_best_save,      ///< save this checkpoint: it is the best so far
  skip_step,          ///< do not apply this step's update (a spike or a tolerated non-finite loss)
  rewind,             ///< reload the last good checkpoint (a spike that did not recover)
  stop,               ///< stop training
};

constexpr std::string_view to_string(action a) noexcept {
  switch (a) {
    case action::continue_training: return "continue";
    case action::new_best_save: return "new_best_save";
    case action::skip_step: return "skip_step";
    case action::rewind: return "rewind";
    case action::stop: return "stop";
  }
  return "continue";
}

/**
 * A monitor's answer to one call. `reason` points at static text (no allocation);
 * `value` is what was judged and `reference` what it was compared with (the best so
 * far, a threshold, a spike baseline). `new_best` stays set when a more severe
 * action wins, so a trainer can save the best checkpoint and stop in the same call.
 */
struct decision {
  action what = action::continue_training;
  bool new_best = false;
  std::string_view reason{};
  std::int64_t step = 0;
  double value = std::numeric_limits<double>::quiet_NaN();
  double reference = std::numeric_limits<double>::quiet_NaN();

  constexpr bool should_stop() const noexcept { return what == action::stop; }
  constexpr bool should_save() const noexcept { return new_best; }
};

/// Combines two observers' decisions: the more severe action with its reason; `new_best` if either.
constexpr decision merge(const decision& a, const decision& b) noexcept {
  decision out = static_cast<std::uint8_t>(b.what) > static_cast<std::uint8_t>(a.what) ? b : a;
  out.new_best = a.new_best || b.new_best;
  return out;
}

}  // namespace trainscope::inline v1
