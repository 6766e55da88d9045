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
