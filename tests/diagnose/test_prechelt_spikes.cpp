#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "trainscope/diagnose/divergence.hpp"
#include "trainscope/diagnose/prechelt.hpp"
#include "trainscope/diagnose/spikes.hpp"

using namespace trainscope;

TEST_CASE("Prechelt GL: 100 (E_va / E_opt - 1), fires at the first value above alpha") {
  const std::vector<double> val{1.0, 0.8, 0.85, 0.9};
  const auto gl = prechelt_gl(val, 5.0);
  CHECK(gl.max_value == doctest::Approx(12.5));
  REQUIRE(gl.first_fired.has_value());
  CHECK(*gl.first_fired == 2);  // 0.85 / 0.8 = +6.25 %
  CHECK_FALSE(prechelt_gl(val, 20.0).first_fired.has_value());
}

TEST_CASE("Prechelt PQ: GL over training progress P_k at strip ends") {
  const std::vector<double> train{1.0, 0.9, 0.8, 0.7, 0.6};
  // P_5 = 1000 (4.0 / (5 * 0.6) - 1) = 333.3
  CHECK(prechelt_progress(train, 4, 5) == doctest::Approx(1000.0 / 3.0));
  const std::vector<double> val{0.7, 0.5, 0.55, 0.58, 0.6};  // GL at t=4: 20
  const auto pq = prechelt_pq(val, train, 0.05, 5);
  CHECK(pq.max_value == doctest::Approx(20.0 / (1000.0 / 3.0)));
  CHECK(pq.first_fired == 4);
  // flat training (no progress) with any generalization loss: PQ is unbounded
  const std::vector<double> flat(5, 0.5);
  CHECK(std::isinf(prechelt_pq(val, flat, 3.0, 5).max_value));
}

TEST_CASE("Prechelt UP: validation up in s successive strips") {
  const std::vector<double> val{1.0, 0.9, 0.95, 1.0, 0.98};
  const auto up = prechelt_up(val, 2, 1);
  CHECK(up.max_value == doctest::Approx(2.0));
  CHECK(up.first_fired == 3);
  CHECK_FALSE(prechelt_up(val, 3, 1).first_fired.has_value());
}

TEST_CASE("spikes: a single outlier is found with its step, baseline and recovery; a level shift is not transient") {
  std::vector<std::int64_t> steps;
  std::vector<double> y;
  std::mt19937_64 rng(8);
  std::normal_distribution<double> n01(0, 1);
  for (int i = 0; i < 300; ++i) {
    steps.push_back(10 * i);
    y.push_back(3.0 + 0.02 * n01(rng));
  }
  y[120] = 4.5;
  y[121] = 4.0;
  auto s = find_spikes(steps, y);
  REQUIRE(s.size() == 1);
  CHECK(s[0].step == 1200);
  CHECK(s[0].length == 2);
  CHECK(s[0].recovered);
  CHECK(s[0].baseline == doctest::Approx(3.0).epsilon(0.01));
  CHECK(s[0].value == doctest::Approx(4.5));
  for (std::size_t i = 200; i < y.size(); ++i) y[i] += 2.0;  // a lasting jump
  s = find_spikes(steps, y);
  REQUIRE(s.size() == 2);
  CHECK(s[1].step == 2000);
  CHECK_FALSE(s[1].recovered);
}

TEST_CASE("divergence helpers: persistent NaN, runaway vs recovery, and a near-zero loss wobbling is no runaway") {
  std::vector<double> y(100, 1.0);
  y[40] = std::nan("");
  auto nf = find_non_finite(y);
  CHECK(nf.first == 40);
  CHECK_FALSE(nf.persistent);
  for (std::size_t i = 60; i < y.size(); ++i) y[i] = INFINITY;
  nf = find_non_finite(y);
  CHECK(nf.persistent);

  std::vector<double> run(200);
  for (std::size_t i = 0; i < run.size(); ++i) run[i] = i < 120 ? 3.0 - 0.01 * static_cast<double>(i) : 1.8 * std::pow(1.02, static_cast<double>(i - 120));
  auto r = find_runaway(run);
  REQUIRE(r.first.has_value());
  CHECK_FALSE(r.recovered);
  CHECK(*r.first >= 150);  // 1.02^k >= 2 from k = 35
  CHECK(*r.first <= 158);

  std::vector<double> tiny(200);
  for (std::size_t i = 0; i < tiny.size(); ++i) tiny[i] = i < 100 ? 2.0 * std::exp(-0.05 * static_cast<double>(i)) : 0.01 + 0.03 * static_cast<double>(i % 3);
  CHECK_FALSE(find_runaway(tiny).first.has_value());
}
