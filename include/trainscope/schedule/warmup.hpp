#pragma once
/** The warmup phase shared by the schedule families: linear or DeepSpeed's logarithmic ramp. */
#include <algorithm>
#include <cmath>

namespace trainscope::inline v1 {

/// Shape of the warmup ramp.
enum class warmup_kind {
  linear,  ///< ratio = t / W (HF get_*_schedule_with_warmup, PyTorch LinearLR, DeepSpeed warmup_type="linear")
  log,     ///< ratio = ln(t + 1) / ln(W) (DeepSpeed WarmupLR/WarmupDecayLR/WarmupCosineLR, warmup_type="log")
};

/**
 * Warmup over the scheduler's own counter t (0 at the first optimizer step).
 *
 * The lr during warmup is `peak * (start_ratio + (1 - start_ratio) * ramp(t))`:
 * - linear: ramp = t / W (transformers optimization.py `float(current_step) / max(1, num_warmup_steps)`;
 *   PyTorch LinearLR with start_factor = start_ratio; HF WSD warmup starts at min_lr_ratio);
 * - log: ramp = ln(t + 1) / ln(W) (DeepSpeed lr_schedules.py, `inverse_log_warm_up * log(last_batch_iteration + 1)`,
 *   warmup_min_ratio = start_ratio).
 * Conventions that start from (t + 1) / W (llm.c) are the linear kind seen one step later; the fit records that
 * as a step offset rather than as another kind.
 */
struct warmup_spec {
  double steps = 0;                 ///< W; zero means no warmup
  warmup_kind kind = warmup_kind::linear;
  double start_ratio = 0;           ///< lr at t = 0 as a fraction of the peak

  /// True while t is inside the warmup.
  constexpr bool active(double t) const noexcept { return steps > 0 && t < steps; }

  /// Fraction of the peak at counter t (only meaningful while `active(t)`).
  double ratio(double t) const noexcept {
    double ramp = 0;
    if (kind == warmup_kind::linear) {
      ramp = t / std::max(1.0, steps);
    } else {
      ramp = steps > 1 ? std::log(std::max(t, 0.0) + 1.0) / std::log(steps) : 1.0;
    }
    ramp = std::clamp(ramp, 0.0, 1.0);
    return start_ratio + (1.0 - start_ratio) * ramp;
  }
};

}  // namespace trainscope::inline v1
