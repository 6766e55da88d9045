#pragma once
/**
 * The schedule a run's configuration names (DeepSpeed or HF Trainer keys), and whether the logged lr agrees with it.
 */
#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <initializer_list>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "trainscope/core/detail/huge_page_buffer.hpp"
#include "trainscope/schedule/closed_forms.hpp"

namespace trainscope::inline v1 {

/** A closed form read from a configuration. */
struct configured_schedule {
  schedule_model model;
  bool peak_known = false;  ///< false when the config names the shape but not the lr (peak set to 1)
  std::string source;       ///< e.g. "deepspeed WarmupCosineLR"
};

namespace detail {
inline std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

/// Value of a key, matched case-insensitively on the whole key or on its last dotted/slashed component.
inline std::optional<std::string> config_get(const std::vector<std::pair<std::string, std::string>>& config,
                                             std::initializer_list<std::string_view> keys) {
  for (std::string_view want : keys) {
    for (const auto& [k, v] : config) {
      const std::string lk = lower(k);
      const auto cut = lk.find_last_of("./");
      const std::string_view last = cut == std::string::npos ? std::string_view(lk) : std::string_view(lk).substr(cut + 1);
      if (lk == want || last == want) return v;
    }
  }
  return std::nullopt;
}

inline std::optional<double> config_number(const std::vector<std::pair<std::string, std::string>>& config,
                                           std::initializer_list<std::string_view> keys) {
  const auto v = config_get(config, keys);
  if (!v) return std::nullopt;
  std::string s = *v;
  s.erase(std::remove(s.begin(), s.end(), '"'), s.end());
  char* end = nullptr;
  const double x = std::strtod(s.c_str(), &end);
  if (end == s.c_str() || !std::isfinite(x)) return std::nullopt;
  return x;
}
}  // namespace detail

/**
 * Reads the schedule named by configuration pairs (run.config), or nothing when none is named.
 *
 * DeepSpeed (`lr_schedule` / `scheduler.type`): WarmupCosineLR (warmup_num_steps, total_num_steps, cos_min_ratio,
 * warmup_min_ratio, warmup_type, default log), WarmupDecayLR and WarmupLR (warmup_min_lr, warmup_max_lr,
 * warmup_num_steps, total_num_steps, warmup_type), OneCycle (cycle_min_lr, cycle_max_lr, cycle_first_step_size,
 * cycle_second_step_size, decay_lr_rate, decay_step_size). HF Trainer (`lr_scheduler_type`): linear, cosine, constant,
 * constant_with_warmup, polynomial, inverse_sqrt, cosine_with_min_lr (warmup_steps or warmup_ratio, max_steps,
 * learning_rate). The peak comes from warmup_max_lr, lr or learning_rate when present.
 */
inline std::optional<configured_schedule> schedule_from_config(
    const std::vector<std::pair<std::string, std::string>>& config) {
  using detail::config_get, detail::config_number;
  auto type = config_get(config, {"lr_schedule", "scheduler.type", "lr_scheduler", "scheduler", "lr_scheduler_type"});
  if (!type) return std::nullopt;
  std::string t = detail::lower(*type);
  t.erase(std::remove(t.begin(), t.end(), '"'), t.end());
  if (auto p = t.find("schedulertype."); p != std::string::npos) t = t.substr(p + 14);  // "SchedulerType.COSINE"
  configured_schedule out;
  const auto lr = config_number(config, {"warmup_max_lr", "peak_lr", "max_lr", "learning_rate", "lr", "optimizer.params.lr"});
  out.peak_known = lr.has_value();
  const double peak = lr.value_or(1.0);
  const auto ws = config_number(config, {"warmup_num_steps", "warmup_steps", "num_warmup_steps"});
  const auto total = config_number(config, {"total_num_steps", "max_steps", "num_training_steps", "total_steps"});

  warmup_spec w;
  if (t == "onecycle") {
    // DeepSpeed OneCycle: cycle_first_step_size defaults to 2000, the second to the first, no decay.
    const auto lo = config_number(config, {"cycle_min_lr"}), hi = config_number(config, {"cycle_max_lr"});
    if (!lo || !hi) return std::nullopt;
    const double up = config_number(config, {"cycle_first_step_size"}).value_or(2000);
    out.model = one_cycle_schedule::deepspeed(*lo, *hi, up, config_number(config, {"cycle_second_step_size"}).value_or(up),
                                              config_number(config, {"decay_lr_rate"}).value_or(0),
                                              config_number(config, {"decay_step_size"}).value_or(0));
    out.peak_known = true;
    out.source = "deepspeed OneCycle";
    return out;
  }
  const bool deepspeed = t == "warmupcosinelr" || t == "warmupdecaylr" || t == "warmuplr";
  if (deepspeed) {
    // DeepSpeed: warmup_num_steps defaults to 1000, warmup_type to "log" (lr_schedules.py).
    w.steps = ws.value_or(1000);
    const auto kind = config_get(config, {"warmup_type"});
    w.kind = kind && detail::lower(*kind).find("linear") != std::string::npos ? warmup_kind::linear : warmup_kind::log;
    out.source = "deepspeed " + *type;
  } else {
    double steps = ws.value_or(0);
    if (!ws || steps == 0)
      if (auto ratio = config_number(config, {"warmup_ratio"}); ratio && total) steps = std::ceil(*ratio * *total);
    w.steps = steps;
    out.source = "HF lr_scheduler_type " + t;
  }

  if (t == "warmupcosinelr") {
    if (!total) return std::nullopt;
    w.start_ratio = config_number(config, {"warmup_min_ratio"}).value_or(0);
    warmup_cosine_schedule s;
    s.peak_lr = peak;
    s.min_lr = peak * config_number(config, {"cos_min_ratio"}).value_or(1e-4);
    s.warmup = w;
    s.total_steps = *total;
    s.end_offset = 1;
    out.model = s;
  } else if (t == "warmupdecaylr" || t == "warmuplr") {
    const double lo = config_number(config, {"warmup_min_lr"}).value_or(0);
    const double hi = config_number(config, {"warmup_max_lr"}).value_or(out.peak_known ? peak : 0.001);
    out.peak_known = true;
    w.start_ratio = hi > 0 ? lo / hi : 0;
    if (t == "warmuplr") {
      out.model = warmup_constant_schedule{hi, w};
    } else {
      if (!total) return std::nullopt;
      warmup_linear_schedule s{hi, lo, w, *total};
      out.model = s;
    }
  } else if (t == "linear" || t == "cosine" || t == "cosine_with_min_lr" || t == "polynomial") {
    if (!total) return std::nullopt;
    if (t == "linear") out.model = warmup_linear_schedule{peak, 0, w, *total};
    else if (t == "polynomial")
      out.model = warmup_polynomial_schedule{peak, config_number(config, {"lr_end"}).value_or(1e-7), w, *total,
                                             config_number(config, {"power"}).value_or(1.0)};
    else {
      warmup_cosine_schedule s;
      s.peak_lr = peak;
      s.min_lr = config_number(config, {"min_lr"}).value_or(peak * config_number(config, {"min_lr_rate"}).value_or(0));
      s.warmup = w;
      s.total_steps = *total;
      out.model = s;
    }
  } else if (t == "constant") {
    out.model = constant_schedule{peak};
  } else if (t == "constant_with_warmup") {
    out.model = warmup_constant_schedule{peak, w};
  } else if (t == "inverse_sqrt") {
    out.model = inverse_sqrt_schedule{peak, w, config_number(config, {"timescale"}).value_or(w.steps > 0 ? w.steps : 10000)};
  } else {
    return std::nullopt;
  }
  return out;
}

/** How well logged lr values match a configured schedule. */
struct schedule_agreement {
  bool agrees = false;             ///< max_relative_error within the tolerance
  double max_relative_error = 0;   ///< max |model - logged| / max(logged, floor_ratio * peak)
  double rms_relative_error = 0;
  std::int64_t step_offset = 0;    ///< logged step = counter + offset that matched best (-1, 0 or 1)
  double scale = 1;                ///< factor applied to the model's lr (fitted when the config has no peak)
};

/**
 * Compares logged (step, lr) samples with a configured schedule, trying the step offsets -1, 0 and 1.
 * When the config did not give the peak, the lr is scaled by the least-squares factor first.
 * `tolerance` is on the max relative error (default 1%, far above float32 or "%.6g" rounding); values below
 * `floor_ratio` of the peak are compared in absolute terms (as that fraction of the peak), so a cosine tail at
 * 1e-9 that ends one step off does not count as a disagreement.
 */
namespace detail {

/// The largest finite value, and 0 when none is larger: std::max over the finite values in order. Four maxima
/// side by side and no branch per value (the maximum does not depend on the order), so a long log's pass runs at
/// the memory's pace: 5.6 to 1.7 ms for 5.3 million values.
inline double largest_finite(std::span<const double> values) noexcept {
  constexpr double finite_max = std::numeric_limits<double>::max();
  double m[4] = {0, 0, 0, 0};
  std::size_t i = 0;
  for (; i + 4 <= values.size(); i += 4)
    for (std::size_t k = 0; k < 4; ++k) {
      const double v = values[i + k];
      m[k] = v > m[k] && v <= finite_max ? v : m[k];  // NaN and infinities fail one of the two
    }
  for (; i < values.size(); ++i) m[0] = values[i] > m[0] && values[i] <= finite_max ? values[i] : m[0];
  return std::max(std::max(m[0], m[1]), std::max(m[2], m[3]));
}

/// The model's lr at step - 1, step and step + 1 for each sample in turn. Consecutive steps share two of
/// the three, so a log of every step costs one closed-form evaluation per sample instead of three; the
/// values are the same lr_full_pass(double(step - offset)) calls (the closed form, with the polynomial
/// half-cosine for cosine families), only not repeated. `Model` is one alternative of
/// schedule_model, so the closed form is called directly (inlined), not through the variant per sample.
template <class Model>
class lr_at_offsets {
 public:
  explicit lr_at_offsets(const Model& m) : model_(m) {}
  /// lr at step - offset for offset 0, 1, -1 (in that order, as compare_schedule tries them)
  const std::array<double, 3>& at(std::int64_t step) {
    if (valid_ && step == step_ + 1) {
      const double below = at_[0], here = at_[2];  // lr(step - 1) was lr(prev), lr(step) was lr(prev + 1)
      at_ = {here, below, lr_full_pass(model_, static_cast<double>(step + 1))};
    } else {
      at_ = {lr_full_pass(model_, static_cast<double>(step)), lr_full_pass(model_, static_cast<double>(step - 1)),
             lr_full_pass(model_, static_cast<double>(step + 1))};
    }
    step_ = step, valid_ = true;
    return at_;
  }

 private:
  const Model& model_;
  std::array<double, 3> at_{};  // lr at step, step - 1, step + 1
  std::int64_t step_ = 0;
  bool valid_ = false;
};

}  // namespace detail

inline schedule_agreement compare_schedule(const configured_schedule& cs, std::span<const std::int64_t> steps,
                                           std::span<const double> lr, double tolerance = 0.01,
                                           double floor_ratio = 0.01) {
  schedule_agreement best;
  best.max_relative_error = std::numeric_limits<double>::infinity();
  const double peak = detail::largest_finite(lr);
  const double floor = std::max(floor_ratio * peak, 1e-300);
  constexpr std::array<std::int64_t, 3> offsets{0, 1, -1};
  // All three offsets in one pass over the samples (each accumulates in sample order, as one pass per
  // offset would).
  std::array<double, 3> scale{1, 1, 1};
  std::array<double, 3> mx{}, s2{};
  std::size_t n = 0;
  // the closed form is chosen once; both passes call it directly
  std::visit([&]<class Model>(const Model& form) {
    // Without the peak the scale comes first (a pass of its own); the closed form's value at each sample's
    // step is kept from it, so the second pass takes lr(step), and lr(step -+ 1) where the neighbouring sample
    // is one step away, from there: the same values, without evaluating the closed form again (evaluating it
    // again, even two at a time, was slower at every size). The array is in huge pages where Linux allows, which
    // makes faulting it in cheap (huge_page_buffer).
    std::optional<detail::huge_page_buffer<double>> at_step_storage;
    double* at_step = nullptr;  // the closed form at every sample's step (not zero-filled: all are written)
    // lr at step, step - 1 and step + 1 of sample i: the neighbours' kept values where they are one step away
    // (and kept already: before `known_end`), else the closed form.
    auto around = [&](std::size_t i, std::size_t known_end) {
      const std::int64_t s = steps[i];
      const bool before = i > 0 && steps[i - 1] == s - 1;
      const bool after = i + 1 < known_end && steps[i + 1] == s + 1;
      return std::array<double, 3>{at_step[i], before ? at_step[i - 1] : detail::lr_full_pass(form, static_cast<double>(s - 1)),
                                   after ? at_step[i + 1] : detail::lr_full_pass(form, static_cast<double>(s + 1))};
    };
    if (!cs.peak_known) {
      std::array<double, 3> num{}, den{};
      at_step = at_step_storage.emplace(lr.size()).data();
      // In blocks: the closed form at each sample's step (lr_full_pass_block: the cosine family two at a time),
      // then the sums, with lr(step -+ 1) from the neighbouring sample where it is one step away.
      constexpr std::size_t block = 1024;
      double counter[block];
      for (std::size_t i0 = 0; i0 < lr.size(); i0 += block) {
        const std::size_t m = std::min(block, lr.size() - i0);
        for (std::size_t k = 0; k < m; ++k) counter[k] = static_cast<double>(steps[i0 + k]);
        detail::lr_full_pass_block(form, counter, m, at_step + i0);
        for (std::size_t i = i0; i < i0 + m; ++i) {
          if (!std::isfinite(lr[i])) continue;
          const std::array<double, 3> at = around(i, i0 + m);
          const double w = 1.0 / (std::max(lr[i], floor) * std::max(lr[i], floor));
          for (std::size_t k = 0; k < 3; ++k) num[k] += w * at[k] * lr[i], den[k] += w * at[k] * at[k];
        }
      }
      for (std::size_t k = 0; k < 3; ++k) scale[k] = den[k] > 0 ? num[k] / den[k] : 1;
    }
    detail::lr_at_offsets<Model> model(form);
    // In blocks: the three values of each sample, then its three errors (each a division: two samples at a time
    // when the compiler vectorises the loop), then the sums in sample order.
    constexpr std::size_t block = 512;
    std::vector<double> buffer(6 * block);
    double* const at_offset[3] = {buffer.data(), buffer.data() + block, buffer.data() + 2 * block};
    double* const error[3] = {buffer.data() + 3 * block, buffer.data() + 4 * block, buffer.data() + 5 * block};
    for (std::size_t i0 = 0; i0 < lr.size(); i0 += block) {
      const std::size_t m = std::min(block, lr.size() - i0);
      const double* const y = lr.data() + i0;
      for (std::size_t k = 0; k < m; ++k) {
        const std::size_t i = i0 + k;
        std::array<double, 3> at{};  // 0 for a sample left out (its errors are not summed)
        if (!std::isfinite(y[k])) {
        } else if (at_step) {
          at = around(i, lr.size());
        } else {
          at = model.at(steps[i]);
        }
        for (std::size_t j = 0; j < 3; ++j) at_offset[j][k] = at[j];
      }
      for (std::size_t j = 0; j < 3; ++j) {
        const double* const a = at_offset[j];
        double* const e = error[j];
        const double sc = scale[j];
        for (std::size_t k = 0; k < m; ++k) e[k] = std::abs(sc * a[k] - y[k]) / std::max(y[k], floor);
      }
      // the sums in locals: stores through mx and s2 could alias the buffers, so each sample would wait for them
      double mx0 = mx[0], mx1 = mx[1], mx2 = mx[2], s20 = s2[0], s21 = s2[1], s22 = s2[2];
      std::size_t counted = 0;
      for (std::size_t k = 0; k < m; ++k) {
        if (!std::isfinite(y[k])) continue;
        const double e0 = error[0][k], e1 = error[1][k], e2 = error[2][k];
        mx0 = std::max(mx0, e0), s20 += e0 * e0;
        mx1 = std::max(mx1, e1), s21 += e1 * e1;
        mx2 = std::max(mx2, e2), s22 += e2 * e2;
        ++counted;
      }
      mx = {mx0, mx1, mx2}, s2 = {s20, s21, s22}, n += counted;
    }
  }, cs.model);
  for (std::size_t k = 0; k < 3; ++k)
    if (mx[k] < best.max_relative_error) {
      best.max_relative_error = mx[k];
      best.rms_relative_error = n ? std::sqrt(s2[k] / static_cast<double>(n)) : 0;
      best.step_offset = offsets[k];
      best.scale = scale[k];
    }
  best.agrees = best.max_relative_error <= tolerance;
  return best;
}

}  // namespace trainscope::inline v1
