#include <doctest/doctest.h>

#include <cmath>
#include <cstddef>
#include <random>
#include <span>
#include <vector>

#include "trainscope/stats/robust.hpp"
#include "trainscope/stats/smoothing.hpp"

using namespace trainscope;

namespace {
// The direct definition the sliding versions must reproduce bit for bit: copy the window, take median().
std::vector<double> centered_median_by_copy(const std::vector<double>& v, std::size_t h) {
  std::vector<double> out(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    const std::size_t lo = i >= h ? i - h : 0, hi = std::min(v.size(), i + h + 1);
    out[i] = median(std::span<const double>(v).subspan(lo, hi - lo));
  }
  return out;
}
// Equal values, or both NaN. The sign of a zero median is left open: with -0.0 and 0.0 in one window,
// median() itself may pick either (they compare equal, nth_element does not order them).
bool same(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }
}  // namespace

TEST_CASE("sorted_window: median and MAD equal median() and mad_sigma() of the same values at every slide") {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> noise(0.0, 1.0);
  for (std::size_t w : {1u, 2u, 3u, 10u, 50u}) {
    std::vector<double> ring;
    detail::sorted_window sorted;
    std::size_t head = 0;
    for (int i = 0; i < 2000; ++i) {
      // ties (rounded values) and outliers on purpose: both stress the merge of the deviations
      double x = std::round(noise(rng) * 4) / 4 + (i % 97 == 0 ? 50.0 : 0.0);
      if (ring.size() < w) ring.push_back(x), sorted.insert(x);
      else sorted.replace(ring[head], x), ring[head] = x, head = (head + 1) % w;
      const double m = sorted.median();
      REQUIRE(same(m, median(ring)));
      REQUIRE(same(mad_to_sigma * sorted.median_abs_deviation(m), mad_sigma(ring)));
    }
  }
  detail::sorted_window empty;
  CHECK(std::isnan(empty.median()));
  CHECK(std::isnan(empty.median_abs_deviation(0.0)));
}

TEST_CASE("centered_median: the sliding window gives the copy-and-select result, NaN gaps and all") {
  std::mt19937_64 rng(11);
  std::normal_distribution<double> noise(0.0, 1.0);
  std::vector<double> v(3000);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = std::round(noise(rng) * 8) / 8;
  for (std::size_t i = 100; i < 130; ++i) v[i] = std::nan("");  // a gap longer than the window
  v[500] = INFINITY;
  v[501] = -0.0;
  for (std::size_t h : {0u, 1u, 2u, 7u, 25u}) {
    const auto fast = centered_median(v, h), slow = centered_median_by_copy(v, h);
    REQUIRE(fast.size() == slow.size());
    for (std::size_t i = 0; i < v.size(); ++i) {
      INFO("h = " << h << ", i = " << i << ": " << fast[i] << " vs " << slow[i]);
      REQUIRE(same(fast[i], slow[i]));
    }
  }
  CHECK(std::isnan(centered_median(v, 2)[115]));  // no finite value within 2 points
}
