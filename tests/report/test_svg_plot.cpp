#include <doctest/doctest.h>

#include <clocale>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "trainscope/report/svg_plot.hpp"

using namespace trainscope::report;

namespace {

constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();

/// True when v is m * 10^e for m in {1, 2, 5} (to rounding).
bool is_one_two_five(double v) {
  if (!(v > 0)) return false;
  const double e = std::floor(std::log10(v) + 1e-9);
  const double m = v / std::pow(10.0, e);
  return std::abs(m - 1) < 1e-9 || std::abs(m - 2) < 1e-9 || std::abs(m - 5) < 1e-9;
}

/**
 * A small well-formedness check: tags nest and close, attribute values are quoted, and '&' only starts an entity.
 * Returns the element names in document order, or an empty vector when malformed.
 */
std::vector<std::string> xml_elements(const std::string& doc) {
  std::vector<std::string> stack, names;
  std::size_t i = 0;
  while (i < doc.size()) {
    if (doc[i] == '&') {
      const std::size_t semi = doc.find(';', i);
      const std::string ent = semi == std::string::npos ? "" : doc.substr(i, semi - i + 1);
      if (ent != "&amp;" && ent != "&lt;" && ent != "&gt;" && ent != "&quot;") return {};
      i = semi + 1;
      continue;
    }
    if (doc[i] == '>') return {};
    if (doc[i] != '<') {
      ++i;
      continue;
    }
    const bool closing = i + 1 < doc.size() && doc[i + 1] == '/';
    std::size_t j = i + (closing ? 2 : 1);
    const std::size_t name_start = j;
    while (j < doc.size() && (std::isalnum(static_cast<unsigned char>(doc[j])) || doc[j] == '-' || doc[j] == ':')) ++j;
    const std::string name = doc.substr(name_start, j - name_start);
    if (name.empty()) return {};
    if (closing) {
      if (stack.empty() || stack.back() != name || j >= doc.size() || doc[j] != '>') return {};
      stack.pop_back();
      i = j + 1;
      continue;
    }
    // attributes: name="value" with no '<' inside the value
    bool self_closing = false;
    while (true) {
      while (j < doc.size() && doc[j] == ' ') ++j;
      if (j >= doc.size()) return {};
      if (doc[j] == '>') break;
      if (doc[j] == '/' && j + 1 < doc.size() && doc[j + 1] == '>') {
        self_closing = true;
        ++j;
        break;
      }
      const std::size_t eq = doc.find('=', j);
      if (eq == std::string::npos || eq + 1 >= doc.size() || doc[eq + 1] != '"') return {};
      const std::size_t close = doc.find('"', eq + 2);
      if (close == std::string::npos) return {};
      const std::string value = doc.substr(eq + 2, close - eq - 2);
      if (value.find('<') != std::string::npos) return {};
      j = close + 1;
    }
    names.push_back(name);
    if (!self_closing) stack.push_back(name);
    i = j + 1;
  }
  if (!stack.empty()) return {};
  return names;
}

/// Texts of all <text class="`cls`"> elements.
std::vector<std::string> texts_of_class(const std::string& svg, const std::string& cls) {
  std::vector<std::string> out;
  const std::string open = "<text class=\"" + cls + "\"";
  for (std::size_t p = svg.find(open); p != std::string::npos; p = svg.find(open, p + 1)) {
    const std::size_t gt = svg.find('>', p);
    const std::size_t end = svg.find("</text>", gt);
    out.push_back(svg.substr(gt + 1, end - gt - 1));
  }
  return out;
}

/// The value of attribute `name` in the first element at or after `from`.
double attr_after(const std::string& svg, std::size_t from, const std::string& name) {
  const std::size_t p = svg.find(" " + name + "=\"", from);
  return std::stod(svg.substr(p + name.size() + 3));
}

/// Points of every series path, one vector per "M" run.
std::vector<std::vector<std::pair<double, double>>> path_runs(const std::string& svg) {
  std::vector<std::vector<std::pair<double, double>>> runs;
  for (std::size_t p = svg.find("<path class=\"series\""); p != std::string::npos;
       p = svg.find("<path class=\"series\"", p + 1)) {
    const std::size_t d = svg.find(" d=\"", p) + 4;
    const std::size_t end = svg.find('"', d);
    std::size_t i = d;
    while (i < end) {
      const char cmd = svg[i++];
      if (cmd == 'M') runs.emplace_back();
      std::size_t used = 0;
      const double x = std::stod(svg.substr(i, end - i), &used);
      i += used + 1;  // the space
      const double y = std::stod(svg.substr(i, end - i), &used);
      i += used;
      runs.back().emplace_back(x, y);
    }
  }
  return runs;
}

std::vector<double> iota_x(std::size_t n, double first = 1.0) {
  std::vector<double> x(n);
  for (std::size_t i = 0; i < n; ++i) x[i] = first + static_cast<double>(i);
  return x;
}

}  // namespace

TEST_CASE("linear ticks: 1-2-5 steps, at most max_ticks, covering the data") {
  const std::vector<std::pair<double, double>> ranges{
      {0, 11760}, {5.3411, 11.1484}, {-0.0088, 0.0094}, {0, 3e-4}, {238.09, 2275.25}, {1e-9, 3e-9},
      {-5, -1}, {0.1, 0.3}, {123456, 9876543}, {7, 7}, {0, 0}, {0.99, 1.01}, {-1e6, 1e6}};
  for (const auto& range : ranges) {
    const double lo = range.first, hi = range.second;  // not a structured binding: INFO captures them
    for (int max_ticks : {4, 6, 8, 10}) {
      const axis_ticks t = linear_ticks(lo, hi, max_ticks);
      INFO("range ", lo, "..", hi, " max ", max_ticks);
      CHECK(is_one_two_five(t.step));
      CHECK(t.values.size() >= 2);
      CHECK(t.values.size() <= static_cast<std::size_t>(max_ticks));
      CHECK(t.lo <= lo);
      CHECK(t.hi >= hi);
      for (double v : t.values) CHECK(std::abs(v / t.step - std::round(v / t.step)) < 1e-9);
      // a coarser 1-2-5 step would also have fitted only if it were larger: the chosen one is the finest allowed
      CHECK((t.hi - t.lo) / t.step >= 1.0);
    }
  }
  const axis_ticks steps = linear_ticks(1, 11760, 9);
  CHECK(steps.step == 2000);
  CHECK(steps.values == std::vector<double>{0, 2000, 4000, 6000, 8000, 10000, 12000});
}

TEST_CASE("tick labels: plain decimals as the step needs, scientific only for tiny or huge values") {
  const axis_ticks loss = linear_ticks(5.3411, 11.1484, 8);
  std::vector<std::string> labels;
  for (double v : loss.values) labels.push_back(format_tick(v, loss));
  CHECK(labels == std::vector<std::string>{"5", "6", "7", "8", "9", "10", "11", "12"});

  const axis_ticks gap = linear_ticks(-0.88, 0.94, 6);
  labels.clear();
  for (double v : gap.values) labels.push_back(format_tick(v, gap));
  CHECK(labels == std::vector<std::string>{"-1.0", "-0.5", "0.0", "0.5", "1.0"});

  const axis_ticks lr = linear_ticks(0, 3e-4, 8);
  labels.clear();
  for (double v : lr.values) labels.push_back(format_tick(v, lr));
  CHECK(labels == std::vector<std::string>{"0", "5e-5", "1e-4", "1.5e-4", "2e-4", "2.5e-4", "3e-4"});

  const axis_ticks small = linear_ticks(0.02, 0.09, 8);
  for (double v : small.values) CHECK(format_tick(v, small).find('e') == std::string::npos);
  CHECK(format_tick(0.03, small) == "0.03");

  const axis_ticks huge = linear_ticks(0, 4.2e7, 6);
  CHECK(format_tick(huge.values[1], huge) == "1e7");
}

TEST_CASE("log ticks: 1-2-5 per decade, or decades over a wide range") {
  const axis_ticks ppl = log_ticks(238.09, 2275.25);
  CHECK(ppl.values == std::vector<double>{200, 500, 1000, 2000, 5000});
  std::vector<std::string> labels;
  for (double v : ppl.values) labels.push_back(format_tick(v, ppl));
  CHECK(labels == std::vector<std::string>{"200", "500", "1000", "2000", "5000"});

  const axis_ticks lr = log_ticks(5.25e-11, 3e-4);
  CHECK(lr.values.size() <= 9);
  CHECK(lr.lo <= 5.25e-11);
  CHECK(lr.hi >= 3e-4);
  for (double v : lr.values) {
    CHECK(is_one_two_five(v));
    const std::string label = format_tick(v, lr);
    CHECK(label.find('e') != std::string::npos);  // one style for the whole axis
  }
  CHECK(format_tick(1e-10, lr) == "1e-10");

  // under a decade: every mantissa, so the axis has at least 3 labels
  const axis_ticks narrow = log_ticks(5.3, 7.9);
  CHECK(narrow.values.size() >= 3);
  CHECK(narrow.lo <= 5.3);
  CHECK(narrow.hi >= 7.9);
}

TEST_CASE("render_svg: a well-formed standalone document with escaped text") {
  std::vector<plot_series> s{{"train <loss> & more", {1, 2, 3}, {3.0, 2.0, 1.5}, "", line_style::line_and_markers},
                             {"gap \"%\"", {1, 2, 3}, {0.1, -0.2, 0.3}, "#555", line_style::dashed, true}};
  plot_options o;
  o.title = "A & B < C";
  o.x_label = "step";
  o.y_label = "loss";
  o.y2_label = "gap";
  const std::string svg = render_svg(s, o);
  const auto elements = xml_elements(svg);
  REQUIRE(!elements.empty());
  CHECK(elements.front() == "svg");
  CHECK(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0) == 0);
  CHECK(svg.find("width=\"860\" height=\"420\"") != std::string::npos);
  CHECK(svg.find("A &amp; B &lt; C") != std::string::npos);
  CHECK(svg.find("train &lt;loss&gt; &amp; more") != std::string::npos);
  CHECK(texts_of_class(svg, "tick-y2").size() >= 2);
  CHECK(svg.find("stroke-dasharray") != std::string::npos);
  CHECK(svg.find("<circle") != std::string::npos);
}

TEST_CASE("render_svg: nothing to draw still gives a valid figure") {
  const std::string empty = render_svg({}, plot_options{});
  CHECK(!xml_elements(empty).empty());
  CHECK(empty.find("no data") != std::string::npos);
  const std::string all_nan = render_svg({{"x", {1, 2}, {nan_v, nan_v}}}, plot_options{});
  CHECK(!xml_elements(all_nan).empty());
  CHECK(all_nan.find("no data") != std::string::npos);
}

TEST_CASE("render_svg: NaN points break the line; non-positive values break it on a log axis") {
  const std::vector<double> x{1, 2, 3, 4, 5, 6, 7};
  const std::string svg = render_svg({{"loss", x, {5, 4, nan_v, 3, 2.5, nan_v, nan_v}}}, plot_options{});
  const auto runs = path_runs(svg);
  REQUIRE(runs.size() == 2);
  CHECK(runs[0].size() == 2);
  CHECK(runs[1].size() == 2);

  plot_options log_opts;
  log_opts.log_y = true;
  const std::string log_svg = render_svg({{"lr", x, {0, 1e-4, 2e-4, 0, 1e-4, 1e-5, -1}}}, log_opts);
  const auto log_runs = path_runs(log_svg);
  REQUIRE(log_runs.size() == 2);
  CHECK(log_runs[0].size() == 2);
  CHECK(log_runs[1].size() == 2);
  for (const auto& label : texts_of_class(log_svg, "tick-y")) CHECK(label != "0");
}

TEST_CASE("decimation: at most 4 points per pixel column, extremes kept, so 1M points stay a small SVG") {
  const std::size_t n = 1'000'000;
  std::vector<double> x = iota_x(n), y(n);
  std::uint64_t state = 42;
  for (std::size_t i = 0; i < n; ++i) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    y[i] = 5.0 + 3.0 * std::exp(-static_cast<double>(i) / 1e5) + static_cast<double>(state >> 40) / 16777216.0 * 0.2;
  }
  y[777'777] = 9.5;  // a spike must survive
  const auto d = decimate_min_max(x, y, 0, static_cast<double>(n), 700);
  CHECK(d.x.size() <= 4 * 701);
  CHECK(d.x.size() >= 700);
  bool spike_kept = false;
  for (double v : d.y) spike_kept = spike_kept || v == 9.5;
  CHECK(spike_kept);
  for (std::size_t k = 1; k < d.x.size(); ++k) CHECK(d.x[k] > d.x[k - 1]);

  const std::string svg = render_svg({{"loss", x, y}}, plot_options{});
  CHECK(svg.size() < 120'000);
  CHECK(!xml_elements(svg).empty());
}

TEST_CASE("legend: placed where it covers no data, or above the plot") {
  // a falling curve fills the bottom-left..top-left diagonal; the legend must avoid every drawn point
  const std::vector<double> x = iota_x(1000);
  std::vector<double> falling(1000), band_top(1000), band_bottom(1000);
  for (std::size_t i = 0; i < 1000; ++i) {
    falling[i] = 10.0 * std::exp(-static_cast<double>(i) / 150.0);
    band_top[i] = 10.0 - 0.001 * static_cast<double>(i);
    band_bottom[i] = 0.001 * static_cast<double>(i);
  }
  for (const auto& data : {std::vector<plot_series>{{"falling", x, falling}},
                           std::vector<plot_series>{{"top", x, band_top}, {"bottom", x, band_bottom}}}) {
    const std::string svg = render_svg(data, plot_options{});
    const std::size_t legend = svg.find("<g class=\"legend\"");
    REQUIRE(legend != std::string::npos);
    const std::size_t rect = svg.find("<rect", legend);
    const std::size_t legend_end = svg.find("</g>", legend);
    if (rect != std::string::npos && rect < legend_end) {
      const double lx = attr_after(svg, rect, "x"), ly = attr_after(svg, rect, "y");
      const double lw = attr_after(svg, rect, "width"), lh = attr_after(svg, rect, "height");
      for (const auto& run : path_runs(svg))
        for (const auto& [px, py] : run) CHECK_FALSE((px >= lx && px <= lx + lw && py >= ly && py <= ly + lh));
    } else {
      // one row above the frame
      const std::size_t frame = svg.find("<rect class=\"frame\"");
      const double frame_top = attr_after(svg, frame, "y");
      const std::size_t text = svg.find("<text", legend);
      CHECK(attr_after(svg, text, "y") < frame_top);
    }
  }
}

TEST_CASE("render_svg: output does not depend on the C locale") {
  const std::vector<plot_series> s{{"lr", {1, 2, 3}, {1.5e-4, 2.5e-4, 3e-4}}};
  const std::string before = render_svg(s, plot_options{});
  if (std::setlocale(LC_ALL, "de_DE.UTF-8") == nullptr && std::setlocale(LC_ALL, "fr_FR.UTF-8") == nullptr) {
    MESSAGE("no comma-decimal locale installed; checked only that the output uses '.'");
  }
  const std::string after = render_svg(s, plot_options{});
  std::setlocale(LC_ALL, "C");
  CHECK(before == after);
  CHECK(before.find("1.5e-4") != std::string::npos);
}

TEST_CASE("render_svg: axis limits set by the caller are kept exactly; the rest is clipped") {
  const std::vector<double> x = iota_x(11760);
  std::vector<double> y(x.size());
  for (std::size_t i = 0; i < y.size(); ++i) y[i] = 5.0 + 6.0 / (1.0 + static_cast<double>(i) / 100.0);
  plot_options o;
  o.x_max = 1500;
  o.y_min = 5.5;
  const std::string svg = render_svg({{"loss", x, y}}, o);
  const auto xs = texts_of_class(svg, "tick-x");
  REQUIRE(!xs.empty());
  CHECK(xs.back() == "1400");  // the 1-2-5 ticks inside [0, 1500]; no 1600 past the limit
  const auto ys = texts_of_class(svg, "tick-y");
  REQUIRE(!ys.empty());
  CHECK(std::stod(ys.front()) >= 5.5);
  CHECK(svg.find("clip-path=\"url(#") != std::string::npos);
  // the frame's right edge is x = 1500: the path's last drawn point is at or beyond it (clipped there)
  const std::size_t frame = svg.find("<rect class=\"frame\"");
  const double right = attr_after(svg, frame, "x") + attr_after(svg, frame, "width");
  double max_px = 0;
  for (const auto& run : path_runs(svg))
    for (const auto& p : run) max_px = std::max(max_px, p.first);
  CHECK(max_px >= right - 1);
}

TEST_CASE("render_svg: extreme values stay drawable and compact") {
  plot_options o;
  o.y_max = 10;
  const std::string svg = render_svg({{"spike", {1, 2, 3, 4}, {1, 1e300, 2, -1e300}}}, o);
  CHECK(!xml_elements(svg).empty());
  CHECK(svg.size() < 8000);
  const std::string wide = render_svg({{"wide", {-1e308, 1e308}, {-1e308, 1e308}}}, plot_options{});
  CHECK(!xml_elements(wide).empty());
  CHECK(texts_of_class(wide, "tick-x").size() >= 2);
}
