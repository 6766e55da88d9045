// Long series are thinned to per-bucket extremes before plotting: what the figure shows must survive it.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "trainscope/report/figures.hpp"

using namespace trainscope;

TEST_CASE("thinned_series: short series whole, long ones bounded, with every spike and break kept") {
  std::mt19937_64 rng(5);
  std::normal_distribution<double> noise(0.0, 1.0);
  std::vector<std::int64_t> steps;
  std::vector<double> loss;
  const std::size_t n = 300000;
  for (std::size_t i = 0; i < n; ++i) {
    steps.push_back(static_cast<std::int64_t>(i + 1));
    double y = (2.0 + 3.0 * std::exp(-static_cast<double>(i) / 50000.0)) * (1 + 0.01 * noise(rng));
    if (i == 123457) y = 40.0;  // a one-step spike
    if (i == 200001) y = 0.5;   // a one-step dip
    if (i >= 250000 && i < 250003) y = std::nan("");
    loss.push_back(y);
  }
  const auto t = report::detail::thinned_series(steps, loss);
  REQUIRE(t.x.size() == t.y.size());
  // at most four points per bucket, plus the break
  CHECK(t.x.size() <= 4 * report::detail::plot_buckets + 1);
  CHECK(t.x.size() >= 2 * report::detail::plot_buckets);
  CHECK(std::is_sorted(t.x.begin(), t.x.end()));
  // the extremes survive at their own step
  std::size_t hi = 0;
  for (std::size_t k = 0; k < t.y.size(); ++k)
    if (t.y[k] > t.y[hi]) hi = k;
  CHECK(t.y[hi] == 40.0);
  CHECK(t.x[hi] == 123458.0);
  bool dip = false, gap = false;
  for (std::size_t k = 0; k < t.y.size(); ++k) {
    dip = dip || (t.y[k] == 0.5 && t.x[k] == 200002.0);
    gap = gap || std::isnan(t.y[k]);
  }
  CHECK(dip);
  CHECK(gap);  // the non-finite stretch still breaks the line
  CHECK(t.x.front() == 1.0);
  CHECK(t.x.back() == static_cast<double>(n));

  // a log of the sample's length is drawn point for point, as before
  const auto whole = report::detail::thinned_series(std::span(steps).first(12000), std::span(loss).first(12000));
  CHECK(whole.x.size() == 12000);
  CHECK(whole.y[77] == loss[77]);
}

TEST_CASE("epoch_lines: a line at each step where the integer epoch grows, none when there are more than 12") {
  auto lines_of = [](const std::vector<double>& epochs) {
    run r;
    for (std::size_t i = 0; i < epochs.size(); ++i) r.epoch.put(static_cast<std::int64_t>(i + 1), epochs[i]);
    std::vector<double> at;
    for (const auto& l : report::detail::epoch_lines(r)) at.push_back(l.x);
    return at;
  };
  std::vector<double> e;
  for (int i = 0; i < 1000; ++i) e.push_back(i / 97.0);  // epochs 0 .. 10, a new one every 97 steps
  e[300] = std::nan("");                               // a NaN does not start an epoch, the value after it does
  e[500] = 2.5;                                        // a step back, then forward again
  const auto at = lines_of(e);
  // by definition: floor grows between neighbours (both finite)
  std::vector<double> want;
  for (std::size_t i = 1; i < e.size(); ++i) {
    const double a = std::floor(e[i - 1]), b = std::floor(e[i]);
    if (std::isfinite(a) && std::isfinite(b) && b > a) want.push_back(static_cast<double>(i + 1));
  }
  CHECK(at == want);
  CHECK(at.size() >= 10);
  for (int i = 1000; i < 2000; ++i) e.push_back(i / 97.0);  // 20 epochs: too many lines to draw
  CHECK(lines_of(e).empty());
}
