#pragma once
/** The report's three figures as SVG: losses, perplexity with the gap, learning rate with the fit. */
#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "trainscope/core/run.hpp"
#include "trainscope/report/analysis.hpp"
#include "trainscope/report/svg_plot.hpp"

namespace trainscope::inline v1::report {

namespace detail {
// Log scale helps when a positive curve spans more than a factor of ~3 (early loss or lr warmup dominate otherwise).
// Over the values of all the given curves together (not copied into one).
inline bool spans_decades(std::initializer_list<std::span<const double>> curves) {
  double lo = INFINITY, hi = 0;
  for (const auto ys : curves)
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
  if (r.epoch.empty()) return lines;
  double prev = std::floor(r.epoch.values[0]);
  const std::size_t n = r.epoch.size();
  for (std::size_t i = 1; i < n; ++i) {
    // the same integer epoch (floor(v) == prev) needs no floor call; eight such values are skipped at once
    for (const double next = prev + 1; i + 8 <= n; i += 8) {
      unsigned same = 1;
      for (std::size_t k = 0; k < 8; ++k) {
        const double v = r.epoch.values[i + k];
        same &= static_cast<unsigned>(v >= prev) & static_cast<unsigned>(v < next);
      }
      if (!same) break;
    }
    if (i >= n) break;
    const double v = r.epoch.values[i];
    if (v >= prev && v < prev + 1) continue;
    const double cur = std::floor(v);
    if (std::isfinite(prev) && std::isfinite(cur) && cur > prev) {
      lines.push_back({static_cast<double>(r.epoch.steps[i]), "epoch " + std::to_string(static_cast<long long>(cur))});
      if (lines.size() > 12) return {};  // too many to draw: none are, and the rest need not be looked at
    }
    prev = cur;
  }
  return lines;
}

/// Buckets over the step range that a long series is first thinned to: more than the pixel columns of the
/// default 860 px figure (about 700), so the drawn line is the same at that resolution.
inline constexpr std::size_t plot_buckets = 1024;
/// Series up to this many points are plotted whole (render_svg decimates them per pixel anyway).
inline constexpr std::size_t plot_whole_points = 16384;

/**
 * A per-step series ready to plot. Up to plot_whole_points it is taken whole; longer, it keeps per bucket
 * of the step range the first, lowest, highest and last point (as decimate_min_max does per pixel, which
 * render_svg still does after this), so a one-step spike stays visible, and a non-finite value still
 * breaks the line. One pass with no division per point; what the figure draws and computes after that
 * (the fitted lr, the residual) costs per bucket, not per record.
 */
inline plot_series thinned_series(std::span<const std::int64_t> steps, std::span<const double> values) {
  plot_series out;
  const std::size_t n = std::min(steps.size(), values.size());
  if (n <= plot_whole_points) {
    out.x.assign(steps.begin(), steps.begin() + static_cast<std::ptrdiff_t>(n));
    out.y.assign(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(n));
    return out;
  }
  const double lo = static_cast<double>(steps.front()), span = static_cast<double>(steps[n - 1]) - lo;
  const double width = std::max(span, 1.0) / static_cast<double>(plot_buckets);
  out.x.reserve(4 * plot_buckets + 64);
  out.y.reserve(4 * plot_buckets + 64);
  bool broken = false;
  for (std::size_t i = 0; i < n;) {
    if (!std::isfinite(values[i])) {
      if (!out.y.empty() && !broken) out.x.push_back(static_cast<double>(steps[i])), out.y.push_back(NAN), broken = true;
      ++i;
      continue;
    }
    broken = false;
    // one bucket: from i while the steps stay below its end and the values finite
    const double x = static_cast<double>(steps[i]);
    const double bucket_end = lo + (std::floor((x - lo) / width) + 1) * width;
    std::size_t low = i, high = i, j = i + 1;
    double low_v = values[i], high_v = values[i];
    for (; j < n && static_cast<double>(steps[j]) < bucket_end; ++j) {
      const double v = values[j];
      if (!std::isfinite(v)) break;
      if (v < low_v) low_v = v, low = j;
      if (v > high_v) high_v = v, high = j;
    }
    std::array<std::size_t, 4> idx{i, low, high, j - 1};
    std::sort(idx.begin(), idx.end());
    for (std::size_t k = 0; k < idx.size(); ++k) {
      if (k > 0 && idx[k] == idx[k - 1]) continue;
      out.x.push_back(static_cast<double>(steps[idx[k]]));
      out.y.push_back(values[idx[k]]);
    }
    i = j;
  }
  return out;
}
}  // namespace detail

/** Training loss per step, checkpoint training loss and validation loss against step. */
inline std::string loss_figure(const run& r, const analysis& a) {
  std::vector<plot_series> s;
  if (!r.train_loss.empty()) {
    plot_series train = detail::thinned_series(r.train_loss.steps, r.train_loss.values);
    train.label = "training loss (per step)", train.color = "#9ecae1", train.style = line_style::solid,
    train.width = 1.0;
    s.push_back(std::move(train));
  }
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
  plot_options o;
  o.x_lines = detail::epoch_lines(r);
  o.title = "Training and validation loss";
  o.x_label = "step";
  o.y_label = "loss";
  o.log_y = detail::spans_decades({r.train_loss.values, cv});
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
  plot_options o;
  o.title = a.perplexity ? "Perplexity and generalization gap" : "Checkpoint losses and generalization gap";
  o.x_label = "step";
  o.y_label = what;
  o.y2_label = "relative gap (val - train) / train, %";
  o.log_y = detail::spans_decades({tp, vp});
  return render_svg(s, o);
}

/** Logged learning rate with the fitted closed form over it, and the fit's relative residual. */
inline std::string lr_figure(const run& r, const analysis& a) {
  std::vector<plot_series> s;
  double o_residual_range = 0;
  // The fit and its residual are drawn at the logged points kept for the plot: a long log is thinned to
  // per-bucket extremes of the logged lr first, so the closed form is evaluated per bucket, not per record.
  plot_series logged = detail::thinned_series(r.lr.steps, r.lr.values);
  const std::vector<double> x = logged.x;
  logged.label = "logged learning rate", logged.color = "#1f77b4", logged.style = line_style::solid, logged.width = 3.0;
  s.push_back(std::move(logged));
  if (a.schedule.fitted) {
    const auto& f = *a.schedule.fitted;
    const std::vector<double> lr = s.front().y;  // a copy: `s` grows below
    std::vector<double> fitted(x.size()), residual(x.size());
    // f.lr(step) at every kept point, with the family chosen once rather than per point
    std::visit(
        [&](const auto& model) {
          for (std::size_t i = 0; i < x.size(); ++i) {
            fitted[i] = model.lr(x[i] - static_cast<double>(f.step_offset));
            const double logged_lr = lr[i];
            residual[i] = logged_lr != 0 ? (fitted[i] - logged_lr) / std::fabs(logged_lr) * 100.0 : NAN;
          }
        },
        f.model);
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
