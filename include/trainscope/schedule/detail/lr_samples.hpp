#pragma once
/** Preparation of logged (step, lr) samples for a schedule fit: precision, weights, decimation, shape features. */
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

namespace trainscope::inline v1::detail {

/// How precisely the log stores its lr values, which sets the noise floor of the fit.
struct lr_precision {
  double relative = 1e-9;    ///< relative rounding of each value
  double absolute = 0;       ///< absolute quantum (e.g. 1e-6 for "%.6f"), 0 when none
  int digits = 0;            ///< significant digits when printed so ("%.3e": 4), 0 otherwise
  bool float32 = false;      ///< values are exactly float32
  std::string description;   ///< for the convention string
};

/// True when v * 10^k is an integer to parse precision.
inline bool is_decimal_multiple(double v, int k) noexcept {
  const double x = std::abs(v) * std::pow(10.0, k);
  return std::abs(x - std::round(x)) <= 1e-6 + x * 1e-12;
}

/**
 * Detects how the values were stored: printed with a fixed number of decimals (llm.c "%f"), with a fixed
 * number of significant digits ("%.3e"), as float32 (PyTorch param_groups rounded through a float tensor,
 * TensorBoard scalars), or as full doubles. Needs at least 8 distinct values to claim a decimal format.
 */
inline lr_precision detect_precision(std::span<const double> y, double double_relative) {
  lr_precision p;
  p.relative = double_relative;
  p.description = "lr stored as double";
  // Decimal formats are judged on at most 4096 evenly spaced values (O(n) overall); float32 on all of them.
  const std::size_t stride = std::max<std::size_t>(1, y.size() / 4096);
  std::vector<double> distinct;
  for (std::size_t i = 0; i < y.size(); i += stride)
    if (std::isfinite(y[i]) && y[i] >= 0) distinct.push_back(y[i]);
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  const bool enough = distinct.size() >= 8;
  // Printing leaves its last digit roughly uniform; exact values that happen to be short decimals (round
  // parameters, every-50-steps logging) end in 0 or 5 far more often. Claim a format only when at least half
  // of the values end in a digit other than 0 and 5 at that precision.
  auto printed_like = [&](auto last_digit) {
    std::size_t varied = 0;
    for (double v : distinct) {
      const int d = last_digit(v);
      varied += (d != 0 && d != 5) ? 1 : 0;
    }
    return 2 * varied >= distinct.size();
  };
  if (enough) {
    for (int k = 1; k <= 12; ++k) {
      if (std::all_of(distinct.begin(), distinct.end(), [k](double v) { return is_decimal_multiple(v, k); })) {
        const bool printed = printed_like([k](double v) {
          return static_cast<int>(std::llround(std::abs(v) * std::pow(10.0, k)) % 10);
        });
        if (!printed) break;
        p.absolute = std::pow(10.0, -k);
        p.description = "lr printed with " + std::to_string(k) + " decimals";
        return p;
      }
    }
    for (int d = 1; d <= 9; ++d) {
      const bool all = std::all_of(distinct.begin(), distinct.end(), [d](double v) {
        if (v == 0) return true;
        const int e = static_cast<int>(std::floor(std::log10(std::abs(v))));
        return is_decimal_multiple(v, d - 1 - e);
      });
      if (all) {
        const bool printed = printed_like([d](double v) {
          if (v == 0) return 1;
          const int e = static_cast<int>(std::floor(std::log10(std::abs(v))));
          return static_cast<int>(std::llround(std::abs(v) * std::pow(10.0, d - 1 - e)) % 10);
        });
        if (!printed) break;
        p.relative = 0.5 * std::pow(10.0, 1 - d);
        p.digits = d;
        p.description = "lr printed with " + std::to_string(d) + " significant digits";
        return p;
      }
    }
  }
  const bool f32 = std::all_of(y.begin(), y.end(), [](double v) {
    return !std::isfinite(v) || static_cast<double>(static_cast<float>(v)) == v;
  });
  if (f32 && !distinct.empty() && distinct.size() >= 2) {
    p.relative = 0x1p-24;
    p.float32 = true;
    p.description = "lr stored as float32";
  }
  return p;
}

/**
 * Samples ready for fitting: steps as doubles, values, weights 1 / sigma^2 and the half-width of each value's
 * rounding interval (float32: one ulp; a fixed number of decimals: half a quantum; significant digits: one unit). Rounding is deterministic, not noise (a float32 constant is off by the same amount at every
 * step), so a model inside the interval has no residual: chi2 counts only what lies beyond it. The interval is
 * widened to a whole unit in the last place for float32 and significant-digit formats, whose relative rounding
 * biases the fitted levels themselves by up to that much; a fixed number of decimals keeps its half-quantum.
 */
struct lr_samples {
  std::span<const std::int64_t> st;  ///< logged steps (a view of the caller's data, or of st_own)
  std::span<const double> y;         ///< logged lr
  std::vector<std::int64_t> st_own;  ///< storage when the samples are a filtered copy or a subset
  std::vector<double> y_own;
  std::vector<double> w, h;          ///< empty when computed on demand (long logs)
  lr_precision precision;
  double abs_floor = 0;  ///< lower bound of sigma

  lr_samples() = default;
  lr_samples(const lr_samples&) = delete;  // the views may point into this object's own storage
  lr_samples& operator=(const lr_samples&) = delete;
  lr_samples(lr_samples&&) = default;      // moving a vector keeps its buffer, so the views stay valid
  lr_samples& operator=(lr_samples&&) = default;

  std::size_t size() const noexcept { return y.size(); }
  double step(std::size_t i) const noexcept { return static_cast<double>(st[i]); }

  /// Half-width of the rounding interval of value v (see above).
  double rounding(double v) const noexcept {
    if (precision.float32 && v > 0) {
      const float f = static_cast<float>(v);
      return static_cast<double>(std::nextafter(f, std::numeric_limits<float>::infinity())) - static_cast<double>(f);
    }
    if (precision.digits > 0 && v > 0) return std::pow(10.0, std::floor(std::log10(v)) - precision.digits + 1);
    return 0.5 * precision.absolute;
  }
  /// Weight 1 / sigma^2 of a value whose weight is computed, not stored.
  double computed_weight(double v) const noexcept {
    const double sigma = std::max(precision.relative * v, abs_floor);
    return 1.0 / (sigma * sigma);
  }
  double weight(std::size_t i) const noexcept { return w.empty() ? computed_weight(y[i]) : w[i]; }
  double half(std::size_t i) const noexcept { return h.empty() ? rounding(y[i]) : h[i]; }
  /// weight(i) and half(i) for the m samples from i0 on. When they are computed (long logs), plain loops
  /// without a branch per sample on how they are stored; with doubles or a fixed number of decimals the
  /// interval is one constant.
  void weights_and_halves(std::size_t i0, std::size_t m, double* weights, double* halves) const noexcept {
    if (!w.empty() || !h.empty()) {
      for (std::size_t k = 0; k < m; ++k) weights[k] = weight(i0 + k), halves[k] = half(i0 + k);
      return;
    }
    const double* const v = y.data() + i0;
    for (std::size_t k = 0; k < m; ++k) weights[k] = computed_weight(v[k]);
    if (!precision.float32 && precision.digits <= 0) std::fill(halves, halves + m, 0.5 * precision.absolute);
    else
      for (std::size_t k = 0; k < m; ++k) halves[k] = rounding(v[k]);
  }
  void push(std::int64_t step_, double value, double weight_, double half_) {
    st_own.push_back(step_), y_own.push_back(value), w.push_back(weight_), h.push_back(half_);
    st = st_own, y = y_own;
  }
};

/// Noise model: sigma_i = max(relative * |y_i|, absolute / 2, 1e-12 * peak); weights and rounding intervals
/// are computed on demand. Samples whose lr is not finite or is negative are left out; when there are none,
/// the caller's arrays are used in place (no copy).
inline lr_samples weigh(std::span<const std::int64_t> steps, std::span<const double> lr, const lr_precision& p,
                        double peak, std::size_t usable) {
  lr_samples out;
  out.precision = p;
  out.abs_floor = std::max(0.5 * p.absolute, 1e-12 * peak);
  if (usable == lr.size()) {
    out.st = steps, out.y = lr;
    return out;
  }
  out.st_own.reserve(usable);
  out.y_own.reserve(usable);
  for (std::size_t i = 0; i < lr.size(); ++i) {
    const double v = lr[i];
    if (!(v >= 0) || !std::isfinite(v)) continue;
    out.st_own.push_back(steps[i]);
    out.y_own.push_back(v);
  }
  out.st = out.st_own, out.y = out.y_own;
  return out;
}

/**
 * Indices of a subset that keeps the shape: evenly spaced samples, samples log-spaced from the start
 * (short warmups of long runs), and the samples with the largest second differences with their
 * neighbours (kinks and jumps: warmup end, milestones, restarts). O(n).
 */
inline std::vector<std::size_t> pick_fit_points(std::span<const double> y, std::size_t target) {
  const std::size_t n = y.size();
  std::vector<std::size_t> idx;
  if (n <= target) {
    idx.resize(n);
    for (std::size_t i = 0; i < n; ++i) idx[i] = i;
    return idx;
  }
  const std::size_t uniform = target / 2, logspaced = target / 4, kinks = target / 12;
  for (std::size_t k = 0; k < uniform; ++k) idx.push_back(k * (n - 1) / (uniform - 1));
  for (std::size_t k = 0; k < logspaced; ++k) {
    const double x = std::exp(std::log(static_cast<double>(n)) * static_cast<double>(k) / static_cast<double>(logspaced));
    idx.push_back(std::min(n - 1, static_cast<std::size_t>(x) - 1));
  }
  std::vector<std::pair<double, std::size_t>> score;
  {
    // Keep only candidates above the 8*kinks-th largest second difference of a first look, to stay small.
    auto d2 = [&y](std::size_t i) { return std::abs(y[i - 1] - 2 * y[i] + y[i + 1]); };
    std::vector<double> probe;
    const std::size_t step = std::max<std::size_t>(1, n / 65536);
    for (std::size_t i = 1; i + 1 < n; i += step) probe.push_back(d2(i));
    const std::size_t q = std::min(probe.size() - 1, 8 * kinks * probe.size() / n + 1);
    std::nth_element(probe.begin(), probe.begin() + static_cast<std::ptrdiff_t>(probe.size() - 1 - q), probe.end());
    const double cut = probe[probe.size() - 1 - q];
    // Blocks of 8 tested without a branch per sample (few samples pass the cut), then the block's samples.
    // A block has a candidate when its largest second difference is at least the cut and positive (a NaN is
    // never the largest). One running maximum per block is three times faster than a flag per sample, whose
    // compares and ors form a longer chain, and faster than a branch per sample.
    const double block_cut = std::max(cut, std::numeric_limits<double>::denorm_min());
    std::size_t i = 1;
    for (; i + 8 < n; i += 8) {
      double largest = 0;
      for (std::size_t k = 0; k < 8; ++k) {
        const double v = d2(i + k);
        largest = v > largest ? v : largest;
      }
      if (!(largest >= block_cut)) continue;
      for (std::size_t k = 0; k < 8; ++k) {
        const double v = d2(i + k);
        if (v >= cut && v > 0) score.emplace_back(v, i + k);
      }
    }
    for (; i + 1 < n; ++i) {
      const double v = d2(i);
      if (v >= cut && v > 0) score.emplace_back(v, i);
    }
  }
  const std::size_t keep = std::min(kinks, score.size());
  std::nth_element(score.begin(), score.begin() + static_cast<std::ptrdiff_t>(keep), score.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (std::size_t k = 0; k < keep; ++k) {
    if (score[k].first <= 0) continue;
    const std::size_t i = score[k].second;
    for (std::size_t j = (i >= 2 ? i - 2 : 0); j <= std::min(n - 1, i + 2); ++j) idx.push_back(j);
  }
  std::sort(idx.begin(), idx.end());
  idx.erase(std::unique(idx.begin(), idx.end()), idx.end());
  return idx;
}

/// Shape facts that seed the search (all in logged steps).
struct lr_features {
  double peak = 0, floor = 0;
  std::size_t i_peak = 0;            ///< first sample within 1e-3 of the peak
  double s_first = 0, s_last = 0, y_first = 0, y_last = 0;
  bool rises_at_start = false;       ///< a warmup or a one-cycle rise
  double s_peak = 0;                 ///< step of i_peak
  double s_half = -1;                ///< first step after the peak at or below half the peak (-1: never)
  std::vector<std::size_t> down_jumps, up_jumps;  ///< i such that y[i] -> y[i+1] is a jump
  bool rises_again = false;          ///< falls by a third of the range after the peak, then rises by a third
  double s_trough = -1;              ///< first interior minimum before the second rise
  double s_second_peak = -1;
  std::vector<double> down_jump_steps, up_jump_steps;  ///< s[i + 1] for each jump: the first step at the new level
  double jump_ratio_mean_down = 0.1; ///< geometric mean of the downward jump ratios
  double s_leave = 0;                ///< last step of the plateau at the peak
  double s_floor = -1;               ///< first step at the lowest level after the peak (-1: never)
  std::size_t plateau_samples = 0;   ///< samples from i_peak on within 1e-4 of the peak, before it first leaves
};

/// Shape facts of the samples, whose largest and smallest values are `peak` and `floor` (the caller's validation
/// pass finds them, so a long log is not read once more for them).
inline lr_features extract_features(const lr_samples& d, double peak, double floor) {
  lr_features f;
  const std::size_t n = d.size();
  f.peak = peak, f.floor = floor;
  f.s_first = d.step(0), f.s_last = d.step(n - 1), f.y_first = d.y.front(), f.y_last = d.y.back();
  for (std::size_t i = 0; i < n; ++i)
    if (d.y[i] >= f.peak * (1 - 1e-3)) {
      f.i_peak = i;
      break;
    }
  f.s_peak = d.step(f.i_peak);
  f.rises_at_start = f.i_peak > 0 && f.y_first < 0.9 * f.peak;
  // Jumps: a change of over 3% in one logged interval, ten times larger than either neighbour's, in ratio
  // (step decays at any level) or in absolute size when over 5% of the peak (restarts from near zero, where the
  // neighbours' ratios are large too).
  auto lr_change = [&](std::size_t i) {
    const double a = std::max(d.y[i], 1e-300), b = std::max(d.y[i + 1], 1e-300);
    return std::log(b / a);
  };
  auto diff = [&](std::size_t i) { return std::abs(d.y[i + 1] - d.y[i]); };
  // One pass from the peak on (long logs are memory-bound, so each fact is read off the same sweep): where the
  // lr first halves, the jumps, the plateau at the peak, the lowest value after the peak, and a second rise.
  const double range = f.peak - f.floor;
  const double top_level = f.peak * (1 - 1e-4);
  const double third = range / 3, rise_below = f.peak - third;  // a second rise: a third of the range from a low
  f.s_leave = f.s_peak;
  int plateau_state = 0;  // 0: before the lr first reaches top_level, 1: on the plateau, 2: after it
  double low = f.peak;
  std::size_t i_low = f.i_peak;
  bool half_seen = false, rise_seen = false;
  // The lowest value of each chunk of samples from the peak on, so that the first sample near the lowest value
  // overall is looked for in one chunk, not by a second sweep.
  constexpr std::size_t chunk = 4096;
  std::vector<double> chunk_low;
  chunk_low.reserve((n - f.i_peak) / chunk + 1);
  // While the lowest value so far is only found again lazily (see below): the first block of 8 where it was reached.
  constexpr std::size_t exact = static_cast<std::size_t>(-1);
  std::size_t low_block = exact;
  // Each sample, one at a time: every fact's definition.
  auto one_sample = [&](std::size_t i, double& lowest_here) {
    const double y = d.y[i];
    if (!half_seen && y <= 0.5 * f.peak) f.s_half = d.step(i), half_seen = true;
    lowest_here = std::min(lowest_here, y);
    if (plateau_state == 0 && y >= top_level) plateau_state = 1;
    if (plateau_state == 1) {
      if (y >= top_level) f.s_leave = d.step(i), ++f.plateau_samples;
      else plateau_state = 2;
    }
    if (!rise_seen) {
      if (y < low) low = y, i_low = i, low_block = exact;
      if (low < rise_below && y > low + third) {
        rise_seen = true;
        f.rises_again = true;
        if (low_block != exact) {  // the first sample at the lowest value, in the block where it was reached
          const auto from = d.y.begin() + static_cast<std::ptrdiff_t>(low_block);
          i_low = static_cast<std::size_t>(std::find(from, d.y.end(), low) - d.y.begin());
        }
        f.s_trough = d.step(i_low);
        double hi = y;
        std::size_t i_hi = i;
        for (std::size_t j = i; j < n && d.y[j] >= hi; ++j) hi = d.y[j], i_hi = j;
        f.s_second_peak = d.step(i_hi);
      }
    }
    // a warmup's first steps are not restarts, so jumps are looked for from the peak on
    if (i + 1 >= n || diff(i) < 0.0295 * std::min(y, d.y[i + 1])) return;  // cheap pre-test
    const double c = lr_change(i);
    if (std::abs(c) < 0.03) return;
    const double before = i > 0 ? std::abs(lr_change(i - 1)) : 0.0;
    const double after = i + 2 < n ? std::abs(lr_change(i + 1)) : 0.0;
    const bool by_ratio = std::abs(c) > 10 * before && std::abs(c) > 10 * after;
    const double dbefore = i > 0 ? diff(i - 1) : 0.0, dafter = i + 2 < n ? diff(i + 1) : 0.0;
    const bool by_size = diff(i) > 0.05 * f.peak && diff(i) > 10 * dbefore && diff(i) > 10 * dafter;
    if (by_ratio || by_size) (c < 0 ? f.down_jumps : f.up_jumps).push_back(i);
  };
  // Most blocks of 8 samples change nothing but the lowest values (a smooth decay, far from halving, no jump):
  // that is tested for the block at once, without a branch per sample, and such a block only updates them. Any
  // other block is read one sample at a time. The values are finite (weigh left out the others), so the minimum
  // and maximum of a block do not depend on the order, and every result is the one-sample-at-a-time one. The
  // lowest value's index is looked for only when a second rise needs it.
  constexpr std::size_t block = 8;
  for (std::size_t c0 = f.i_peak; c0 < n; c0 += chunk) {
    const std::size_t c1 = std::min(n, c0 + chunk);
    double lowest_here = f.peak;
    std::size_t i = c0;
    for (; i + block <= c1 && i + block < n; i += block) {  // the block's samples and the next one
      double lo = d.y[i], hi = d.y[i];
      bool jump = false;
      for (std::size_t k = 0; k < block; ++k) {
        const double y = d.y[i + k], next = d.y[i + k + 1];
        lo = y < lo ? y : lo;
        hi = y > hi ? y : hi;
        jump |= !(diff(i + k) < 0.0295 * (y < next ? y : next));
      }
      const double new_low = lo < low ? lo : low;
      const bool quiet = !jump && (half_seen || lo > 0.5 * f.peak) &&
                         (plateau_state == 2 || (plateau_state == 0 && hi < top_level)) &&
                         (rise_seen || !(new_low < rise_below && hi > new_low + third));
      if (!quiet) {
        for (std::size_t k = 0; k < block; ++k) one_sample(i + k, lowest_here);
        continue;
      }
      lowest_here = std::min(lowest_here, lo);
      if (!rise_seen && lo < low) low = lo, low_block = i;
    }
    for (; i < c1; ++i) one_sample(i, lowest_here);
    chunk_low.push_back(lowest_here);
  }
  for (std::size_t i : f.down_jumps) f.down_jump_steps.push_back(d.step(i + 1));
  for (std::size_t i : f.up_jumps) f.up_jump_steps.push_back(d.step(i + 1));
  if (!f.down_jumps.empty()) {
    double acc = 0;
    for (std::size_t i : f.down_jumps) acc += lr_change(i);
    f.jump_ratio_mean_down = std::exp(acc / static_cast<double>(f.down_jumps.size()));
  }
  const double late_floor = *std::min_element(chunk_low.begin(), chunk_low.end());  // i_peak < n: one chunk at least
  const double floor_level = late_floor + 1e-4 * (f.peak - late_floor);
  const auto first_chunk = std::find_if(chunk_low.begin(), chunk_low.end(), [&](double v) { return v <= floor_level; });
  if (first_chunk != chunk_low.end())
    for (std::size_t i = f.i_peak + static_cast<std::size_t>(first_chunk - chunk_low.begin()) * chunk; i < n; ++i)
      if (d.y[i] <= floor_level) {
        f.s_floor = d.step(i);
        break;
      }
  return f;
}

inline lr_features extract_features(const lr_samples& d) {
  const auto [lo, hi] = std::minmax_element(d.y.begin(), d.y.end());
  return extract_features(d, *hi, *lo);
}

}  // namespace trainscope::inline v1::detail
