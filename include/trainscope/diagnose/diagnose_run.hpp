#pragma once
/**
 * Offline diagnosis of a finished (or running) training run: one verdict, the
 * findings behind it with their numbers, every test run, and what to do next.
 */
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "trainscope/core/run.hpp"
#include "trainscope/diagnose/diagnose_options.hpp"
#include "trainscope/diagnose/diagnosis.hpp"
#include "trainscope/diagnose/divergence.hpp"
#include "trainscope/diagnose/prechelt.hpp"
#include "trainscope/diagnose/spikes.hpp"
#include "trainscope/diagnose/verdict.hpp"
#include "trainscope/stats/noise.hpp"
#include "trainscope/stats/power_law.hpp"
#include "trainscope/stats/robust.hpp"
#include "trainscope/stats/smoothing.hpp"
#include "trainscope/stats/trend.hpp"

namespace trainscope::inline v1 {

namespace detail {

/// printf-style number formatting for messages (%.4g etc.).
inline std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}
inline std::string num(double v) { return fmt("%.4g", v); }
inline std::string pct(double fraction) { return fmt("%.1f", 100.0 * fraction) + "%"; }
inline std::string step_str(std::int64_t s) { return std::to_string(s); }

/// Finite points of a series, with their index in the series. A series without NaN/Inf (the usual
/// case) is viewed, not copied: the per-step training loss of a long run is most of the memory.
struct finite_curve {
  std::span<const std::int64_t> steps;
  std::span<const double> values;
  std::size_t size() const noexcept { return values.size(); }
  std::size_t index(std::size_t k) const noexcept { return own_index.empty() ? k : own_index[k]; }
  // storage when some points are not finite (moving the vectors keeps the spans valid)
  std::vector<std::int64_t> own_steps;
  std::vector<double> own_values;
  std::vector<std::size_t> own_index;
};

/// Views `s` (which must outlive the result) or, when it has non-finite points, copies the finite ones.
/// `non_finite`: how many values of `s` are NaN/Inf, when the caller has counted them already.
inline finite_curve finite_points(const series& s, std::optional<std::size_t> non_finite = std::nullopt) {
  finite_curve c;
  const std::size_t n = std::min(s.steps.size(), s.values.size());
  std::size_t finite = 0;
  if (non_finite && s.steps.size() == s.values.size()) finite = n - *non_finite;
  else
    for (std::size_t i = 0; i < n; ++i) finite += std::isfinite(s.values[i]) ? 1 : 0;
  if (finite == n) {
    c.steps = std::span<const std::int64_t>(s.steps.data(), n);
    c.values = std::span<const double>(s.values.data(), n);
    return c;
  }
  c.own_steps.reserve(finite), c.own_values.reserve(finite), c.own_index.reserve(finite);
  for (std::size_t i = 0; i < n; ++i)
    if (std::isfinite(s.values[i])) {
      c.own_steps.push_back(s.steps[i]);
      c.own_values.push_back(s.values[i]);
      c.own_index.push_back(i);
    }
  c.steps = c.own_steps;
  c.values = c.own_values;
  return c;
}

/// Validation series to analyse: the primary set, else the mean of the named sets over the first set's steps.
inline series primary_validation(const run& r) {
  if (!r.val_loss.empty() || r.named_val_loss.empty()) return r.val_loss;
  series out("val_loss");
  const series& first = r.named_val_loss.front();
  for (std::size_t i = 0; i < first.size(); ++i) {
    double sum = 0;
    std::size_t n = 0;
    for (const auto& s : r.named_val_loss)
      if (auto v = s.at(first.steps[i])) {
        sum += *v;
        ++n;
      }
    out.put(first.steps[i], n ? sum / static_cast<double>(n) : first.values[i]);
  }
  return out;
}

/// Training loss at each validation step: mean of the training points since the previous checkpoint.
inline std::vector<double> train_at_checkpoints(const series& train, std::span<const std::int64_t> val_steps) {
  std::vector<double> out;
  out.reserve(val_steps.size());
  std::size_t j = 0;
  for (std::size_t i = 0; i < val_steps.size(); ++i) {
    double sum = 0;
    std::size_t n = 0;
    // the training points up to this checkpoint: found by binary search (steps increase), so only their
    // values are read, in order
    const auto end = static_cast<std::size_t>(
        std::upper_bound(train.steps.begin() + static_cast<std::ptrdiff_t>(j), train.steps.end(), val_steps[i]) -
        train.steps.begin());
    for (; j < end; ++j)
      if (std::isfinite(train.values[j])) {
        sum += train.values[j];
        ++n;
      }
    if (n) out.push_back(sum / static_cast<double>(n));
    else if (auto v = train.at_or_before(val_steps[i])) out.push_back(*v);
    else out.push_back(std::nan(""));
  }
  return out;
}

/// *std::max_element(values) of a non-empty span, without its compare-and-select chain: four running maxima.
/// Equal results: max_element keeps a NaN it starts with and skips later NaNs, as `m < x ? x : m` does.
inline double max_value(std::span<const double> values) noexcept {
  if (std::isnan(values[0])) return values[0];
  double m[4] = {values[0], values[0], values[0], values[0]};
  std::size_t i = 0;
  for (; i + 4 <= values.size(); i += 4)
    for (std::size_t k = 0; k < 4; ++k) m[k] = m[k] < values[i + k] ? values[i + k] : m[k];
  for (; i < values.size(); ++i) m[0] = m[0] < values[i] ? values[i] : m[0];
  const double a = m[0] < m[1] ? m[1] : m[0], b = m[2] < m[3] ? m[3] : m[2];
  return a < b ? b : a;
}

inline criterion make_criterion(std::string name, std::optional<double> value, std::optional<double> threshold,
                                bool fired, std::string meaning) {
  return criterion{std::move(name), value, threshold, fired, std::move(meaning)};
}

}  // namespace detail

/**
 * Diagnoses a run from its loss curves.
 *
 * Rules, in order (the first that holds is the verdict):
 *  - diverged: a loss becomes non-finite and stays so, or the smoothed training
 *    loss runs away to >= 2x its earlier level without coming back;
 *  - insufficient_data: fewer than `min_checkpoints` finite validation points;
 *  - memorization / overfitting: the smoothed validation curve has a minimum with
 *    at least 2 checkpoints after it, the end level is above it by >= 2 % and by
 *    >= 3 standard errors from the measured checkpoint noise, and training loss
 *    fell meanwhile; memorization when, in addition, training loss collapsed
 *    (< 2 % of its start and < 1/10 of the best validation) and validation rose by
 *    more than half its best;
 *  - plateau: the longest final stretch with no significant drop (P(decreasing) <
 *    0.95 or a drop < 1 %) covers at least a third of the run's steps;
 *  - under_trained: validation is still falling over the final third (P >= 0.95)
 *    and the power-law forecast at 2x the last step is >= 7 % lower;
 *  - well_fit: otherwise.
 * Spikes that recover are reported and never change the verdict.
 * O(n w) in the number of logged points n and the spike window w.
 *
 * `fit` is the learning-curve fitter used for the forecast and for the noise of short
 * runs: any callable `(std::span<const double> t, std::span<const double> y,
 * const power_law_options&) -> power_law_fit`. The overload without it uses the
 * dependency-free `fit_power_law`; with Eigen, pass `fit_power_law_lm` adapted to that signature.
 */
template <class Fit>
diagnosis diagnose(const run& r, const diagnose_options& opts, Fit&& fit) {
  using namespace detail;
  diagnosis d;
  const series val_series = primary_validation(r);
  const series& train_series = !r.train_loss.empty() ? r.train_loss : r.checkpoint_train_loss;
  const non_finite_report train_non_finite = find_non_finite(train_series.values);  // one pass, used twice
  const finite_curve v = finite_points(val_series);
  const finite_curve tr = finite_points(train_series, train_non_finite.count);
  const std::size_t n = v.size();

  // ---------- noise ----------
  noise_estimate noise = estimate_noise(v.steps, v.values);
  double noise_dof = static_cast<double>(noise.residuals);  // degrees of freedom behind sigma
  if (n >= 4 && n < 8) {
    // Few checkpoints: the neighbour residuals are dominated by the curve's bend, so
    // a decreasing curve's power-law residuals (which remove the bend) may be smaller.
    std::vector<double> t(v.steps.begin(), v.steps.end()), y(v.values.begin(), v.values.end());
    const double shift = v.steps.front() > 0 ? 0.0 : static_cast<double>(v.steps[1] - 2 * v.steps[0]);
    for (double& x : t) x += shift;
    power_law_options po;
    po.nonnegative_e = opts.loss_nonnegative;
    const power_law_fit f = fit(std::span<const double>(t), std::span<const double>(y), po);
    if (f.ok && f.a > 0 && std::isfinite(f.residual_sigma) && (!noise.ok() || f.residual_sigma < noise.sigma)) {
      noise.sigma = f.residual_sigma;
      noise.residuals = n;
      noise_dof = static_cast<double>(n - 3);
    }
  }
  double sigma = noise.ok() ? noise.sigma : std::nan("");
  if (noise.ok()) d.val_noise = sigma;
  if (n > 0) {
    // a floor so that a noise-free curve does not make every rounding error significant
    const double level = std::abs(median(v.values));
    sigma = std::isfinite(sigma) ? std::max(sigma, 1e-6 * level) : std::nan("");
  }

  // ---------- divergence ----------
  std::optional<std::int64_t> nf_step;
  std::size_t nf_count = 0;
  bool nf_persistent = false;
  // The training loss decides the divergence step when it goes non-finite for good: a NaN validation loss
  // logged before the first step (llm.c evaluates the initial model) dates the damage, not the divergence.
  for (const series* s : {&train_series, &val_series}) {
    const auto rep = s == &train_series ? train_non_finite : find_non_finite(s->values);
    if (!rep.first) continue;
    if (s == &val_series && nf_persistent) {
      nf_count += rep.count;
      continue;
    }
    nf_count += rep.count;
    const std::int64_t step = s->steps[*rep.first];
    if (rep.persistent && (!nf_step || !nf_persistent || step < *nf_step)) {
      nf_step = step;
      nf_persistent = true;
    } else if (!nf_persistent && (!nf_step || step < *nf_step)) {
      nf_step = step;
    }
  }
  d.criteria.push_back(make_criterion(
      "non_finite_loss", static_cast<double>(nf_count), 0.0, nf_persistent,
      "A loss that turns NaN/Inf and stays so means the run diverged at its first non-finite step."));

  // A runaway is judged on the training loss only: a validation loss that doubles while
  // training improves is overfitting, not divergence.
  const runaway_report runaway =
      tr.size() >= 8 ? find_runaway_finite(tr.values, [](std::size_t k) { return k; }, opts.divergence_factor,
                                           opts.divergence_min_rise_fraction, opts.divergence_recovery_factor)
                     : runaway_report{};
  const bool runaway_fired = runaway.first && !runaway.recovered;
  d.criteria.push_back(make_criterion(
      "runaway_loss_ratio", runaway.first ? std::optional<double>(runaway.final_level / runaway.level_before) : std::nullopt,
      opts.divergence_factor, runaway_fired,
      tr.size() >= 8 ? "A smoothed training loss at >= " + num(opts.divergence_factor) +
                           "x its earlier level that does not come back means divergence."
                     : std::string("Not tested: fewer than 8 finite training-loss points.")));

  std::optional<std::int64_t> divergence_step;
  if (nf_persistent) divergence_step = nf_step;
  if (runaway_fired) {
    const std::int64_t s = tr.steps[*runaway.first];
    if (!divergence_step || s < *divergence_step) divergence_step = s;
  }

  // ---------- spikes ----------
  spike_options sp;
  sp.window = opts.spike_window;
  sp.min_history = opts.spike_min_history;
  sp.z = opts.spike_z;
  sp.min_relative = opts.spike_min_relative;
  sp.recovery = opts.spike_recovery;
  const auto loss_spikes = find_spikes(train_series.steps, train_series.values, sp);
  std::size_t shown = 0;
  for (const auto& s : loss_spikes) {
    if (!s.recovered || (divergence_step && s.step >= *divergence_step)) continue;
    d.spike_steps.push_back(s.step);
    if (shown++ < 20)
      d.findings.push_back({"loss_spike", s.step,
                            "Training loss spiked to " + num(s.value) + " (baseline " + num(s.baseline) +
                                ", robust z " + fmt("%.1f", s.z) + ") and recovered within " +
                                std::to_string(s.length) + " points.",
                            {{"value", s.value}, {"baseline", s.baseline}, {"robust_z", s.z},
                             {"length_points", static_cast<double>(s.length)}}});
  }
  d.criteria.push_back(make_criterion("loss_spikes", static_cast<double>(d.spike_steps.size()), opts.spike_z,
                                      !d.spike_steps.empty(),
                                      "Training-loss points above a robust z of " + num(opts.spike_z) +
                                          " that recover are transient spikes; they do not change the verdict."));
  if (!r.grad_norm.empty()) {
    spike_options gs = sp;
    gs.min_relative = opts.grad_spike_min_ratio - 1.0;
    const auto grad_spikes = find_spikes(r.grad_norm.steps, r.grad_norm.values, gs);
    std::size_t gshown = 0;
    for (const auto& s : grad_spikes) {
      if (gshown++ >= 20) break;
      d.findings.push_back({"grad_norm_spike", s.step,
                            "Gradient norm spiked to " + num(s.value) + " (" + fmt("%.1f", s.value / s.baseline) +
                                "x the recent median " + num(s.baseline) + ")" +
                                (s.recovered ? "." : " and stayed high."),
                            {{"value", s.value}, {"baseline", s.baseline}, {"robust_z", s.z},
                             {"ratio", s.value / s.baseline}}});
    }
    d.criteria.push_back(make_criterion("grad_norm_spikes", static_cast<double>(grad_spikes.size()),
                                        opts.grad_spike_min_ratio, !grad_spikes.empty(),
                                        "Gradient-norm points at >= " + num(opts.grad_spike_min_ratio) +
                                            "x the recent median and a robust z >= " + num(opts.spike_z) +
                                            " are reported as findings."));
  }

  // ---------- checkpoint table skeleton ----------
  for (std::size_t i = 0; i < val_series.size(); ++i) d.checkpoints.push_back({val_series.steps[i], "still_learning"});

  if (divergence_step) {
    d.verdict = verdict::diverged;
    d.divergence_step = divergence_step;
    const bool by_nan = nf_persistent && nf_step == divergence_step;
    finding f{"divergence", divergence_step, "", {}};
    if (by_nan) {
      f.message = "Loss became non-finite at step " + step_str(*divergence_step) + " and did not recover (" +
                  std::to_string(nf_count) + " NaN/Inf values).";
      f.numbers = {{"non_finite_values", static_cast<double>(nf_count)}};
    } else {
      f.message = "Loss ran away from " + num(runaway.level_before) + " to " + num(runaway.peak) + " from step " +
                  step_str(*divergence_step) + " and ended at " + num(runaway.final_level) + ".";
      f.numbers = {{"level_before", runaway.level_before}, {"peak", runaway.peak},
                   {"final_level", runaway.final_level}, {"ratio", runaway.final_level / runaway.level_before}};
    }
    d.findings.push_back(std::move(f));
  } else if (nf_step) {
    d.findings.push_back({"non_finite_values", nf_step,
                          std::to_string(nf_count) + " non-finite loss value(s) from step " + step_str(*nf_step) +
                              ", after which the loss was finite again.",
                          {{"non_finite_values", static_cast<double>(nf_count)}}});
  }

  // ---------- too little data ----------
  d.criteria.push_back(make_criterion("validation_checkpoints", static_cast<double>(n),
                                      static_cast<double>(opts.min_checkpoints), n < opts.min_checkpoints,
                                      "Fewer finite validation checkpoints than this leaves no verdict beyond divergence."));
  if (n > 0) {
    const auto best = static_cast<std::size_t>(std::min_element(v.values.begin(), v.values.end()) - v.values.begin());
    d.best_step = v.steps[best];
  }
  if (d.verdict == verdict::diverged) {
    for (std::size_t i = 0; i < val_series.size(); ++i) {
      const bool after = val_series.steps[i] >= *divergence_step || !std::isfinite(val_series.values[i]);
      d.checkpoints[i].label = after ? "diverged" : "still_learning";
    }
    // Broken from the first logged step: there is no good checkpoint to go back to, and the lr is not the suspect.
    const bool from_start = !train_series.empty() && *divergence_step <= train_series.steps.front();
    if (from_start)
      d.recommendations = {
          "The loss is non-finite from the first logged step, so no checkpoint of this run is usable: check the model's "
          "initialisation or loaded weights, the input data and the loss for NaN/Inf, and the mixed-precision settings "
          "before training again.",
          "Run a few steps with anomaly detection (or a NaN check after each layer) to find where the first NaN appears."};
    else
      d.recommendations = {
          "Restart from the last checkpoint before step " + step_str(*divergence_step) +
              " with a lower learning rate (or a longer warm-up).",
          "Enable gradient clipping and check for bad batches or fp16 overflow around that step."};
    d.summary = "Diverged at step " + step_str(*divergence_step) + ": " + d.findings.back().message;
    return d;
  }
  if (n < opts.min_checkpoints) {
    d.verdict = verdict::insufficient_data;
    for (auto& c : d.checkpoints) c.label = "still_learning";
    d.recommendations = {"Evaluate on a validation set more often (at least " + std::to_string(opts.min_checkpoints) +
                         " checkpoints) so the run can be judged."};
    d.summary = "Not enough data for a verdict: " + std::to_string(n) + " finite validation checkpoint(s), " +
                std::to_string(opts.min_checkpoints) + " needed.";
    return d;
  }

  // ---------- the underlying validation curve ----------
  const std::size_t h = std::clamp<std::size_t>(n / 12, 1, 5);
  const std::vector<double> smooth = robust_smooth(v.values, h);
  const auto m = static_cast<std::size_t>(std::min_element(smooth.begin(), smooth.end()) - smooth.begin());
  const double best_level = smooth[m];
  const auto window_count = [&](std::size_t i) {
    return static_cast<double>(std::min(n, i + h + 1) - (i >= h ? i - h : 0));
  };
  const std::int64_t first_step = std::min(v.steps.front(), tr.size() ? tr.steps.front() : v.steps.front());
  const std::int64_t last_step = v.steps.back();
  const double run_span = static_cast<double>(std::max<std::int64_t>(last_step - std::min<std::int64_t>(first_step, 0), 1));

  // ---------- overfitting / memorization ----------
  const std::size_t after = n - 1 - m;
  const std::size_t k_end = std::max<std::size_t>(1, std::min(after, std::max<std::size_t>(2, h + 1)));
  double end_level = 0;
  for (std::size_t i = n - k_end; i < n; ++i) end_level += v.values[i];
  end_level /= static_cast<double>(k_end);
  const double rise = end_level - best_level;
  const double rel_rise = best_level != 0 ? rise / std::abs(best_level) : 0.0;
  const double rise_se = sigma * std::sqrt(1.0 / static_cast<double>(k_end) + 1.0 / window_count(m));
  const double rise_z = rise_se > 0 ? rise / rise_se : (rise > 0 ? INFINITY : 0.0);
  const bool enough_after = after >= opts.overfit_min_points_after;

  // training loss at the validation minimum vs at the end (medians of nearby points)
  std::optional<double> train_at_min, train_end, train_start;
  if (tr.size() >= 3) {
    const std::size_t tail = std::max<std::size_t>(3, tr.size() / 10);
    train_end = median(std::span<const double>(tr.values).last(std::min(tail, tr.size())));
    train_start = median(std::span<const double>(tr.values).first(std::min<std::size_t>(3, tr.size())));
    const std::int64_t lo_step = m >= h ? v.steps[m - h] : v.steps.front();
    const std::int64_t hi_step = v.steps[std::min(n - 1, m + h)];
    // steps increase: the points between lo_step and hi_step are one run, found by binary search
    const auto first = std::lower_bound(tr.steps.begin(), tr.steps.end(), lo_step);
    const auto last = std::upper_bound(first, tr.steps.end(), hi_step);
    std::vector<double> around(tr.values.begin() + (first - tr.steps.begin()),
                               tr.values.begin() + (last - tr.steps.begin()));
    if (around.empty())
      if (auto t = train_series.at_or_before(v.steps[m])) around.push_back(*t);
    if (!around.empty()) train_at_min = median(around);
  }
  const bool train_falling = !train_at_min || !train_end || *train_end < *train_at_min;

  const bool rise_big = rel_rise >= opts.overfit_min_relative_rise;
  // sigma is itself estimated from few residuals: the z threshold becomes the Student-t
  // quantile with the same tail probability (a 3-sigma rule asks for z >= 9 with 3 residuals)
  const double z_threshold = student_t_quantile(normal_cdf(opts.overfit_min_z), std::max(noise_dof, 1.0));
  const bool rise_sig = rise_z >= z_threshold;
  d.criteria.push_back(make_criterion(
      "overfit_relative_rise", rel_rise, opts.overfit_min_relative_rise, enough_after && rise_big,
      "Validation loss ending this fraction above its smoothed minimum is large enough to call overfitting."));
  d.criteria.push_back(make_criterion(
      "overfit_rise_z", rise_z, z_threshold, enough_after && rise_sig,
      "A rise this many standard errors (from the measured checkpoint noise; " + num(opts.overfit_min_z) +
          " sigma made a Student-t quantile for the noise estimate's " + num(noise_dof) +
          " degrees of freedom) above the minimum is not noise."));
  d.criteria.push_back(make_criterion(
      "train_loss_falling_after_minimum",
      train_at_min && train_end ? std::optional<double>(*train_end - *train_at_min) : std::nullopt, 0.0,
      train_falling, "Training loss still falling while validation rises separates overfitting from a broken run."));
  const bool overfit = enough_after && rise_big && rise_sig && train_falling;

  const bool train_collapsed = train_start && train_end &&
                               *train_end <= opts.memorization_train_fraction * *train_start &&
                               *train_end <= opts.memorization_train_to_val * best_level;
  const bool val_rose_a_lot = rel_rise >= opts.memorization_val_rise;
  d.criteria.push_back(make_criterion(
      "memorization_train_fraction",
      train_start && train_end && *train_start != 0 ? std::optional<double>(*train_end / *train_start) : std::nullopt,
      opts.memorization_train_fraction, train_collapsed,
      "Final training loss below this fraction of its start (and below a tenth of the best validation loss) is a "
      "collapse to memorized training data."));
  d.criteria.push_back(make_criterion("memorization_val_rise", rel_rise, opts.memorization_val_rise,
                                      val_rose_a_lot,
                                      "Validation rising by more than this fraction of its best, with collapsed "
                                      "training loss, is memorization rather than mild overfitting."));

  // ---------- Prechelt's criteria (reported, not used for the verdict: they have no noise model) ----------
  {
    const auto gl = prechelt_gl(v.values, opts.prechelt_gl_alpha);
    d.criteria.push_back(make_criterion(
        "prechelt_GL" + num(opts.prechelt_gl_alpha), gl.max_value, opts.prechelt_gl_alpha, gl.first_fired.has_value(),
        gl.first_fired ? "Generalization loss would have stopped training at step " + step_str(v.steps[*gl.first_fired]) +
                             " (Prechelt 1998; no noise model, so it also fires on noise)."
                       : "Generalization loss never exceeded the threshold: it would not have stopped training."));
    const std::vector<double> tr_ck = train_at_checkpoints(train_series, v.steps);
    if (tr.size() > 0) {
      const auto pq = prechelt_pq(v.values, tr_ck, opts.prechelt_pq_alpha, opts.prechelt_strip);
      d.criteria.push_back(make_criterion(
          "prechelt_PQ" + num(opts.prechelt_pq_alpha), pq.max_value, opts.prechelt_pq_alpha, pq.first_fired.has_value(),
          pq.first_fired ? "Generalization loss per unit training progress would have stopped training at step " +
                               step_str(v.steps[*pq.first_fired]) + "."
                         : "Generalization loss stayed small against training progress: PQ would not have stopped."));
    }
    const auto up = prechelt_up(v.values, opts.prechelt_up_strips, opts.prechelt_strip);
    d.criteria.push_back(make_criterion(
        "prechelt_UP" + std::to_string(opts.prechelt_up_strips), up.max_value,
        static_cast<double>(opts.prechelt_up_strips), up.first_fired.has_value(),
        up.first_fired ? "Validation rose in " + std::to_string(opts.prechelt_up_strips) +
                             " successive strips; UP would have stopped training at step " +
                             step_str(v.steps[*up.first_fired]) + "."
                       : "Validation never rose in " + std::to_string(opts.prechelt_up_strips) +
                             " successive strips: UP would not have stopped."));
  }

  // ---------- trend at the end, plateau ----------
  // final third of the run by steps, at least 3 checkpoints
  std::size_t final_start = n - std::min<std::size_t>(n, 3);
  while (final_start > 0 &&
         static_cast<double>(last_step - v.steps[final_start - 1]) <= run_span * opts.plateau_min_fraction)
    --final_start;
  running_gradient fg;
  for (std::size_t i = final_start; i < n; ++i) fg.add(static_cast<double>(v.steps[i]), v.values[i]);
  const double final_p_dec = fg.probability_decreasing(sigma);
  const double final_drop = fg.value_at(static_cast<double>(v.steps[final_start])) -
                            fg.value_at(static_cast<double>(last_step));
  const double final_level = fg.value_at(static_cast<double>(last_step));
  const double final_rel_drop = final_level != 0 ? final_drop / std::abs(fg.value_at(static_cast<double>(v.steps[final_start]))) : 0.0;
  const bool still_falling = final_p_dec >= opts.improving_probability &&
                             final_rel_drop >= opts.plateau_min_relative_improvement;
  d.criteria.push_back(make_criterion(
      "final_stretch_probability_decreasing", final_p_dec, opts.improving_probability,
      final_p_dec >= opts.improving_probability,
      "Validation loss over the final third falling with at least this probability (slope vs measured noise) "
      "means it was still improving."));
  d.criteria.push_back(make_criterion(
      "final_stretch_relative_drop", final_rel_drop, opts.plateau_min_relative_improvement,
      final_rel_drop >= opts.plateau_min_relative_improvement,
      "A drop smaller than this fraction over the final third is no practical improvement."));

  // longest suffix without a significant, large-enough drop
  std::optional<std::size_t> plateau_from;
  {
    running_gradient g;
    for (std::size_t i = n; i-- > 0;) {
      g.add(static_cast<double>(v.steps[i]), v.values[i]);
      if (g.size() < 3) continue;
      const double drop = g.value_at(static_cast<double>(v.steps[i])) - g.value_at(static_cast<double>(last_step));
      const double ref = std::abs(g.value_at(static_cast<double>(v.steps[i])));
      const bool improving = g.probability_decreasing(sigma) >= opts.improving_probability &&
                             ref > 0 && drop / ref >= opts.plateau_min_relative_improvement;
      if (!improving) plateau_from = i;
    }
  }
  const double plateau_fraction =
      plateau_from ? static_cast<double>(last_step - v.steps[*plateau_from]) / run_span : 0.0;
  double plateau_p_dec = 0.5, plateau_rel_drop = 0.0;
  if (plateau_from) {
    running_gradient g;
    for (std::size_t i = *plateau_from; i < n; ++i) g.add(static_cast<double>(v.steps[i]), v.values[i]);
    const double at_start = g.value_at(static_cast<double>(v.steps[*plateau_from]));
    plateau_p_dec = g.probability_decreasing(sigma);
    plateau_rel_drop = at_start != 0 ? (at_start - g.value_at(static_cast<double>(last_step))) / std::abs(at_start) : 0.0;
  }
  const bool plateau = plateau_fraction >= opts.plateau_min_fraction;
  d.criteria.push_back(make_criterion(
      "plateau_fraction", plateau_fraction, opts.plateau_min_fraction, plateau,
      "A final stretch without significant improvement covering at least this fraction of the run is a plateau."));

  // ---------- forecast ----------
  // The forecast fits the second half of the run: a 2x extrapolation depends on the
  // curve's recent behaviour, and early training (warm-up, fast initial drop) is
  // often not a power law (an exponential approach fitted whole is badly overestimated).
  power_law_fit pl;
  std::vector<double> fit_t, fit_y;
  power_law_options fit_opts;
  fit_opts.nonnegative_e = opts.loss_nonnegative;
  const std::int64_t offset = v.steps.front() > 0 ? 0 : (n > 1 ? v.steps[1] - 2 * v.steps[0] : 1 - v.steps[0]);
  {
    std::size_t from = 0;
    while (from < n && static_cast<double>(v.steps[from]) < 0.5 * static_cast<double>(last_step)) ++from;
    if (n - from < 4) from = n >= 4 ? n - 4 : 0;
    for (std::size_t i = from; i < n; ++i) {
      fit_t.push_back(static_cast<double>(v.steps[i] + offset));
      fit_y.push_back(v.values[i]);
    }
    pl = fit(std::span<const double>(fit_t), std::span<const double>(fit_y), fit_opts);
  }
  const bool decreasing_fit = pl.ok && pl.a > 0;
  std::optional<double> gain;
  curve_forecast fc;
  if (decreasing_fit && !overfit) {
    fc = forecast_power_law_profile(fit_t, fit_y, pl, static_cast<double>(2 * last_step + offset),
                                    opts.forecast_level, fit_opts);
    const double at_end = pl(static_cast<double>(last_step + offset));
    if (fc.ok() && at_end != 0) {
      d.val_loss_at_2x = fc.value;
      d.val_loss_at_2x_low = fc.low;
      d.val_loss_at_2x_high = fc.high;
      gain = (at_end - fc.value) / std::abs(at_end);
    }
  }
  d.criteria.push_back(make_criterion(
      "forecast_gain_at_2x", gain, opts.under_trained_min_gain, still_falling && gain && *gain >= opts.under_trained_min_gain,
      "A power-law forecast at least this fraction lower at twice the steps, while still falling, means under-trained."));

  // ---------- verdict ----------
  const double sig_shown = std::isfinite(sigma) ? sigma : 0.0;
  if (overfit) {
    // The smoother cannot place the minimum more finely than its half-width h: within that window the
    // lowest checkpoint is the best estimate (an edge window would otherwise put the onset at a pre-training eval).
    {
      const std::size_t lo = m >= h ? m - h : 0, hi = std::min(n - 1, m + h);
      std::size_t b = lo;
      for (std::size_t i = lo; i <= hi; ++i)
        if (v.values[i] < v.values[b]) b = i;
      d.overfit_onset_step = v.steps[b];
    }
    const bool memorized = train_collapsed && val_rose_a_lot;
    d.verdict = memorized ? verdict::memorization : verdict::overfitting;
    std::string msg = "Validation loss bottomed at " + num(best_level) + " around step " + step_str(v.steps[m]) +
                      " (lowest checkpoint: step " + step_str(*d.overfit_onset_step) + ") and rose " + pct(rel_rise) +
                      " to " + num(end_level) + " (z " + fmt("%.1f", rise_z) +
                      " against checkpoint noise " + num(sig_shown) + ")";
    if (train_at_min && train_end)
      msg += " while training loss fell from " + num(*train_at_min) + " to " + num(*train_end);
    msg += ".";
    std::vector<evidence> ev{{"effect_size", rel_rise},   {"rise", rise},           {"z", rise_z},
                             {"noise_sigma", sig_shown},  {"best_level", best_level}, {"end_level", end_level}};
    if (train_end) ev.push_back({"train_loss_end", *train_end});
    if (memorized && train_start) ev.push_back({"train_fraction_of_start", *train_end / *train_start});
    d.findings.push_back({memorized ? "memorization" : "overfitting", v.steps[m], msg, ev});
    d.summary = std::string(memorized ? "Memorization" : "Overfitting") + ": validation loss rose " + pct(rel_rise) +
                " above its minimum " + num(best_level) + " (step " + step_str(v.steps[m]) + ", z " +
                fmt("%.1f", rise_z) + " vs noise " + num(sig_shown) + ")" +
                (train_end ? " while training loss fell to " + num(*train_end) : std::string()) +
                "; the best checkpoint is step " + step_str(*d.best_step) + ".";
    d.recommendations = {"Keep the checkpoint at step " + step_str(*d.best_step) +
                             " (lowest validation loss), or stop training near step " + step_str(v.steps[m]) + ".",
                         memorized ? "Add data or augmentation, or shrink the model: the training set is memorized."
                                   : "Add regularization (weight decay, dropout, augmentation) or more data.",
                         "Use early stopping on validation loss with patience above the checkpoint noise."};
  } else if (plateau) {
    d.verdict = verdict::plateau;
    d.plateau_start_step = v.steps[*plateau_from];
    std::string cause;
    const double lr_max = r.lr.empty() ? 0.0 : max_value(r.lr.values);
    const auto lr_at = r.lr.at_or_before(v.steps[*plateau_from]);
    const bool lr_collapsed = lr_at && lr_max > 0 && *lr_at <= 0.01 * lr_max;
    if (lr_collapsed) cause = " The learning rate had fallen to " + num(*lr_at) + " (" + pct(*lr_at / lr_max) + " of its peak).";
    std::vector<evidence> ev{{"fraction_of_run", plateau_fraction}, {"noise_sigma", sig_shown},
                             {"probability_decreasing", plateau_p_dec}, {"relative_drop", plateau_rel_drop}};
    if (lr_collapsed) ev.push_back({"lr_fraction_of_peak", *lr_at / lr_max});
    d.findings.push_back({"plateau", d.plateau_start_step,
                          "No significant improvement of validation loss from step " + step_str(*d.plateau_start_step) +
                              " (" + pct(plateau_fraction) + " of the run): the fitted line over that stretch " +
                              (plateau_rel_drop >= 0 ? "fell " : "rose ") + pct(std::abs(plateau_rel_drop)) +
                              " with P(decreasing) " + fmt("%.2f", plateau_p_dec) + ", below the " +
                              pct(opts.plateau_min_relative_improvement) + " / " + fmt("%.2f", opts.improving_probability) +
                              " needed to count as improvement." + cause,
                          ev});
    d.summary = "Plateau: validation loss has not improved significantly since step " +
                step_str(*d.plateau_start_step) + " (" + pct(plateau_fraction) + " of the run, level " +
                num(final_level) + ", noise " + num(sig_shown) + ").";
    d.recommendations.push_back("Stop earlier next time: checkpoints after step " + step_str(*d.plateau_start_step) +
                                " bought no improvement.");
    if (lr_collapsed)
      d.recommendations.push_back("The learning rate had collapsed; raise its floor or shorten the decay.");
    else
      d.recommendations.push_back("To go lower, change the model, data or learning-rate schedule rather than train longer.");
  } else if (still_falling && gain && *gain >= opts.under_trained_min_gain) {
    d.verdict = verdict::under_trained;
  } else {
    d.verdict = verdict::well_fit;
  }
  if (d.verdict == verdict::under_trained || d.verdict == verdict::well_fit) {
    if (still_falling) {
      std::vector<evidence> ev{{"relative_drop", final_rel_drop}, {"probability_decreasing", final_p_dec},
                               {"noise_sigma", sig_shown}};
      std::string msg = "Validation loss was still falling at the end: " + pct(final_rel_drop) +
                        " over the final third (P(decreasing) " + fmt("%.3f", final_p_dec) + ")";
      if (gain) {
        ev.push_back({"forecast_gain_at_2x", *gain});
        ev.push_back({"forecast_at_2x", fc.value});
        msg += "; a power-law fit forecasts " + num(fc.value) + " [" + num(fc.low) + ", " + num(fc.high) + "] at step " +
               step_str(2 * last_step) + " (" + pct(*gain) + " lower)";
      }
      d.findings.push_back({"still_improving", last_step, msg + ".", ev});
    }
    if (d.verdict == verdict::under_trained) {
      d.summary = "Under-trained: validation loss was still falling (" + pct(final_rel_drop) +
                  " over the final third) and a power-law forecast puts it " + pct(*gain) + " lower (" + num(fc.value) +
                  ") at twice the steps.";
      d.recommendations = {"Train longer (about 2x the steps) or with a schedule that ends later; the forecast gain is " +
                               pct(*gain) + ".",
                           "Keep the last checkpoint (step " + step_str(last_step) + "): it is the best so far."};
      if (!r.lr.empty()) {
        const double lr_peak = max_value(r.lr.values);
        const double lr_end = r.lr.values.back();
        if (lr_peak > 0 && lr_end <= 0.1 * lr_peak)
          d.recommendations.push_back("The learning rate had decayed to " + pct(lr_end / lr_peak) +
                                      " of its peak by the end: stretch the schedule over the longer run rather "
                                      "than continue at the final rate (the forecast assumes the curve's trend goes on).");
      }
    } else {
      d.summary = std::string("Well fit") + (still_falling ? ", still improving" : "") + ": validation loss ended at " +
                  num(v.values.back()) + " (best " + num(v.values[static_cast<std::size_t>(
                      std::min_element(v.values.begin(), v.values.end()) - v.values.begin())]) +
                  " at step " + step_str(*d.best_step) + ", checkpoint noise " + num(sig_shown) + ")" +
                  (gain ? ", with " + pct(*gain) + " more forecast at twice the steps." : ".");
      d.recommendations = {"Keep the checkpoint at step " + step_str(*d.best_step) + " (lowest validation loss)."};
      if (still_falling && gain && *gain > 0.02)
        d.recommendations.push_back("Training longer would help a little (forecast " + pct(*gain) +
                                    " lower at 2x steps); weigh it against the cost.");
      else
        d.recommendations.push_back("No change needed; more steps would buy little.");
    }
  }

  // ---------- per-checkpoint labels ----------
  double converged = best_level;
  if (d.verdict == verdict::under_trained && d.val_loss_at_2x) converged = std::min(converged, *d.val_loss_at_2x);
  for (std::size_t k = 0; k < n; ++k) {
    auto& label = d.checkpoints[v.index(k)].label;
    if (overfit && k > m) {
      const double rise_k = smooth[k] - best_level;
      const double z_k = sigma > 0 ? rise_k / (sigma * std::sqrt(1.0 / window_count(k) + 1.0 / window_count(m))) : 0.0;
      label = (rise_k / std::abs(best_level) >= opts.overfit_min_relative_rise && z_k >= 2.0) ? "overfitting" : "well_fit";
    } else if (d.verdict == verdict::plateau && k >= *plateau_from) {
      label = "plateau";
    } else {
      const double gap = (smooth[k] - converged) / std::abs(converged);
      label = gap > opts.still_learning_gap ? "still_learning" : "well_fit";
    }
  }
  for (std::size_t i = 0; i < val_series.size(); ++i)
    if (!std::isfinite(val_series.values[i])) d.checkpoints[i].label = "diverged";
  return d;
}

/** Diagnoses a run with the dependency-free power-law fit (see the overload above for the rules). */
inline diagnosis diagnose(const run& r, const diagnose_options& opts = {}) {
  return diagnose(r, opts, [](std::span<const double> t, std::span<const double> y, const power_law_options& po) {
    return fit_power_law(t, y, po);
  });
}

}  // namespace trainscope::inline v1
