#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "trainscope/stats.hpp"
#include "trainscope/stats/fit/power_law_fit.hpp"

using namespace trainscope;

TEST_CASE("ema: TensorBoard debiasing makes the first value its own average") {
  ema e(0.9);
  CHECK(e(5.0) == doctest::Approx(5.0));
  // second value: (0.9*0.1*5 + 0.1*3) / (1 - 0.81)
  CHECK(e(3.0) == doctest::Approx((0.09 * 5 + 0.1 * 3) / 0.19));
  CHECK(std::isnan(e(std::nan(""))));
  // a constant series stays constant at every point
  const auto s = ema_smooth(std::vector<double>(10, 2.5), 0.99);
  for (double v : s) CHECK(v == doctest::Approx(2.5));
}

TEST_CASE("time-weighted ema: uneven steps weigh like the same number of even steps") {
  time_weighted_ema even(0.5, 1.0), jump(0.5, 1.0);
  even(0, 0.0);
  even(1, 8.0);
  even(2, 8.0);  // past weight after 2 steps: 0.25
  jump(0, 0.0);
  CHECK(jump(2, 8.0) == doctest::Approx(even.value()));
  CHECK(even.value() == doctest::Approx(8.0 * 0.75 / 1.0));
}

TEST_CASE("centred windows: mean shrinks at the ends, median ignores one outlier") {
  const std::vector<double> v{1, 2, 3, 4, 100, 6, 7};
  const auto m = centered_mean(v, 1);
  CHECK(m[0] == doctest::Approx(1.5));
  CHECK(m[1] == doctest::Approx(2.0));
  const auto md = centered_median(v, 1);
  CHECK(md[4] == doctest::Approx(6.0));
  CHECK(md[3] == doctest::Approx(4.0));
}

TEST_CASE("noise: a steep linear trend is not noise, Gaussian noise is measured") {
  std::vector<std::int64_t> steps;
  std::vector<double> line, noisy;
  std::mt19937_64 rng(7);
  std::normal_distribution<double> n01(0, 1);
  for (int i = 0; i < 2000; ++i) {
    steps.push_back(i * 10);
    line.push_back(10.0 - 0.004 * i);
    noisy.push_back(line.back() + 0.05 * n01(rng));
  }
  CHECK(estimate_noise(steps, line).sigma == doctest::Approx(0.0).epsilon(1e-9));
  CHECK(estimate_noise(steps, noisy).sigma == doctest::Approx(0.05).epsilon(0.05));
  // the MAD of first differences would report the slope as noise; ours does not
  CHECK(estimate_noise(steps, line).sigma < 1e-9);
}

TEST_CASE("noise: uneven spacing is normalised") {
  std::vector<std::int64_t> steps;
  std::vector<double> y;
  std::mt19937_64 rng(3);
  std::normal_distribution<double> n01(0, 1);
  std::int64_t s = 0;
  for (int i = 0; i < 4000; ++i) {
    s += (i % 3 == 0) ? 1 : 7;
    steps.push_back(s);
    y.push_back(2.0 + 1e-4 * static_cast<double>(s) + 0.1 * n01(rng));
  }
  CHECK(estimate_noise(steps, y).sigma == doctest::Approx(0.1).epsilon(0.05));
}

TEST_CASE("trend: exact slope and probability of decrease") {
  running_gradient g;
  for (int i = 0; i < 10; ++i) g.add(static_cast<double>(i), 5.0 - 0.5 * i);
  CHECK(g.slope() == doctest::Approx(-0.5));
  CHECK(g.probability_decreasing(0.1) > 0.999);
  // slope standard error with known sigma: sigma / sqrt(Sxx), Sxx = sum (i - 4.5)^2 = 82.5
  CHECK(g.standard_error(1.0) == doctest::Approx(1.0 / std::sqrt(82.5)));
  running_gradient flat;
  for (int i = 0; i < 10; ++i) flat.add(i % 2 ? 1.0 : 1.2);
  CHECK(flat.probability_decreasing() > 0.1);
  CHECK(flat.probability_decreasing() < 0.9);
}

TEST_CASE("trend: merging two halves equals one fit over all points") {
  running_gradient all, a, b;
  for (int i = 0; i < 30; ++i) {
    const double x = 100.0 * i, y = 3.0 - 0.001 * x + 0.05 * std::sin(i * 1.7);
    all(x, y);
    (i < 12 ? a : b)(x, y);
  }
  a += b;
  CHECK(a.size() == 30);
  CHECK(a.slope() == doctest::Approx(all.slope()).epsilon(1e-12));
  CHECK(a.residual_sigma() == doctest::Approx(all.residual_sigma()).epsilon(1e-9));
  CHECK(a.value_at(1234.0) == doctest::Approx(all.value_at(1234.0)).epsilon(1e-12));
}

TEST_CASE("trend: steps without decrease find where a plateau starts") {
  std::vector<std::int64_t> steps;
  std::vector<double> y;
  std::mt19937_64 rng(11);
  std::normal_distribution<double> n01(0, 1);
  for (int i = 0; i < 60; ++i) {
    steps.push_back(i * 100);
    y.push_back((i < 30 ? 3.0 - 0.05 * i : 1.5) + 0.01 * n01(rng));
  }
  const auto flat = count_steps_without_decrease(steps, y, 0.95, 0.01);
  CHECK(flat >= 28);
  CHECK(flat <= 33);
}

TEST_CASE("student t and normal quantiles match tables") {
  CHECK(normal_quantile(0.975) == doctest::Approx(1.959964).epsilon(1e-6));
  CHECK(student_t_quantile(0.975, 1) == doctest::Approx(12.706).epsilon(1e-3));
  CHECK(student_t_quantile(0.975, 2) == doctest::Approx(4.303).epsilon(1e-3));
  CHECK(student_t_quantile(0.95, 5) == doctest::Approx(2.015).epsilon(2e-3));
  CHECK(student_t_quantile(0.975, 10) == doctest::Approx(2.228).epsilon(1e-3));
}

namespace {
struct curve {
  std::vector<double> t, y;
};
curve power_law_curve(double e, double a, double alpha, double noise, unsigned seed, int n = 40) {
  curve c;
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> n01(0, 1);
  for (int i = 1; i <= n; ++i) {
    const double t = 250.0 * i;
    c.t.push_back(t);
    c.y.push_back(e + a * std::pow(t, -alpha) + noise * n01(rng));
  }
  return c;
}
}  // namespace

TEST_CASE("power law: noise-free data gives the parameters back") {
  const auto c = power_law_curve(1.8, 40.0, 0.45, 0.0, 1);
  const auto f = fit_power_law(c.t, c.y);
  REQUIRE(f.ok);
  CHECK(f.e == doctest::Approx(1.8).epsilon(1e-4));
  CHECK(f.alpha == doctest::Approx(0.45).epsilon(1e-4));
  CHECK(f(20000.0) == doctest::Approx(1.8 + 40.0 * std::pow(20000.0, -0.45)).epsilon(1e-6));
}

TEST_CASE("power law: the 90% forecast interval at 2x covers the truth about 90% of the time") {
  const double truth = 2.0 + 30.0 * std::pow(20000.0, -0.5);
  int covered = 0, runs = 200;
  for (int s = 0; s < runs; ++s) {
    const auto c = power_law_curve(2.0, 30.0, 0.5, 0.01, 100 + static_cast<unsigned>(s));
    const auto f = fit_power_law(c.t, c.y).forecast(20000.0, 0.9);
    REQUIRE(f.ok());
    covered += (f.low <= truth && truth <= f.high);
  }
  CHECK(covered >= 160);  // nominal 180; delta-method intervals are a little optimistic
  CHECK(covered <= 198);
}

TEST_CASE("power law with Eigen: Levenberg-Marquardt agrees with variable projection and weights work") {
  const auto c = power_law_curve(1.5, 20.0, 0.6, 0.005, 42);
  const auto vp = fit_power_law(c.t, c.y);
  const auto lm = fit_power_law_lm(c.t, c.y);
  REQUIRE(vp.ok);
  REQUIRE(lm.ok);
  CHECK(lm.e == doctest::Approx(vp.e).epsilon(1e-4));
  CHECK(lm.alpha == doctest::Approx(vp.alpha).epsilon(1e-3));
  CHECK(lm.covariance[0] == doctest::Approx(vp.covariance[0]).epsilon(0.02));
  // a weighted fit with known sigma reports the parameter uncertainty that sigma implies
  std::vector<double> sig(c.t.size(), 0.005);
  const auto w = fit_power_law_lm(c.t, c.y, sig);
  REQUIRE(w.ok);
  CHECK(std::sqrt(w.covariance[0]) == doctest::Approx(std::sqrt(vp.covariance[0])).epsilon(0.3));
}

TEST_CASE("power law: the profile-likelihood interval covers the truth at least at its nominal 90%") {
  const double truth = 2.0 + 30.0 * std::pow(20000.0, -0.5);
  int covered = 0, runs = 200;
  for (int s = 0; s < runs; ++s) {
    auto c = power_law_curve(2.0, 30.0, 0.5, 0.02, 500 + static_cast<unsigned>(s));
    // only the second half, where alpha is weakly determined and the delta method is optimistic
    c.t.erase(c.t.begin(), c.t.begin() + 20);
    c.y.erase(c.y.begin(), c.y.begin() + 20);
    const auto f = fit_power_law(c.t, c.y);
    const auto prof = forecast_power_law_profile(c.t, c.y, f, 20000.0, 0.9);
    REQUIRE(prof.ok());
    CHECK(prof.low <= prof.value);
    CHECK(prof.value <= prof.high);
    covered += (prof.low <= truth && truth <= prof.high);
  }
  MESSAGE("profile interval coverage: ", covered, "/", runs);
  CHECK(covered >= 180);
}
