#pragma once
/** The report's three figures as SVG: losses, perplexity with the gap, learning rate with the fit. */
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "trainscope/core/run.hpp"
#include "trainscope/report/analysis.hpp"
#include "trainscope/report/svg_plot.hpp"

namespace trainscope::inline v1::report {

namespace detail {
inline std::vector<double> as_double(const std::vector<std::int64_t>& steps) {
  return {steps.begin(), steps.end()};
}
// Log scale helps when a positive curve spans more than a factor of ~3 (early loss or lr warmup dominate otherwise).
inline bool spans_decades(const std::vector<double>& ys) {
  double lo = INFINITY, hi = 0;
  for (double y : ys) {
    if (!std::isfinite(y)) continue;
    if (y <= 0) return false;
    lo = std::min(lo, y), hi = std::max(hi, y);
  }
  return hi > 0 && lo < INFINITY && hi / lo > 3;
}
// A dashed line where each integer epoch begins, when the log says (at most a dozen, or they clutter).
inline std::vector<plot_vline> epoch_lines(const run& r) {
  std::vector<plot_vline> lines;
  for (std::size_t i = 1; i < r.epoch.size(); ++i) {
    const double prev = std::floor(r.epoch.values[i - 1]), cur = std::floor(r.epoch.values[i]);
    if (std::isfinite(prev) && std::isfinite(cur) && cur > prev)
      lines.push_back({static_cast<double>(r.epoch.steps[i]), "epoch " + std::to_string(static_cast<long long>(cur))});
  }
  if (lines.size() > 12) lines.clear();
  return lines;
}
}  // namespace detail

/** Training loss per step, checkpoint training loss and validation loss against step. */
inline std::string loss_figure(const run& r, const analysis& a) {
  std::vector<plot_series> s;
  if (!r.train_loss.empty())
    s.push_back({"training loss (per step)", detail::as_double(r.train_loss.steps), r.train_loss.values, "#9ecae1",
                 line_style::solid, false, 1.0});
  std::vector<double> cx, ct, cv;
  for (const auto& c : a.checkpoints) {
    cx.push_back(static_cast<double>(c.step));
    ct.push_back(c.train_loss.value_or(NAN));
    cv.push_back(c.val_loss.value_or(NAN));
  }
  if (!cx.empty()) {
    s.push_back({"training loss (checkpoint)", cx, ct, "#1f77b4", line_style::line_and_markers, false, 2.0});
    s.push_back({"validation loss (" + (a.val_key.empty() ? std::string("val_loss") : a.val_key) + ")", cx, cv, "#d62728",
                 line_style::line_and_markers, false, 2.0});
  }
  std::vector<double> all = r.train_loss.values;
  all.insert(all.end(), cv.begin(), cv.end());
  plot_options o;
  o.x_lines = detail::epoch_lines(r);
  o.title = "Training and validation loss";
  o.x_label = "step";
  o.y_label = "loss";
  o.log_y = detail::spans_decades(all);
  return render_svg(s, o);
}

/** Perplexity (or loss) at checkpoints on the left axis, the relative gap in percent on the right. */
inline std::string perplexity_gap_figure(const analysis& a) {
  std::vector<double> x, tp, vp, gap;
  for (const auto& c : a.checkpoints) {
    x.push_back(static_cast<double>(c.step));
    if (a.perplexity) {
      tp.push_back(c.train_ppl.value_or(NAN));
      vp.push_back(c.val_ppl.value_or(NAN));
    } else {
      tp.push_back(c.train_loss.value_or(NAN));
      vp.push_back(c.val_loss.value_or(NAN));
    }
    gap.push_back(c.relative_gap ? *c.relative_gap * 100.0 : NAN);
  }
  const std::string what = a.perplexity ? "perplexity" : "loss";
  std::vector<plot_series> s{
      {"training " + what, x, tp, "#1f77b4", line_style::line_and_markers, false, 2.0},
      {"validation " + what, x, vp, "#d62728", line_style::line_and_markers, false, 2.0},
      {"relative gap (%), right axis", x, gap, "#2ca02c", line_style::dashed, true, 1.5},
  };
  std::vector<double> all = tp;
  all.insert(all.end(), vp.begin(), vp.end());
  plot_options o;
  o.title = a.perplexity ? "Perplexity and generalization gap" : "Checkpoint losses and generalization gap";
  o.x_label = "step";
  o.y_label = what;
  o.y2_label = "relative gap (val - train) / train, %";
  o.log_y = detail::spans_decades(all);
  return render_svg(s, o);
}

/** Logged learning rate with the fitted closed form over it, and the fit's relative residual. */
inline std::string lr_figure(const run& r, const analysis& a) {
  std::vector<plot_series> s;
  double o_residual_range = 0;
  auto x = detail::as_double(r.lr.steps);
  s.push_back({"logged learning rate", x, r.lr.values, "#1f77b4", line_style::solid, false, 3.0});
  if (a.schedule.fitted) {
    const auto& f = *a.schedule.fitted;
    std::vector<double> fitted(r.lr.size()), residual(r.lr.size());
    for (std::size_t i = 0; i < r.lr.size(); ++i) {
      fitted[i] = f.lr(r.lr.steps[i]);
      const double logged = r.lr.values[i];
      residual[i] = logged != 0 ? (fitted[i] - logged) / std::fabs(logged) * 100.0 : NAN;
    }
    s.push_back({"fitted " + f.family, x, fitted, "#ff7f0e", line_style::dashed, false, 1.5});
    s.push_back({"relative residual (%), right axis", x, residual, "#7f7f7f", line_style::dotted, true, 1.0});
    // A residual at rounding level stays a flat line at 0 on a +-0.1 % axis instead of filling the figure with noise.
    double worst = 0.1;
    for (double v : residual)
      if (std::isfinite(v)) worst = std::max(worst, std::fabs(v) * 1.2);
    o_residual_range = worst;
  }
  plot_options o;
  if (o_residual_range > 0) o.y2_min = -o_residual_range, o.y2_max = o_residual_range;
  if (a.schedule.fitted)
    if (auto w = a.schedule.fitted->param("warmup_steps"); w && *w > 0)
      o.x_lines.push_back({*w + static_cast<double>(a.schedule.fitted->step_offset), "end of warmup"});
  o.title = "Learning-rate schedule";
  o.x_label = "step";
  o.y_label = "learning rate";
  o.y2_label = a.schedule.fitted ? "residual of the fit, %" : "";
  return render_svg(s, o);
}

}  // namespace trainscope::inline v1::report
