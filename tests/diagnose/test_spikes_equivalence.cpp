#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "trainscope/diagnose/divergence.hpp"
#include "trainscope/diagnose/spikes.hpp"
#include "trainscope/stats/robust.hpp"

using namespace trainscope;

namespace {
// find_spikes by its definition: copy the window of accepted points, take median() and mad_sigma() at
// every point. The fast version must give the same spikes, field for field.
std::vector<spike> spikes_by_definition(const std::vector<std::int64_t>& steps, const std::vector<double>& values,
                                        const spike_options& opts) {
  std::vector<spike> out;
  std::vector<double> window;
  const std::size_t w = std::max<std::size_t>(opts.window, 1);
  for (std::size_t i = 0; i < values.size();) {
    const double x = values[i];
    if (!std::isfinite(x)) {
      ++i;
      continue;
    }
    if (window.size() >= opts.min_history) {
      const double med = median(window), scale = mad_sigma(window);
      const double threshold = std::max(med + opts.z * scale, med + opts.min_relative * std::abs(med));
      if (x > threshold && scale >= 0) {
        spike s{i, steps[i], x, med, scale > 0 ? (x - med) / scale : INFINITY, 1, false};
        const double back = med + 0.5 * (threshold - med);
        std::size_t j = i + 1, seen = 0;
        for (; j < values.size() && seen < opts.recovery; ++j, ++seen) {
          if (!std::isfinite(values[j])) continue;
          if (values[j] <= back) {
            s.recovered = true;
            break;
          }
          s.value = std::max(s.value, values[j]);
        }
        s.length = j - i;
        out.push_back(s);
        if (!s.recovered) break;
        i = j;
        continue;
      }
    }
    window.push_back(x);
    if (window.size() > w) window.erase(window.begin());
    ++i;
  }
  return out;
}
}  // namespace

TEST_CASE("find_spikes: the window-minimum shortcut and the lazy sorted window change nothing") {
  struct curve {
    double noise;             // relative noise of the loss
    double spike_every;       // a spike every this many points (factor 1.5 to 4)
    double nan_every;
  };
  int compared = 0, with_spikes = 0;
  for (const curve c : {curve{0.01, 997, 0}, curve{0.2, 300, 0}, curve{0.6, 101, 0}, curve{0.05, 211, 53}}) {
    for (const double min_relative : {0.1, 0.0, 1.0, -0.5}) {
      for (const std::size_t window : {5u, 50u}) {
        std::mt19937_64 rng(static_cast<std::uint64_t>(window * 1000 + c.spike_every));
        std::normal_distribution<double> noise(0.0, 1.0);
        std::uniform_real_distribution<double> factor(1.5, 4.0);
        std::vector<std::int64_t> steps;
        std::vector<double> loss;
        for (int i = 0; i < 6000; ++i) {
          double y = (2.0 + 3.0 * std::exp(-i / 1500.0)) * (1.0 + c.noise * noise(rng));
          if (std::fmod(i, c.spike_every) == 17) y *= factor(rng);
          if (c.nan_every > 0 && std::fmod(i, c.nan_every) == 5) y = (i / 53) % 3 == 1 ? INFINITY : std::nan("");
          if (c.noise > 0.5 && i % 7 == 0) y = -y;  // negative values: the shortcut must stand aside
          steps.push_back(i + 1);
          loss.push_back(y);
        }
        spike_options o;
        o.window = window;
        o.min_relative = min_relative;
        const auto fast = find_spikes(steps, loss, o);
        const auto slow = spikes_by_definition(steps, loss, o);
        REQUIRE(fast.size() == slow.size());
        for (std::size_t k = 0; k < fast.size(); ++k) {
          CHECK(fast[k].index == slow[k].index);
          CHECK(fast[k].value == slow[k].value);
          CHECK(fast[k].baseline == slow[k].baseline);
          CHECK((fast[k].z == slow[k].z || (std::isnan(fast[k].z) && std::isnan(slow[k].z))));
          CHECK(fast[k].length == slow[k].length);
          CHECK(fast[k].recovered == slow[k].recovered);
        }
        ++compared;
        with_spikes += !fast.empty();
      }
    }
  }
  CHECK(compared == 32);
  CHECK(with_spikes >= 16);  // the comparison is not vacuous
}

TEST_CASE("find_runaway: the window bound skips the smoothing only where no rise can exist") {
  std::mt19937_64 rng(3);
  std::normal_distribution<double> noise(0.0, 1.0);
  std::vector<double> healthy, diverging;
  for (int i = 0; i < 20000; ++i) {
    const double y = 2.0 + 3.0 * std::exp(-i / 3000.0);
    healthy.push_back(y * (1 + 0.05 * noise(rng)));
    // from point 15000 the loss climbs to 4x its level: a runaway that does not come back
    diverging.push_back(y * (1 + 0.05 * noise(rng)) * (i < 15000 ? 1.0 : 1.0 + (i - 15000) / 1000.0));
  }
  const std::size_t h = 25;  // find_runaway's window for 20000 points (n / 100, at most 25)
  CHECK(detail::runaway_impossible(healthy, h, 2.0));
  CHECK_FALSE(find_runaway(healthy).first);
  CHECK_FALSE(detail::runaway_impossible(diverging, h, 2.0));
  const auto r = find_runaway(diverging);
  REQUIRE(r.first);
  // smoothed level near 2.0 x (1 + (i - 15000) / 1000) reaches 2 x 2.0 at about i = 16000
  CHECK(*r.first > 15800);
  CHECK(*r.first < 16100);
  CHECK_FALSE(r.recovered);
  // a factor of 1 cannot be ruled out by bounds: the smoothing runs
  CHECK_FALSE(detail::runaway_impossible(healthy, h, 1.0));
}

TEST_CASE("runaway_impossible: the proof by blocks says yes only where the point-by-point proof does") {
  std::mt19937_64 rng(11);
  std::normal_distribution<double> noise(0.0, 1.0);
  int agreed = 0, impossible = 0, possible = 0;
  for (const double level_noise : {0.01, 0.1, 0.3})
    for (const double factor : {1.05, 1.3, 2.0, 4.0})
      for (const std::size_t h : {2u, 7u, 25u}) {
        std::vector<double> y;
        for (int i = 0; i < 3000; ++i) y.push_back((1.0 + 9.0 * std::exp(-i / 400.0)) * (1 + level_noise * noise(rng)));
        for (double& v : y) v = std::abs(v);
        const bool exact = detail::runaway_impossible_exact(y, h, factor);
        CHECK(detail::runaway_impossible(y, h, factor) == exact);
        ++agreed;
        (exact ? impossible : possible) += 1;
      }
  CHECK(agreed == 36);
  CHECK(impossible > 0);  // both answers occur: the comparison is not vacuous
  CHECK(possible > 0);
}
