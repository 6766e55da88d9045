#pragma once
/** Line plots as standalone SVG (browsers, GitHub's Markdown view, librsvg), with no dependency. */
#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace trainscope::inline v1::report {

/** How a series is drawn. */
enum class line_style { solid, dashed, dotted, markers, line_and_markers };

/** One line of a plot; NaN (or, on a log axis, non-positive) y values break the line. */
struct plot_series {
  // (every member has an initializer so {"label", x, y} aggregates compile cleanly under -Wextra)
  std::string label{};         ///< legend text; empty leaves the series out of the legend
  std::vector<double> x{}, y{};  ///< same length; x increasing for a meaningful line
  std::string color{};         ///< any SVG colour; empty picks the next of a colour-blind-safe palette
  line_style style = line_style::solid;
  bool right_axis = false;   ///< plot against the secondary (right) y axis
  double width = 1.5;        ///< stroke width in px
};

/** A vertical reference line (an epoch boundary, the end of warmup). */
struct plot_vline {
  double x = 0;
  std::string label{};
};

/** Figure-wide settings. Axis limits left empty are taken from the data and widened to nice ticks. */
struct plot_options {
  std::string title{}, x_label{}, y_label{}, y2_label{};
  bool log_y = false;
  bool log_y2 = false;
  int width = 860, height = 420;  ///< px
  std::optional<double> x_min{}, x_max{}, y_min{}, y_max{}, y2_min{}, y2_max{};
  std::vector<plot_vline> x_lines{};
};

/** Tick marks of one axis: the axis spans [lo, hi], which covers the data; the ticks lie in it. */
struct axis_ticks {
  double lo = 0, hi = 1;
  std::vector<double> values;
  double step = 0;   ///< linear: the tick spacing, 1, 2 or 5 times a power of ten; log: 0
  bool log = false;
  bool scientific = false;  ///< labels as 3e-4 (tiny or huge values), else plain decimals
};

namespace detail {

/// 10^e exactly for |e| <= 22 (powers of ten are exact doubles up to 1e22).
inline double power_of_ten(int e) {
  double r = 1.0;
  for (int i = 0; i < (e < 0 ? -e : e); ++i) r *= 10.0;
  return e < 0 ? 1.0 / r : r;
}

/// The double nearest to the decimal k * 10^e (k * 0.1 would not be: 3 * 0.1 != 0.3).
inline double decimal(std::int64_t k, int e) {
  return e < 0 ? static_cast<double>(k) / power_of_ten(-e) : static_cast<double>(k) * power_of_ten(e);
}

inline int floor_log10(double v) {
  int e = static_cast<int>(std::floor(std::log10(v)));
  // log10 may be off by one ulp around exact powers of ten
  if (decimal(1, e + 1) <= v) ++e;
  if (decimal(1, e) > v) --e;
  return e;
}

inline std::string to_fixed(double v, int decimals) {
  std::array<char, 64> buf{};
  auto r = std::to_chars(buf.data(), buf.data() + buf.size(), v, std::chars_format::fixed, decimals);
  return std::string(buf.data(), r.ptr);
}

/// "d.dde-5" style: `digits` after the point, mantissa zeros trimmed, exponent without '+' or leading zeros.
inline std::string to_scientific(double v, int digits) {
  std::array<char, 64> buf{};
  auto r = std::to_chars(buf.data(), buf.data() + buf.size(), v, std::chars_format::scientific, digits);
  std::string s(buf.data(), r.ptr);
  const auto e = s.find('e');
  std::string mant = s.substr(0, e), ex = s.substr(e + 1);
  if (mant.find('.') != std::string::npos) {
    while (mant.back() == '0') mant.pop_back();
    if (mant.back() == '.') mant.pop_back();
  }
  const bool neg = ex[0] == '-';
  std::size_t i = (ex[0] == '-' || ex[0] == '+') ? 1 : 0;
  while (i + 1 < ex.size() && ex[i] == '0') ++i;
  return mant + "e" + (neg ? "-" : "") + ex.substr(i);
}

/// A pixel coordinate: one decimal, without a trailing ".0".
inline void append_coord(std::string& out, double v) {
  // points far off the figure (a caller's axis limit cut them) are clipped anyway; keep their text short
  v = std::clamp(v, -1e6, 1e6);
  // The text of round(v * 10) / 10 printed with one decimal is the integer k = round(v * 10) written as
  // k / 10 (that double is within an ulp of the decimal): digits straight from k, no formatting call.
  const auto k = static_cast<long long>(std::round(v * 10.0));
  const unsigned long long a = k < 0 ? static_cast<unsigned long long>(-k) : static_cast<unsigned long long>(k);
  char buf[24];
  char* p = buf + sizeof buf;
  if (a % 10) *--p = static_cast<char>('0' + a % 10), *--p = '.';  // ".0" is left out
  unsigned long long whole = a / 10;
  do *--p = static_cast<char>('0' + whole % 10), whole /= 10;
  while (whole);
  if (k < 0) *--p = '-';  // k == 0 (also from -0.04) prints "0"
  out.append(p, buf + sizeof buf);
}

inline std::string xml_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

/// Rough width of `s` in px at `font_px` (DejaVu Sans averages ~0.6 em per character).
inline double text_width(std::string_view s, double font_px) { return 0.6 * font_px * static_cast<double>(s.size()); }

/// Finite range of the values (positive only when `positive`); nullopt when there is none.
inline std::optional<std::array<double, 2>> finite_range(std::span<const double> v, bool positive) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (double y : v) {
    if (!std::isfinite(y) || (positive && y <= 0)) continue;
    lo = std::min(lo, y);
    hi = std::max(hi, y);
  }
  if (lo > hi) return std::nullopt;
  return std::array<double, 2>{lo, hi};
}

// Okabe & Ito's colour-blind-safe palette (Color Universal Design, 2002), darkest usable order.
inline constexpr std::array<std::string_view, 7> palette{"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                                          "#E69F00", "#56B4E9", "#000000"};

}  // namespace detail

/**
 * Linear ticks: the smallest 1-2-5 step giving at most `max_ticks` ticks over [lo, hi]; the axis is widened to
 * the enclosing ticks. An empty range is widened around its value.
 */
inline axis_ticks linear_ticks(double lo, double hi, int max_ticks = 8) {
  axis_ticks t;
  if (!std::isfinite(lo) || !std::isfinite(hi)) lo = 0, hi = 1;
  if (lo > hi) std::swap(lo, hi);
  if (!std::isfinite(hi - lo)) lo /= 4, hi /= 4;  // a span beyond the double range: any 1-2-5 step still fits
  if (hi - lo <= 1e-12 * std::max(std::abs(lo), std::abs(hi))) {
    const double pad = lo == 0 ? 1.0 : std::abs(lo) * 0.05;
    lo -= pad;
    hi += pad;
  }
  max_ticks = std::max(max_ticks, 3);
  int e = detail::floor_log10((hi - lo) / max_ticks);
  static constexpr std::array<int, 3> mantissas{1, 2, 5};
  for (int guard = 0; guard < 8; ++guard, ++e) {
    for (int m : mantissas) {
      const double step = detail::decimal(m, e);
      // a tolerance of 1e-9 steps, so a bound that is a tick up to rounding is not widened by a step
      const auto i0 = static_cast<std::int64_t>(std::floor(lo / step + 1e-9));
      const auto i1 = static_cast<std::int64_t>(std::ceil(hi / step - 1e-9));
      if (i1 - i0 + 1 > max_ticks) continue;
      t.step = step;
      for (std::int64_t i = i0; i <= i1; ++i) t.values.push_back(detail::decimal(i * m, e));
      t.lo = t.values.front();
      t.hi = t.values.back();
      if (t.hi <= t.lo) t.hi = t.lo + step;
      const double biggest = std::max(std::abs(t.lo), std::abs(t.hi));
      t.scientific = biggest >= 1e7 || (biggest < 1e-2 && step < 1e-3);
      return t;
    }
  }
  t.values = {lo, hi};  // unreachable for finite input; keeps the axis drawable
  t.lo = lo;
  t.hi = hi;
  return t;
}

/**
 * Log ticks for positive [lo, hi]: 1-2-5 per decade when that gives between 3 and `max_ticks` ticks, every
 * mantissa 1..9 on a range under a decade, else whole decades (every k-th when there are many).
 */
inline axis_ticks log_ticks(double lo, double hi, int max_ticks = 9) {
  axis_ticks t;
  t.log = true;
  if (!(lo > 0) || !std::isfinite(lo) || !std::isfinite(hi)) lo = 1, hi = 10;
  if (lo > hi) std::swap(lo, hi);
  if (hi <= lo) lo /= 2, hi *= 2;
  max_ticks = std::max(max_ticks, 3);
  const int d0 = detail::floor_log10(lo);
  const int d1 = detail::floor_log10(hi) + 1;
  auto build = [&](std::span<const int> mantissas, int stride) {
    // the candidates in increasing order; the axis runs from the last one <= lo to the first one >= hi
    std::vector<double> c;
    for (int d = d0 - (d0 % stride + stride) % stride; d <= d1 + stride; d += stride)
      for (int m : mantissas) c.push_back(detail::decimal(m, d));
    std::vector<double> v;
    for (std::size_t i = 0; i < c.size(); ++i) {
      const bool before = i + 1 < c.size() && c[i + 1] <= lo;
      if (before) continue;
      v.push_back(c[i]);
      if (c[i] >= hi) break;
    }
    return v;
  };
  static constexpr std::array<int, 3> one_two_five{1, 2, 5};
  static constexpr std::array<int, 9> all_digits{1, 2, 3, 4, 5, 6, 7, 8, 9};
  static constexpr std::array<int, 1> decade{1};
  std::vector<double> v = build(one_two_five, 1);
  if (v.size() < 3) v = build(all_digits, 1);
  if (v.size() > static_cast<std::size_t>(max_ticks)) {
    for (int stride = 1;; ++stride) {
      v = build(decade, stride);
      if (v.size() <= static_cast<std::size_t>(max_ticks)) break;
    }
  }
  t.values = v;
  t.lo = v.front();
  t.hi = v.back();
  t.scientific = t.lo < 1e-3 || t.hi >= 1e6;
  return t;
}

/** The label of tick value `v` on axis `t`: plain decimals with as many digits as the step needs, or 3e-4 style. */
inline std::string format_tick(double v, const axis_ticks& t) {
  if (t.log) {
    if (!(v > 0)) return "0";
    return t.scientific ? detail::to_scientific(v, 0) : detail::to_fixed(v, std::max(0, -detail::floor_log10(v)));
  }
  const int step_e = t.step > 0 ? detail::floor_log10(t.step) : 0;
  if (t.scientific) {
    if (v == 0) return "0";
    return detail::to_scientific(v, std::max(0, detail::floor_log10(std::abs(v)) - step_e));
  }
  std::string s = detail::to_fixed(v, std::max(0, -step_e));
  if (s[0] == '-' && s.find_first_not_of("-0.") == std::string::npos) s.erase(0, 1);  // no "-0.0"
  return s;
}

/** Points kept for drawing: x and y, with a NaN y where the line breaks. */
struct decimated_points {
  std::vector<double> x, y;
};

/**
 * Keeps, per pixel column and unbroken stretch of line, the first, lowest, highest and last point, in order:
 * the drawn line looks the same at this resolution and a series yields at most 4 points per column and stretch.
 * Points with a non-finite x or y, or y <= 0 when `positive_only` (log axis), break the line. O(n).
 */
inline decimated_points decimate_min_max(std::span<const double> x, std::span<const double> y, double x_lo,
                                         double x_hi, int columns, bool positive_only = false) {
  decimated_points out;
  const std::size_t n = std::min(x.size(), y.size());
  const double span = x_hi - x_lo;
  columns = std::max(columns, 1);
  auto column_of = [&](double xv) {
    const double c = span > 0 ? std::floor((xv - x_lo) / span * columns) : 0.0;
    return static_cast<std::int64_t>(std::clamp(c, -1.0, static_cast<double>(columns)));
  };
  std::size_t first = 0, lo = 0, hi = 0, last = 0;
  std::int64_t col = 0;
  bool open = false, broken = false;
  auto flush = [&] {
    if (!open) return;
    std::array<std::size_t, 4> idx{first, lo, hi, last};
    std::sort(idx.begin(), idx.end());
    for (std::size_t k = 0; k < idx.size(); ++k) {
      if (k > 0 && idx[k] == idx[k - 1]) continue;
      out.x.push_back(x[idx[k]]);
      out.y.push_back(y[idx[k]]);
    }
    open = false;
  };
  for (std::size_t i = 0; i < n; ++i) {
    const bool usable = std::isfinite(x[i]) && std::isfinite(y[i]) && (!positive_only || y[i] > 0);
    if (!usable) {
      flush();
      if (!out.y.empty() && !broken) {
        out.x.push_back(std::numeric_limits<double>::quiet_NaN());
        out.y.push_back(std::numeric_limits<double>::quiet_NaN());
        broken = true;
      }
      continue;
    }
    broken = false;
    const auto c = column_of(x[i]);
    if (open && c == col) {
      if (y[i] < y[lo]) lo = i;
      if (y[i] > y[hi]) hi = i;
      last = i;
      continue;
    }
    flush();
    open = true;
    col = c;
    first = lo = hi = last = i;
  }
  flush();
  while (!out.y.empty() && std::isnan(out.y.back())) {
    out.x.pop_back();
    out.y.pop_back();
  }
  return out;
}

namespace detail {

struct frame {
  double left, top, width, height;
  double right() const { return left + width; }
  double bottom() const { return top + height; }
};

struct axis_map {
  axis_ticks ticks;
  double pixel(double v, const frame& f) const {
    const double a = ticks.log ? std::log10(ticks.lo) : ticks.lo;
    const double b = ticks.log ? std::log10(ticks.hi) : ticks.hi;
    const double u = ticks.log ? std::log10(v) : v;
    return f.bottom() - (u - a) / (b - a) * f.height;
  }
};

/// An axis limit the caller set is kept exactly (the nice widening applies only to limits from the data).
inline void apply_limits(axis_ticks& t, std::optional<double> lo, std::optional<double> hi) {
  if (lo && (!t.log || *lo > 0)) t.lo = *lo;
  if (hi && *hi > t.lo) t.hi = *hi;
  const double tol = 1e-9 * (t.hi - t.lo);
  std::erase_if(t.values, [&](double v) { return v < t.lo - tol || v > t.hi + tol; });
}

inline axis_ticks y_axis_for(const std::vector<plot_series>& series, bool right, bool log, std::optional<double> lo_opt,
                             std::optional<double> hi_opt, int max_ticks) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const auto& s : series) {
    if (s.right_axis != right) continue;
    if (auto r = finite_range(s.y, log)) {
      lo = std::min(lo, (*r)[0]);
      hi = std::max(hi, (*r)[1]);
    }
  }
  if (lo_opt && (!log || *lo_opt > 0)) lo = *lo_opt;
  if (hi_opt) hi = *hi_opt;
  if (!(lo <= hi)) lo = log ? 1.0 : 0.0, hi = log ? 10.0 : 1.0;
  if (log) {
    axis_ticks t = log_ticks(lo, hi, max_ticks + 1);
    apply_limits(t, lo_opt, hi_opt);
    return t;
  }
  axis_ticks t = linear_ticks(lo, hi, max_ticks);
  apply_limits(t, lo_opt, hi_opt);
  // a line along the frame is hard to see: leave a little air when the data reach the end tick
  const double air = 0.025 * (t.hi - t.lo);
  if (!lo_opt && lo - t.lo < air) t.lo -= air;
  if (!hi_opt && t.hi - hi < air) t.hi += air;
  return t;
}

/// Pixel points of a decimated series, NaN where the line breaks.
struct pixel_line {
  std::vector<double> px, py;
};

}  // namespace detail

/**
 * Renders the series as one standalone SVG document: title, axes with nice tick labels, grid, optional right
 * axis, legend placed in the corner the data leaves free (above the plot when none is). Series are decimated to
 * the pixel width, so the output stays small for any series length. Never fails: with no data it draws empty axes.
 */
inline std::string render_svg(const std::vector<plot_series>& series, const plot_options& opts) {
  using namespace detail;
  const double W = std::max(opts.width, 200), H = std::max(opts.height, 150);
  const bool has_right = std::any_of(series.begin(), series.end(), [](const plot_series& s) { return s.right_axis; });

  // --- axis ranges ---
  double x_lo = std::numeric_limits<double>::infinity(), x_hi = -x_lo;
  for (const auto& s : series)
    if (auto r = finite_range(s.x, false)) x_lo = std::min(x_lo, (*r)[0]), x_hi = std::max(x_hi, (*r)[1]);
  if (opts.x_min) x_lo = *opts.x_min;
  if (opts.x_max) x_hi = *opts.x_max;
  if (!(x_lo <= x_hi)) x_lo = 0, x_hi = 1;
  // about one label per 40 px of height and per 85 px of width, so labels never crowd
  const int max_y_ticks = std::clamp(static_cast<int>(H / 48), 3, 8);
  const int max_x_ticks = std::clamp(static_cast<int>(W / 90), 3, 10);
  axis_ticks xt = linear_ticks(x_lo, x_hi, max_x_ticks);
  apply_limits(xt, opts.x_min, opts.x_max);
  const axis_map ym{y_axis_for(series, false, opts.log_y, opts.y_min, opts.y_max, max_y_ticks)};
  const axis_map y2m{y_axis_for(series, true, opts.log_y2, opts.y2_min, opts.y2_max, max_y_ticks)};

  std::vector<std::string> y_labels, y2_labels, x_labels;
  double y_label_w = 0, y2_label_w = 0;
  for (double v : ym.ticks.values) y_labels.push_back(format_tick(v, ym.ticks));
  for (double v : y2m.ticks.values) y2_labels.push_back(format_tick(v, y2m.ticks));
  for (double v : xt.values) x_labels.push_back(format_tick(v, xt));
  for (const auto& l : y_labels) y_label_w = std::max(y_label_w, text_width(l, 11));
  for (const auto& l : y2_labels) y2_label_w = std::max(y2_label_w, text_width(l, 11));

  // --- legend entries and layout ---
  struct legend_entry {
    std::size_t series;
    std::string color;
  };
  std::vector<legend_entry> legend;
  std::vector<std::string> colors;
  double legend_text_w = 0;
  for (std::size_t i = 0; i < series.size(); ++i) {
    colors.push_back(series[i].color.empty() ? std::string(palette[i % palette.size()]) : series[i].color);
    if (!series[i].label.empty()) {
      legend.push_back({i, colors.back()});
      legend_text_w = std::max(legend_text_w, text_width(series[i].label, 11));
    }
  }
  const double legend_w = legend.empty() ? 0 : legend_text_w + 40, legend_h = 18.0 * legend.size() + 8;

  const double title_h = opts.title.empty() ? 12 : 34;
  double top = title_h;
  const double left = 16 + (opts.y_label.empty() ? 0 : 18) + y_label_w + 8;
  const double right_margin = has_right ? 16 + (opts.y2_label.empty() ? 0 : 18) + y2_label_w + 8 : 24;
  const double bottom_margin = 24 + (opts.x_label.empty() ? 0 : 20);
  frame f{left, top, std::max(20.0, W - left - right_margin), std::max(20.0, H - top - bottom_margin)};

  // --- series to pixels (decimated) ---
  const int columns = std::max(1, static_cast<int>(f.width));
  std::vector<pixel_line> lines(series.size());
  for (std::size_t i = 0; i < series.size(); ++i) {
    const auto& s = series[i];
    const axis_map& am = s.right_axis ? y2m : ym;
    const auto d = decimate_min_max(s.x, s.y, xt.lo, xt.hi, columns, am.ticks.log);
    for (std::size_t k = 0; k < d.x.size(); ++k) {
      const bool gap = std::isnan(d.y[k]);
      lines[i].px.push_back(gap ? d.x[k] : f.left + (d.x[k] - xt.lo) / (xt.hi - xt.lo) * f.width);
      lines[i].py.push_back(gap ? d.y[k] : am.pixel(d.y[k], f));
    }
  }

  // --- legend: the candidate box crossed by the fewest drawn points; above the plot if every one is crossed ---
  double legend_x = 0, legend_y = 0;
  bool legend_above = false;  // in one row between the title and the plot
  if (!legend.empty()) {
    const double pad = 8;
    const std::array<std::array<double, 2>, 6> candidates{{
        {f.right() - pad - legend_w, f.top + pad},
        {f.left + pad, f.top + pad},
        {f.right() - pad - legend_w, f.bottom() - pad - legend_h},
        {f.left + pad, f.bottom() - pad - legend_h},
        {f.left + (f.width - legend_w) / 2, f.top + pad},
        {f.left + (f.width - legend_w) / 2, f.bottom() - pad - legend_h},
    }};
    std::size_t best_hits = std::numeric_limits<std::size_t>::max(), best = 0;
    // samples per segment (one every 4 px of its length), the same for every candidate box
    std::vector<std::vector<int>> segment_steps(lines.size());
    for (std::size_t i = 0; i < lines.size(); ++i) {
      const auto& l = lines[i];
      segment_steps[i].assign(l.px.size(), 0);
      for (std::size_t k = 0; k + 1 < l.px.size(); ++k)
        if (!std::isnan(l.py[k]) && !std::isnan(l.py[k + 1]))
          segment_steps[i][k] = static_cast<int>(std::hypot(l.px[k + 1] - l.px[k], l.py[k + 1] - l.py[k]) / 4);
    }
    for (std::size_t c = 0; c < candidates.size(); ++c) {
      const double bx0 = candidates[c][0] - 4, by0 = candidates[c][1] - 4;
      const double bx1 = candidates[c][0] + legend_w + 4, by1 = candidates[c][1] + legend_h + 4;
      std::size_t hits = 0;
      auto inside = [&](double px, double py) { return px >= bx0 && px <= bx1 && py >= by0 && py <= by1; };
      for (std::size_t li = 0; li < lines.size(); ++li) {
        const auto& l = lines[li];
        for (std::size_t k = 0; k < l.px.size(); ++k) {
          if (std::isnan(l.py[k])) continue;
          hits += inside(l.px[k], l.py[k]);
          // sample the segment to the next point, so a long straight segment through the box counts too
          if (k + 1 < l.px.size() && !std::isnan(l.py[k + 1])) {
            const int steps = segment_steps[li][k];
            // a segment whose extent (widened by a pixel against rounding) misses the box has no sample in it
            if (std::max(l.px[k], l.px[k + 1]) + 1 < bx0 || std::min(l.px[k], l.px[k + 1]) - 1 > bx1 ||
                std::max(l.py[k], l.py[k + 1]) + 1 < by0 || std::min(l.py[k], l.py[k + 1]) - 1 > by1)
              continue;
            for (int j = 1; j < steps; ++j) {
              const double u = static_cast<double>(j) / steps;
              hits += inside(l.px[k] + u * (l.px[k + 1] - l.px[k]), l.py[k] + u * (l.py[k + 1] - l.py[k]));
            }
          }
        }
      }
      if (hits < best_hits) best_hits = hits, best = c;
    }
    if (best_hits == 0) {
      legend_x = candidates[best][0];
      legend_y = candidates[best][1];
    } else {
      // shrink the plot from the top and put the legend, laid out in one row, above it
      const double row_w = [&] {
        double w = 0;
        for (const auto& e : legend) w += text_width(series[e.series].label, 11) + 44;
        return w;
      }();
      const double extra = 24;
      const double old_bottom = f.bottom();
      f.top += extra;
      f.height = old_bottom - f.top;
      // the pixels were computed for the taller frame: keep each point's fraction of the height
      for (auto& l : lines) {
        for (auto& py : l.py) {
          if (std::isnan(py)) continue;
          const double u = (old_bottom - py) / (old_bottom - (f.top - extra));
          py = old_bottom - u * f.height;
        }
      }
      legend_above = true;
      legend_x = f.left + std::max(0.0, (f.width - row_w) / 2);
      legend_y = f.top - 4;
    }
  }

  // --- document ---
  std::string out;
  out.reserve(8192);
  auto attr = [&out](std::string_view name, double v) {
    out += ' ';
    out += name;
    out += "=\"";
    append_coord(out, v);
    out += '"';
  };
  out += "<svg xmlns=\"http://www.w3.org/2000/svg\"";
  attr("width", W);
  attr("height", H);
  out += " viewBox=\"0 0 ";
  append_coord(out, W);
  out += ' ';
  append_coord(out, H);
  out += "\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" font-size=\"12\">\n";
  if (!opts.title.empty()) out += "<title>" + xml_escape(opts.title) + "</title>\n";
  out += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";

  // a clip id unique to this figure, so several figures inlined in one HTML page do not share it
  std::uint64_t h = 1469598103934665603ULL;  // FNV-1a
  for (char c : opts.title + opts.y_label + opts.y2_label) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  const std::string clip_id = "ts-clip-" + std::to_string(h % 1000000007ULL);
  out += "<defs><clipPath id=\"" + clip_id + "\"><rect";
  attr("x", f.left);
  attr("y", f.top);
  attr("width", f.width);
  attr("height", f.height);
  out += "/></clipPath></defs>\n";

  if (!opts.title.empty()) {
    out += "<text class=\"title\"";
    attr("x", W / 2);
    attr("y", 22);
    out += " text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\">" + xml_escape(opts.title) + "</text>\n";
  }

  // grid
  out += "<g class=\"grid\" stroke=\"#e6e6e6\" stroke-width=\"1\">\n";
  for (double v : xt.values) {
    const double px = f.left + (v - xt.lo) / (xt.hi - xt.lo) * f.width;
    out += "<line";
    attr("x1", px);
    attr("y1", f.top);
    attr("x2", px);
    attr("y2", f.bottom());
    out += "/>\n";
  }
  for (double v : ym.ticks.values) {
    const double py = ym.pixel(v, f);
    out += "<line";
    attr("x1", f.left);
    attr("y1", py);
    attr("x2", f.right());
    attr("y2", py);
    out += "/>\n";
  }
  out += "</g>\n";

  // tick labels
  out += "<g class=\"x-ticks\" font-size=\"11\" fill=\"#333\" text-anchor=\"middle\">\n";
  for (std::size_t i = 0; i < xt.values.size(); ++i) {
    out += "<text class=\"tick-x\"";
    attr("x", f.left + (xt.values[i] - xt.lo) / (xt.hi - xt.lo) * f.width);
    attr("y", f.bottom() + 16);
    out += ">" + x_labels[i] + "</text>\n";
  }
  out += "</g>\n<g class=\"y-ticks\" font-size=\"11\" fill=\"#333\" text-anchor=\"end\">\n";
  for (std::size_t i = 0; i < ym.ticks.values.size(); ++i) {
    out += "<text class=\"tick-y\"";
    attr("x", f.left - 6);
    attr("y", ym.pixel(ym.ticks.values[i], f) + 4);
    out += ">" + y_labels[i] + "</text>\n";
  }
  out += "</g>\n";
  if (has_right) {
    out += "<g class=\"y2-ticks\" font-size=\"11\" fill=\"#333\" text-anchor=\"start\">\n";
    for (std::size_t i = 0; i < y2m.ticks.values.size(); ++i) {
      const double py = y2m.pixel(y2m.ticks.values[i], f);
      out += "<line stroke=\"#333\"";
      attr("x1", f.right());
      attr("y1", py);
      attr("x2", f.right() + 4);
      attr("y2", py);
      out += "/><text class=\"tick-y2\"";
      attr("x", f.right() + 7);
      attr("y", py + 4);
      out += ">" + y2_labels[i] + "</text>\n";
    }
    out += "</g>\n";
  }

  // axis labels
  if (!opts.x_label.empty()) {
    out += "<text class=\"x-label\"";
    attr("x", f.left + f.width / 2);
    attr("y", H - 8);
    out += " text-anchor=\"middle\">" + xml_escape(opts.x_label) + "</text>\n";
  }
  if (!opts.y_label.empty()) {
    const double cx = 16, cy = f.top + f.height / 2;
    out += "<text class=\"y-label\" text-anchor=\"middle\"";
    attr("x", cx);
    attr("y", cy);
    out += " transform=\"rotate(-90 ";
    append_coord(out, cx);
    out += ' ';
    append_coord(out, cy);
    out += ")\">" + xml_escape(opts.y_label) + "</text>\n";
  }
  if (has_right && !opts.y2_label.empty()) {
    const double cx = W - 14, cy = f.top + f.height / 2;
    out += "<text class=\"y2-label\" text-anchor=\"middle\"";
    attr("x", cx);
    attr("y", cy);
    out += " transform=\"rotate(90 ";
    append_coord(out, cx);
    out += ' ';
    append_coord(out, cy);
    out += ")\">" + xml_escape(opts.y2_label) + "</text>\n";
  }

  // reference lines
  for (const auto& v : opts.x_lines) {
    if (!(v.x >= xt.lo && v.x <= xt.hi)) continue;
    const double px = f.left + (v.x - xt.lo) / (xt.hi - xt.lo) * f.width;
    out += "<line class=\"vline\" stroke=\"#999\" stroke-width=\"1\" stroke-dasharray=\"4 3\"";
    attr("x1", px);
    attr("y1", f.top);
    attr("x2", px);
    attr("y2", f.bottom());
    out += "/>\n";
    if (!v.label.empty()) {
      out += "<text class=\"vline-label\" font-size=\"10\" fill=\"#777\"";
      attr("x", px + 3);
      attr("y", f.bottom() - 4);
      out += ">" + xml_escape(v.label) + "</text>\n";
    }
  }

  // series
  auto dash_of = [](line_style st) -> std::string_view {
    if (st == line_style::dashed) return " stroke-dasharray=\"7 4\"";
    if (st == line_style::dotted) return " stroke-dasharray=\"1.5 3\" stroke-linecap=\"round\"";
    return "";
  };
  out += "<g clip-path=\"url(#" + clip_id + ")\" fill=\"none\" stroke-linejoin=\"round\">\n";
  for (std::size_t i = 0; i < series.size(); ++i) {
    const auto& s = series[i];
    const auto& l = lines[i];
    if (l.px.empty()) continue;
    if (s.style != line_style::markers) {
      out += "<path class=\"series\" stroke=\"" + xml_escape(colors[i]) + "\"";
      attr("stroke-width", s.width);
      out += dash_of(s.style);
      out += " d=\"";
      bool pen_down = false;
      for (std::size_t k = 0; k < l.px.size(); ++k) {
        if (std::isnan(l.py[k])) {
          pen_down = false;
          continue;
        }
        out += pen_down ? 'L' : 'M';
        append_coord(out, l.px[k]);
        out += ' ';
        append_coord(out, l.py[k]);
        pen_down = true;
      }
      out += "\"/>\n";
    }
    if (s.style == line_style::markers || s.style == line_style::line_and_markers) {
      out += "<g class=\"markers\" fill=\"" + xml_escape(colors[i]) + "\" stroke=\"white\" stroke-width=\"0.8\">";
      for (std::size_t k = 0; k < l.px.size(); ++k) {
        if (std::isnan(l.py[k])) continue;
        out += "<circle";
        attr("cx", l.px[k]);
        attr("cy", l.py[k]);
        attr("r", 1.5 + s.width);
        out += "/>";
      }
      out += "</g>\n";
    }
  }
  out += "</g>\n";

  // frame on top of the data
  out += "<rect class=\"frame\" fill=\"none\" stroke=\"#333\" stroke-width=\"1\"";
  attr("x", f.left);
  attr("y", f.top);
  attr("width", f.width);
  attr("height", f.height);
  out += "/>\n";

  // legend
  if (!legend.empty()) {
    const bool one_row = legend_above;
    double x = legend_x;
    const double y = legend_y;
    out += "<g class=\"legend\" font-size=\"11\">\n";
    if (!one_row) {
      out += "<rect fill=\"white\" fill-opacity=\"0.9\" stroke=\"#ccc\"";
      attr("x", x);
      attr("y", y);
      attr("width", legend_w);
      attr("height", legend_h);
      out += "/>\n";
    }
    for (std::size_t k = 0; k < legend.size(); ++k) {
      const auto& s = series[legend[k].series];
      const double lx = one_row ? x : x + 8, ly = one_row ? y - 8 : y + 4 + 18.0 * k + 9;
      if (s.style != line_style::markers) {
        out += "<line stroke=\"" + xml_escape(legend[k].color) + "\"";
        attr("stroke-width", s.width + 0.5);
        out += dash_of(s.style);
        attr("x1", lx);
        attr("y1", ly);
        attr("x2", lx + 24);
        attr("y2", ly);
        out += "/>";
      }
      if (s.style == line_style::markers || s.style == line_style::line_and_markers) {
        out += "<circle fill=\"" + xml_escape(legend[k].color) + "\"";
        attr("cx", lx + 12);
        attr("cy", ly);
        attr("r", 1.5 + s.width);
        out += "/>";
      }
      out += "<text";
      attr("x", lx + 30);
      attr("y", ly + 4);
      out += ">" + xml_escape(s.label) + "</text>\n";
      if (one_row) x += text_width(s.label, 11) + 44;
    }
    out += "</g>\n";
  }
  if (std::none_of(lines.begin(), lines.end(), [](const pixel_line& l) { return !l.px.empty(); })) {
    out += "<text class=\"no-data\" text-anchor=\"middle\" fill=\"#999\"";
    attr("x", f.left + f.width / 2);
    attr("y", f.top + f.height / 2);
    out += ">no data</text>\n";
  }
  out += "</svg>\n";
  return out;
}

}  // namespace trainscope::inline v1::report
