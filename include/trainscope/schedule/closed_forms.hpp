#pragma once
/**
 * Learning-rate schedules in closed form, one small value type per family, with the
 * conventions of the library each comes from.
 *
 * Every type is evaluated at the scheduler's own counter `t` (0 before the first
 * `scheduler.step()` in PyTorch terms: `last_epoch` / `last_batch_iteration` / HF
 * `current_step`); what a log calls "step" may be t or t + 1, which `schedule_fit`
 * records as a step offset. Steps are doubles so a trainer can pass fractional epochs.
 *
 * Every family is linear in a few learning-rate coefficients (peak, floor, ...):
 * `basis(t)` returns the factors, `lr(t)` their weighted sum. The fitter relies on that
 * to solve for the lr levels in closed form and search only over step-like parameters.
 */
#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <limits>
#include <numbers>
#include <string_view>
#include <variant>
#include <vector>

#include "trainscope/schedule/warmup.hpp"

namespace trainscope::inline v1 {

namespace detail {
/// 0.5 * (1 + cos(pi * p)): the half-cosine from 1 at p = 0 to 0 at p = 1.
inline double half_cosine(double p) noexcept { return 0.5 * (1.0 + std::cos(std::numbers::pi * p)); }

/**
 * The same half-cosine by a polynomial instead of a call to `std::cos`: the passes over every sample of a long
 * log (the fit's residual check, the config check) evaluate it once per sample, where a libm call is a large
 * part of the pass. 0.5 (1 + cos(pi p)) = 1 - sin^2(pi p / 2) = sin^2(pi (1 - p) / 2). cos(pi p) is even with
 * period 2, so p folds exactly into q in [0, 1] (fmod is exact; 2 - q and 1 - q are exact by Sterbenz's lemma);
 * q <= 1/2 takes 1 - s^2 with s = sin(pi q / 2), q > 1/2 takes s^2 with s = sin(pi (1 - q) / 2): either way
 * x <= pi/4, where the Taylor series of sin x to x^15 (Abramowitz & Stegun 4.3.65) leaves x^17/17! < 5e-17,
 * under 7e-17 relative to sin x (Lagrange remainder), below the rounding of the evaluation. The result is within
 * 4e-16 of the true value (0.5 (1 + std::cos) is within 7e-16) and within 1e-15 of it relative to the value
 * itself, also near the floor, where 1 + cos cancels (tests/schedule/test_closed_forms.cpp checks both against
 * long double).
 */
inline double half_cosine_poly(double p) noexcept {
  double q = std::abs(p);
  if (q >= 2.0) q = std::fmod(q, 2.0);
  if (q > 1.0) q = 2.0 - q;
  const bool near_peak = q <= 0.5;
  const double x = (std::numbers::pi / 2) * (near_peak ? q : 1.0 - q), z = x * x;
  // sin x = x (1 + z Q(z)), Q(z) = sum_{k=1..7} (-1)^k z^(k-1) / (2k + 1)!, with Q in Estrin's scheme (pairs,
  // then pairs of pairs: half the chain of dependent operations of Horner's rule); 1 + z Q last, so the sum's
  // rounding is half a unit of 1.
  const double z2 = z * z, z4 = z2 * z2;
  const double b0 = -1.0 / 6 + z * (1.0 / 120), b1 = -1.0 / 5040 + z * (1.0 / 362880),
               b2 = -1.0 / 39916800 + z * (1.0 / 6227020800.0), b3 = -1.0 / 1307674368000.0;
  const double s = x * (1.0 + z * ((b0 + z2 * b1) + z4 * (b2 + z2 * b3)));
  return near_peak ? 1.0 - s * s : s * s;
}

/// How a closed form evaluates its half-cosine: `std::cos` (the default; the fit's search and `lr`)...
struct std_half_cosine {
  double operator()(double p) const noexcept { return half_cosine(p); }
};
/// ...or the polynomial, for passes over every sample.
struct poly_half_cosine {
  double operator()(double p) const noexcept { return half_cosine_poly(p); }
};

/// lr = sum of coefficient * factor.
template <std::size_t N>
inline double dot(const std::array<double, N>& c, const std::array<double, N>& b) noexcept {
  double s = 0;
  for (std::size_t i = 0; i < N; ++i) s += c[i] * b[i];
  return s;
}
}  // namespace detail

/** `constant`: lr = peak for every step (PyTorch ConstantLR with factor 1, HF "constant"). */
struct constant_schedule {
  double peak_lr = 0;
  static constexpr std::size_t n_linear = 1;
  std::array<double, 1> basis(double) const noexcept { return {1.0}; }
  std::array<double, 1> coefficients() const noexcept { return {peak_lr}; }
  void set_coefficients(const std::array<double, 1>& c) noexcept { peak_lr = c[0]; }
  double lr(double t) const noexcept { return detail::dot(coefficients(), basis(t)); }
};

/**
 * `linear_warmup_constant` / `warmup_log_constant`: warmup then the peak forever.
 * HF get_constant_schedule_with_warmup (t / W), PyTorch LinearLR(start_factor, total_iters=W)
 * followed by a constant, DeepSpeed WarmupLR (log ramp from warmup_min_lr).
 */
struct warmup_constant_schedule {
  double peak_lr = 0;
  warmup_spec warmup;
  static constexpr std::size_t n_linear = 1;
  std::array<double, 1> basis(double t) const noexcept { return {warmup.active(t) ? warmup.ratio(t) : 1.0}; }
  std::array<double, 1> coefficients() const noexcept { return {peak_lr}; }
  void set_coefficients(const std::array<double, 1>& c) noexcept { peak_lr = c[0]; }
  double lr(double t) const noexcept { return detail::dot(coefficients(), basis(t)); }
};

/**
 * `warmup_linear` / `warmup_log_linear`: warmup, then linear decay from the peak at W to `min_lr` at T, flat after.
 * HF get_linear_schedule_with_warmup: max(0, (T - t) / max(1, T - W)); DeepSpeed WarmupDecayLR uses the same
 * factor (lr_schedules.py `_get_gamma`), with a log warmup by default.
 */
struct warmup_linear_schedule {
  double peak_lr = 0;
  double min_lr = 0;
  warmup_spec warmup;
  double total_steps = 0;  ///< T: the step at which the decay reaches min_lr
  static constexpr std::size_t n_linear = 2;
  std::array<double, 2> basis(double t) const noexcept {
    if (warmup.active(t)) return {warmup.ratio(t), 0.0};
    const double f = std::max(0.0, (total_steps - t) / std::max(1.0, total_steps - warmup.steps));
    const double g = std::min(f, 1.0);
    return {g, 1.0 - g};
  }
  std::array<double, 2> coefficients() const noexcept { return {peak_lr, min_lr}; }
  void set_coefficients(const std::array<double, 2>& c) noexcept { peak_lr = c[0], min_lr = c[1]; }
  double lr(double t) const noexcept { return detail::dot(coefficients(), basis(t)); }
};

/**
 * `warmup_cosine` / `warmup_log_cosine`: warmup, then a half cosine from the peak to `min_lr`.
 * - HF get_cosine_schedule_with_warmup (num_cycles 0.5) and PyTorch CosineAnnealingLR
 *   (eta_min + (eta_max - eta_min)(1 + cos(pi t / T_max)) / 2): p = (t - W) / (T - W), end_offset 0, not clamped;
 * - nanoGPT train.py get_lr: same p, clamped to min_lr after T; llm.c llmc/schedulers.h get_learning_rate_cosine:
 *   same p (it asserts it never passes T), warmup max_lr (step + 1) / W, i.e. this form one counter later;
 * - DeepSpeed WarmupCosineLR: `real_last_step = t - W + 1` over T - W, so end_offset 1 (reaches the floor at T - 1),
 *   not clamped (it rises again past T), floor = cos_min_ratio * peak.
 */
struct warmup_cosine_schedule {
  double peak_lr = 0;
  double min_lr = 0;
  warmup_spec warmup;
  double total_steps = 0;
  double end_offset = 0;         ///< 1 for DeepSpeed (decay progress counts from t - W + 1)
  bool clamp_after_end = false;  ///< nanoGPT/llm.c: min_lr once t > T
  static constexpr std::size_t n_linear = 2;
  std::array<double, 2> basis(double t) const noexcept { return basis(t, detail::std_half_cosine{}); }
  template <class HalfCosine>
  std::array<double, 2> basis(double t, HalfCosine half_cos) const noexcept {
    if (warmup.active(t)) return {warmup.ratio(t), 0.0};
    const double p = (t - warmup.steps + end_offset) / std::max(1.0, total_steps - warmup.steps);
    const double c = (clamp_after_end && p > 1.0) ? 0.0 : half_cos(p);
    return {c, 1.0 - c};
  }
  std::array<double, 2> coefficients() const noexcept { return {peak_lr, min_lr}; }
  void set_coefficients(const std::array<double, 2>& c) noexcept { peak_lr = c[0], min_lr = c[1]; }
  double lr(double t) const noexcept { return detail::dot(coefficients(), basis(t)); }
  template <class HalfCosine>
  double lr(double t, HalfCosine half_cos) const noexcept { return detail::dot(coefficients(), basis(t, half_cos)); }
};

/**
 * `warmup_polynomial`: HF get_polynomial_decay_schedule_with_warmup:
 * lr_end + (peak - lr_end) (1 - (t - W) / (T - W))^power, lr_end after T. Power 1 is `warmup_linear`.
 */
struct warmup_polynomial_schedule {
  double peak_lr = 0;
  double min_lr = 0;  ///< HF lr_end
  warmup_spec warmup;
  double total_steps = 0;
  double power = 1;
  static constexpr std::size_t n_linear = 2;
  std::array<double, 2> basis(double t) const noexcept {
    if (warmup.active(t)) return {warmup.ratio(t), 0.0};
    if (t > total_steps) return {0.0, 1.0};
    const double rem = std::clamp(1.0 - (t - warmup.steps) / std::max(1.0, total_steps - warmup.steps), 0.0, 1.0);
    const double f = std::pow(rem, power);
    return {f, 1.0 - f};
  }
  std::array<double, 2> coefficients() const noexcept { return {peak_lr, min_lr}; }
  void set_coefficients(const std::array<double, 2>& c) noexcept { peak_lr = c[0], min_lr = c[1]; }
  double lr(double t) const noexcept { return detail::dot(coefficients(), basis(t)); }
};

/**
 * `inverse_sqrt`: HF get_inverse_sqrt_schedule: linear warmup, then 1 / sqrt((t + timescale - W) / timescale);
 * HF's default timescale is W (10000 when W is 0). fairseq's inverse_sqrt is timescale = W.
 */
struct inverse_sqrt_schedule {
  double peak_lr = 0;
  warmup_spec warmup;
  double timescale = 0;
  static constexpr std::size_t n_linear = 1;
  std::array<double, 1> basis(double t) const noexcept {
    if (warmup.active(t)) return {warmup.ratio(t)};
    const double ts = timescale > 0 ? timescale : (warmup.steps > 0 ? warmup.steps : 10000.0);
    return {1.0 / std::sqrt(std::max(t + ts - warmup.steps, 1e-12) / ts)};
  }
  std::array<double, 1> coefficients() const noexcept { return {peak_lr}; }
  void set_coefficients(const std::array<double, 1>& c) noexcept { peak_lr = c[0]; }
  double lr(double t) const noexcept { return detail::dot(coefficients(), basis(t)); }
};

/**
 * `step`: PyTorch StepLR: peak * gamma^floor(u / step_size), u = t - W (after an optional warmup, as
 * SequentialLR hands the second scheduler a counter restarted at the milestone).
 */
struct step_schedule {
  double peak_lr = 0;
  warmup_spec warmup;
  double step_size = 1;
  double gamma = 0.1;
  static constexpr std::size_t n_linear = 1;
  std::array<double, 1> basis(double t) const noexcept {
    if (warmup.active(t)) return {warmup.ratio(t)};
    const double u = t - warmup.steps;
    return {std::pow(gamma, std::floor(std::max(0.0, u) / std::max(step_size, 1e-12)))};
  }
  std::array<double, 1> coefficients() const noexcept { return {peak_lr}; }
  void set_coefficients(const std::array<double, 1>& c) noexcept { peak_lr = c[0]; }
  double lr(double t) const noexcept { return detail::dot(coefficients(), basis(t)); }
};

/** `multistep`: PyTorch MultiStepLR: peak * gamma^(number of milestones <= u), u = t - W. */
struct multistep_schedule {
  double peak_lr = 0;
  warmup_spec warmup;
  std::vector<double> milestones;  ///< increasing, in post-warmup counter units
  double gamma = 0.1;
  static constexpr std::size_t n_linear = 1;
  std::array<double, 1> basis(double t) const noexcept {
    if (warmup.active(t)) return {warmup.ratio(t)};
    const double u = t - warmup.steps;
    const auto k = std::upper_bound(milestones.begin(), milestones.end(), u) - milestones.begin();
    return {std::pow(gamma, static_cast<double>(k))};
  }
  std::array<double, 1> coefficients() const noexcept { return {peak_lr}; }
  void set_coefficients(const std::array<double, 1>& c) noexcept { peak_lr = c[0]; }
  double lr(double t) const noexcept { return detail::dot(coefficients(), basis(t)); }
};

/** `exponential`: PyTorch ExponentialLR: peak * gamma^u, u = t - W. */
struct exponential_schedule {
  double peak_lr = 0;
  warmup_spec warmup;
  double gamma = 1;
  static constexpr std::size_t n_linear = 1;
  std::array<double, 1> basis(double t) const noexcept {
    if (warmup.active(t)) return {warmup.ratio(t)};
    return {std::pow(gamma, std::max(0.0, t - warmup.steps))};
  }
  std::array<double, 1> coefficients() const noexcept { return {peak_lr}; }
  void set_coefficients(const std::array<double, 1>& c) noexcept { peak_lr = c[0]; }
  double lr(double t) const noexcept { return detail::dot(coefficients(), basis(t)); }
};

/**
 * `cosine_restarts`: PyTorch CosineAnnealingWarmRestarts(T_0 = period, T_mult = mult, eta_min = min_lr), u = t - W:
 * cycle i lasts period * mult^i; within it lr = eta_min + (peak - eta_min)(1 + cos(pi T_cur / T_i)) / 2.
 * HF get_cosine_with_hard_restarts_schedule_with_warmup is mult 1, period (T - W) / num_cycles.
 */
struct cosine_restarts_schedule {
  double peak_lr = 0;
  double min_lr = 0;
  warmup_spec warmup;
  double period = 1;  ///< T_0
  double mult = 1;    ///< T_mult
  static constexpr std::size_t n_linear = 2;
  std::array<double, 2> basis(double t) const noexcept { return basis(t, detail::std_half_cosine{}); }
  template <class HalfCosine>
  std::array<double, 2> basis(double t, HalfCosine half_cos) const noexcept {
    if (warmup.active(t)) return {warmup.ratio(t), 0.0};
    const double u = std::max(0.0, t - warmup.steps);
    const double t0 = std::max(period, 1e-12);
    double cur = 0, len = t0;
    if (mult <= 1.0 + 1e-12) {
      cur = std::fmod(u, t0);
    } else {
      // Closed form of the cycle index (PyTorch lr_scheduler.py CosineAnnealingWarmRestarts.step).
      const double n = std::floor(std::log(u / t0 * (mult - 1.0) + 1.0) / std::log(mult));
      const double grown = std::pow(mult, n);
      cur = u - t0 * (grown - 1.0) / (mult - 1.0);
      len = t0 * grown;
    }
    const double c = half_cos(cur / len);
    return {c, 1.0 - c};
  }
  std::array<double, 2> coefficients() const noexcept { return {peak_lr, min_lr}; }
  void set_coefficients(const std::array<double, 2>& c) noexcept { peak_lr = c[0], min_lr = c[1]; }
  double lr(double t) const noexcept { return detail::dot(coefficients(), basis(t)); }
  template <class HalfCosine>
  double lr(double t, HalfCosine half_cos) const noexcept { return detail::dot(coefficients(), basis(t, half_cos)); }
};

/// How one_cycle and wsd move between two levels.
enum class anneal_shape { cosine, linear, one_minus_sqrt, square };

/**
 * `one_cycle`: a rise from `initial_lr` to `max_lr` then a fall.
 *
 * PyTorch OneCycleLR (style pytorch): phase ends at pct_start * total - 1 and total - 1 (two phases), or
 * pct_start * total - 1, 2 * pct_start * total - 2, total - 1 (three_phase, the middle one back to initial_lr);
 * within a phase, pct = (t - phase start) / (phase end - phase start), cos: end + (start - end)(1 + cos(pi pct)) / 2;
 * initial = max / div_factor, min = initial / final_div_factor; constant min after the end is our extension
 * (PyTorch raises there).
 *
 * DeepSpeed OneCycle (style deepspeed): linear up over `up_steps` from cycle_min_lr (initial_lr) to cycle_max_lr,
 * linear down over `down_steps`, then cycle_min_lr / (1 + decay_lr_rate (t - up - down) / decay_step_size)
 * (lr_schedules.py `_get_decay_lr`); min_lr is unused.
 */
struct one_cycle_schedule {
  enum class style_kind { pytorch, deepspeed };
  double max_lr = 0;
  double initial_lr = 0;
  double min_lr = 0;
  style_kind style = style_kind::pytorch;
  // pytorch
  double total_steps = 0;
  double pct_start = 0.3;
  bool three_phase = false;
  anneal_shape anneal = anneal_shape::cosine;
  // deepspeed
  double up_steps = 0;
  double down_steps = 0;
  double decay_lr_rate = 0;
  double decay_step_size = 0;

  /// From PyTorch OneCycleLR's own arguments.
  static one_cycle_schedule pytorch(double max_lr, double total_steps, double pct_start = 0.3,
                                    anneal_shape anneal = anneal_shape::cosine, double div_factor = 25.0,
                                    double final_div_factor = 1e4, bool three_phase = false) noexcept {
    one_cycle_schedule s;
    s.max_lr = max_lr;
    s.initial_lr = max_lr / div_factor;
    s.min_lr = s.initial_lr / final_div_factor;
    s.total_steps = total_steps;
    s.pct_start = pct_start;
    s.anneal = anneal;
    s.three_phase = three_phase;
    return s;
  }
  /// From DeepSpeed OneCycle's own arguments.
  static one_cycle_schedule deepspeed(double cycle_min_lr, double cycle_max_lr, double first_step_size,
                                      double second_step_size, double decay_lr_rate = 0,
                                      double decay_step_size = 0) noexcept {
    one_cycle_schedule s;
    s.style = style_kind::deepspeed;
    s.initial_lr = cycle_min_lr;
    s.max_lr = cycle_max_lr;
    s.up_steps = first_step_size;
    s.down_steps = second_step_size;
    s.decay_lr_rate = decay_lr_rate;
    s.decay_step_size = decay_step_size;
    s.total_steps = first_step_size + second_step_size;
    return s;
  }

  static constexpr std::size_t n_linear = 3;
  /// Factors of (max_lr, initial_lr, min_lr).
  std::array<double, 3> basis(double t) const noexcept { return basis(t, detail::std_half_cosine{}); }
  template <class HalfCosine>
  std::array<double, 3> basis(double t, HalfCosine half_cos) const noexcept {
    if (style == style_kind::deepspeed) {
      const double total = up_steps + down_steps;
      if (t <= total) {
        // DeepSpeed `_get_cycle_lr`: x within the cycle, scale rises over the first step size then falls.
        const double ratio = up_steps / std::max(total, 1e-12);
        const double x = t / std::max(total, 1e-12) - std::floor(t / std::max(total, 1e-12));
        const double s = x <= ratio ? x / std::max(ratio, 1e-12) : (x - 1.0) / (ratio - 1.0);
        return {s, 1.0 - s, 0.0};
      }
      if (decay_lr_rate == 0 || decay_step_size <= 0) return {0.0, 1.0, 0.0};
      return {0.0, 1.0 / (1.0 + decay_lr_rate * (t - total) / decay_step_size), 0.0};
    }
    const double e1 = pct_start * total_steps - 1.0;
    const double e_last = total_steps - 1.0;
    auto mix = [this, half_cos](double pct, std::array<double, 3> from, std::array<double, 3> to) {
      pct = std::clamp(pct, 0.0, 1.0);
      const double w = anneal == anneal_shape::linear ? pct : 1.0 - half_cos(pct);
      return std::array<double, 3>{from[0] + (to[0] - from[0]) * w, from[1] + (to[1] - from[1]) * w,
                                   from[2] + (to[2] - from[2]) * w};
    };
    constexpr std::array<double, 3> mx{1, 0, 0}, in{0, 1, 0}, mn{0, 0, 1};
    if (t <= e1) return mix(t / std::max(e1, 1e-12), in, mx);
    if (!three_phase) return mix((t - e1) / std::max(e_last - e1, 1e-12), mx, mn);
    const double e2 = 2.0 * pct_start * total_steps - 2.0;
    if (t <= e2) return mix((t - e1) / std::max(e2 - e1, 1e-12), mx, in);
    return mix((t - e2) / std::max(e_last - e2, 1e-12), in, mn);
  }
  std::array<double, 3> coefficients() const noexcept { return {max_lr, initial_lr, min_lr}; }
  void set_coefficients(const std::array<double, 3>& c) noexcept { max_lr = c[0], initial_lr = c[1], min_lr = c[2]; }
  double lr(double t) const noexcept { return detail::dot(coefficients(), basis(t)); }
  template <class HalfCosine>
  double lr(double t, HalfCosine half_cos) const noexcept { return detail::dot(coefficients(), basis(t, half_cos)); }
};

/// CyclicLR's amplitude policy.
enum class cyclic_mode { triangular, triangular2, exp_range };

/**
 * `cyclic`: PyTorch CyclicLR: cycle = floor(1 + t / (up + down)), x = 1 + t / (up + down) - cycle,
 * scale = x / r on the way up (r = up / (up + down)), (x - 1) / (r - 1) on the way down;
 * lr = base + (max - base) * scale * amplitude with amplitude 1 (triangular), 1 / 2^(cycle - 1) (triangular2)
 * or gamma^t (exp_range).
 */
struct cyclic_schedule {
  double base_lr = 0;
  double max_lr = 0;
  double step_size_up = 2000;
  double step_size_down = 2000;
  cyclic_mode mode = cyclic_mode::triangular;
  double gamma = 1;
  static constexpr std::size_t n_linear = 2;
  /// Factors of (base_lr, max_lr).
  std::array<double, 2> basis(double t) const noexcept {
    const double total = std::max(step_size_up + step_size_down, 1e-12);
    const double r = step_size_up / total;
    const double cycle = std::floor(1.0 + t / total);
    const double x = 1.0 + t / total - cycle;
    const double scale = x <= r ? x / std::max(r, 1e-12) : (x - 1.0) / (r - 1.0);
    double amp = 1.0;
    if (mode == cyclic_mode::triangular2) amp = 1.0 / std::pow(2.0, cycle - 1.0);
    else if (mode == cyclic_mode::exp_range) amp = std::pow(gamma, t);
    const double h = scale * amp;
    return {1.0 - h, h};
  }
  std::array<double, 2> coefficients() const noexcept { return {base_lr, max_lr}; }
  void set_coefficients(const std::array<double, 2>& c) noexcept { base_lr = c[0], max_lr = c[1]; }
  double lr(double t) const noexcept { return detail::dot(coefficients(), basis(t)); }
};

/**
 * `wsd` (warmup-stable-decay): HF get_wsd_schedule. Warmup from min_lr to the peak over W steps
 * (progress t / W, shaped linear, cosine 0.5(1 - cos(pi p)) or 1-sqrt 1 - sqrt(1 - p)), the peak for S steps,
 * a decay over D steps (linear 1 - p, cosine 0.5(1 + cos(pi p)), 1-sqrt 1 - sqrt(p), square 1 - p^2), min_lr after.
 * HF's min_lr_ratio is min_lr / peak_lr. Older transformers releases, and llm.c's get_learning_rate_wsd (decay from
 * 0.8 T, 1-sqrt, warmup (step + 1) / W), warm up from 0 instead: `warmup_from_min = false`.
 */
struct wsd_schedule {
  double peak_lr = 0;
  double min_lr = 0;
  double warmup_steps = 0;
  double stable_steps = 0;
  double decay_steps = 0;
  anneal_shape warmup_shape = anneal_shape::linear;  ///< linear, cosine or one_minus_sqrt
  anneal_shape decay_shape = anneal_shape::cosine;
  bool warmup_from_min = true;  ///< HF: the warmup starts at min_lr; false: at 0

  double total_steps() const noexcept { return warmup_steps + stable_steps + decay_steps; }
  static constexpr std::size_t n_linear = 2;
  std::array<double, 2> basis(double t) const noexcept { return basis(t, detail::std_half_cosine{}); }
  template <class HalfCosine>
  std::array<double, 2> basis(double t, HalfCosine half_cos) const noexcept {
    if (t < warmup_steps) {
      const double p = std::clamp(t / std::max(1.0, warmup_steps), 0.0, 1.0);
      double f = p;
      if (warmup_shape == anneal_shape::cosine) f = 0.5 * (1.0 - std::cos(std::numbers::pi * p));
      else if (warmup_shape == anneal_shape::one_minus_sqrt) f = 1.0 - std::sqrt(1.0 - p);
      return {f, warmup_from_min ? 1.0 - f : 0.0};
    }
    if (t < warmup_steps + stable_steps) return {1.0, 0.0};
    if (t < total_steps()) {
      const double p = (t - warmup_steps - stable_steps) / std::max(1.0, decay_steps);
      double f = 1.0 - p;
      if (decay_shape == anneal_shape::cosine) f = std::max(0.0, half_cos(p));
      else if (decay_shape == anneal_shape::one_minus_sqrt) f = 1.0 - std::sqrt(p);
      else if (decay_shape == anneal_shape::square) f = 1.0 - p * p;
      return {f, 1.0 - f};
    }
    return {0.0, 1.0};
  }
  std::array<double, 2> coefficients() const noexcept { return {peak_lr, min_lr}; }
  void set_coefficients(const std::array<double, 2>& c) noexcept { peak_lr = c[0], min_lr = c[1]; }
  double lr(double t) const noexcept { return detail::dot(coefficients(), basis(t)); }
  template <class HalfCosine>
  double lr(double t, HalfCosine half_cos) const noexcept { return detail::dot(coefficients(), basis(t, half_cos)); }
};

/** Any of the families. */
using schedule_model =
    std::variant<constant_schedule, warmup_constant_schedule, warmup_linear_schedule, warmup_cosine_schedule,
                 warmup_polynomial_schedule, inverse_sqrt_schedule, step_schedule, multistep_schedule,
                 exponential_schedule, cosine_restarts_schedule, one_cycle_schedule, cyclic_schedule, wsd_schedule>;

/// Learning rate of any family at scheduler counter t.
inline double lr_at(const schedule_model& m, double t) noexcept {
  return std::visit([t](const auto& s) { return s.lr(t); }, m);
}

namespace detail {
/// lr of one family at counter t for a pass over every sample: the polynomial half-cosine where the family has
/// one (the same value as `s.lr(t)` to a few units in the last place), `s.lr(t)` otherwise.
template <class Schedule>
inline double lr_full_pass(const Schedule& s, double t) noexcept {
  if constexpr (requires { s.lr(t, poly_half_cosine{}); }) return s.lr(t, poly_half_cosine{});
  else return s.lr(t);
}

/// The factors of one family at counter t for a pass over many samples (the fit's search): the polynomial
/// half-cosine where the family has one, as `lr_full_pass`, `s.basis(t)` otherwise.
template <class Schedule>
inline auto basis_full_pass(const Schedule& s, double t) noexcept {
  if constexpr (requires { s.basis(t, poly_half_cosine{}); }) return s.basis(t, poly_half_cosine{});
  else return s.basis(t);
}

/// `out[k] = lr_full_pass(s, t[k])` for k < m: a block of samples of a pass over every sample.
template <class Schedule>
inline void lr_full_pass_block(const Schedule& s, const double* t, std::size_t m, double* out) noexcept {
  for (std::size_t k = 0; k < m; ++k) out[k] = lr_full_pass(s, t[k]);
}

#if defined(__GNUC__)  // g++ and clang: vector extensions, two doubles per operation on every x86-64
/**
 * The same for the cosine family, two samples at a time: a long log spends most of its full-sample check in
 * this evaluation, which g++ does not vectorise by itself (a select between two computed values is control
 * flow to it). Inside the decay (0 <= p <= 1, not in the warmup) every value is `lr_full_pass`'s, bit for bit:
 * the same operations in the same order, with both arms of `half_cosine_poly`'s choice computed and one kept
 * by a mask. The samples outside it (warmup, past the end, before the start) are evaluated one by one.
 */
inline void lr_full_pass_block(const warmup_cosine_schedule& s, const double* t, std::size_t m,
                               double* out) noexcept {
  using pair = double __attribute__((vector_size(16)));
  using mask = long long __attribute__((vector_size(16)));
  auto pick = [](mask keep_first, pair a, pair b) { return (pair)(((mask)a & keep_first) | ((mask)b & ~keep_first)); };
  const double w = s.warmup.steps, e = s.end_offset, span = std::max(1.0, s.total_steps - s.warmup.steps);
  const double warm_below = s.warmup.steps > 0 ? s.warmup.steps : -std::numeric_limits<double>::infinity();
  const pair one = {1.0, 1.0}, zero = {0.0, 0.0};
  mask outside = {0, 0};  // lanes that met a sample outside the decay
  std::size_t k = 0;
  for (; k + 2 <= m; k += 2) {
    pair tk;
    std::memcpy(&tk, t + k, sizeof tk);
    const pair p = (tk - w + e) / span;  // as basis(): p = (t - W + e) / max(1, T - W)
    outside |= (tk < warm_below) | ~((p >= 0.0) & (p <= 1.0));
    // half_cosine_poly(p) for 0 <= p <= 1 (q = p)
    const mask near_peak = p <= 0.5;
    const pair x = (std::numbers::pi / 2) * pick(near_peak, p, one - p), z = x * x;
    const pair z2 = z * z, z4 = z2 * z2;
    const pair b0 = -1.0 / 6 + z * (1.0 / 120), b1 = -1.0 / 5040 + z * (1.0 / 362880),
               b2 = -1.0 / 39916800 + z * (1.0 / 6227020800.0), b3 = one * (-1.0 / 1307674368000.0);
    const pair sine = x * (one + z * ((b0 + z2 * b1) + z4 * (b2 + z2 * b3)));
    const pair c = pick(near_peak, one - sine * sine, sine * sine);
    const pair lr = (zero + s.peak_lr * c) + s.min_lr * (one - c);  // dot({peak, min}, {c, 1 - c})
    std::memcpy(out + k, &lr, sizeof lr);
  }
  for (; k < m; ++k) out[k] = lr_full_pass(s, t[k]);
  if (!(outside[0] | outside[1])) return;
  // The samples where the decay's formula does not apply, by basis()'s own tests.
  for (k = 0; k < m; ++k) {
    const double p = (t[k] - w + e) / span;
    if (s.warmup.active(t[k]) || !(p >= 0.0 && p <= 1.0)) out[k] = lr_full_pass(s, t[k]);
  }
}
#endif
}  // namespace detail

/// The family's name in the shared vocabulary (API, JSON, reports).
inline std::string_view family_name(const schedule_model& m) noexcept {
  struct namer {
    static std::string_view warm(const warmup_spec& w, std::string_view lin, std::string_view log) {
      return w.kind == warmup_kind::log && w.steps > 0 ? log : lin;
    }
    std::string_view operator()(const constant_schedule&) const { return "constant"; }
    std::string_view operator()(const warmup_constant_schedule& s) const {
      return warm(s.warmup, "linear_warmup_constant", "warmup_log_constant");
    }
    std::string_view operator()(const warmup_linear_schedule& s) const {
      return warm(s.warmup, "warmup_linear", "warmup_log_linear");
    }
    std::string_view operator()(const warmup_cosine_schedule& s) const {
      return warm(s.warmup, "warmup_cosine", "warmup_log_cosine");
    }
    std::string_view operator()(const warmup_polynomial_schedule&) const { return "warmup_polynomial"; }
    std::string_view operator()(const inverse_sqrt_schedule&) const { return "inverse_sqrt"; }
    std::string_view operator()(const step_schedule&) const { return "step"; }
    std::string_view operator()(const multistep_schedule&) const { return "multistep"; }
    std::string_view operator()(const exponential_schedule&) const { return "exponential"; }
    std::string_view operator()(const cosine_restarts_schedule&) const { return "cosine_restarts"; }
    std::string_view operator()(const one_cycle_schedule&) const { return "one_cycle"; }
    std::string_view operator()(const cyclic_schedule&) const { return "cyclic"; }
    std::string_view operator()(const wsd_schedule&) const { return "wsd"; }
  };
  return std::visit(namer{}, m);
}

}  // namespace trainscope::inline v1
