// compare_schedule against its definition: one closed-form evaluation per sample and offset, the scale fitted
// first. The closed form of a pass over every sample is `detail::lr_full_pass` (the polynomial half-cosine for
// cosine families, within a few units in the last place of lr_at; test_closed_forms.cpp checks that bound).
#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <variant>
#include <vector>

#include "trainscope/schedule/from_config.hpp"

using namespace trainscope;

namespace {
double full_pass_lr(const schedule_model& m, double t) {
  return std::visit([t](const auto& s) { return detail::lr_full_pass(s, t); }, m);
}

schedule_agreement by_definition(const configured_schedule& cs, const std::vector<std::int64_t>& steps,
                                 const std::vector<double>& lr, double tolerance = 0.01, double floor_ratio = 0.01) {
  double peak = 0;
  for (double v : lr)
    if (std::isfinite(v)) peak = std::max(peak, v);
  const double floor = std::max(floor_ratio * peak, 1e-300);
  const std::array<std::int64_t, 3> offsets{0, 1, -1};
  schedule_agreement best;
  best.max_relative_error = std::numeric_limits<double>::infinity();
  for (std::int64_t off : offsets) {
    double scale = 1;
    if (!cs.peak_known) {
      double num = 0, den = 0;
      for (std::size_t i = 0; i < lr.size(); ++i) {
        if (!std::isfinite(lr[i])) continue;
        const double m = full_pass_lr(cs.model, static_cast<double>(steps[i] - off));
        const double w = 1.0 / (std::max(lr[i], floor) * std::max(lr[i], floor));
        num += w * m * lr[i], den += w * m * m;
      }
      scale = den > 0 ? num / den : 1;
    }
    double mx = 0, s2 = 0;
    std::size_t n = 0;
    for (std::size_t i = 0; i < lr.size(); ++i) {
      if (!std::isfinite(lr[i])) continue;
      const double e = std::abs(scale * full_pass_lr(cs.model, static_cast<double>(steps[i] - off)) - lr[i]) / std::max(lr[i], floor);
      mx = std::max(mx, e), s2 += e * e, ++n;
    }
    if (mx < best.max_relative_error) {
      best.max_relative_error = mx;
      best.rms_relative_error = n ? std::sqrt(s2 / static_cast<double>(n)) : 0;
      best.step_offset = off;
      best.scale = scale;
    }
  }
  best.agrees = best.max_relative_error <= tolerance;
  return best;
}
}  // namespace

TEST_CASE("compare_schedule: the values shared between samples and passes are the definition's, bit for bit") {
  warmup_cosine_schedule cos;
  cos.peak_lr = 1, cos.warmup = {50, warmup_kind::linear, 0}, cos.total_steps = 2000;
  int compared = 0;
  for (const bool peak_known : {false, true})
    for (const std::int64_t shift : {0, 1, -1}) {
      std::vector<std::int64_t> steps;
      std::vector<double> lr;
      for (std::int64_t s = 1; s <= 1800; s += (s > 700 && s < 900) ? 7 : 1) {  // every step, then every 7th, then every step
        steps.push_back(s);
        double v = 3e-4 * cos.lr(static_cast<double>(s - shift)) * (1 + 1e-7 * static_cast<double>(s % 5));
        if (s % 97 == 0) v = std::nan("");  // a NaN breaks the runs of consecutive steps
        lr.push_back(v);
      }
      configured_schedule cs{cos, peak_known, "test"};
      const auto fast = compare_schedule(cs, steps, lr);
      const auto slow = by_definition(cs, steps, lr);
      CHECK(fast.max_relative_error == slow.max_relative_error);
      CHECK(fast.rms_relative_error == slow.rms_relative_error);
      CHECK(fast.step_offset == slow.step_offset);
      CHECK(fast.scale == slow.scale);
      CHECK(fast.agrees == slow.agrees);
      if (!peak_known) CHECK(fast.step_offset == shift);  // the fitted scale finds the offset the log was made with
      ++compared;
    }
  CHECK(compared == 6);
}

TEST_CASE("the peak the config check scales by is std::max over the finite values, in order") {
  const double inf = std::numeric_limits<double>::infinity(), nan = std::nan("");
  std::vector<double> values;
  for (int i = 0; i < 37; ++i) {
    values.push_back(1e-3 * std::sin(0.37 * i) + (i % 7 == 3 ? 5e-3 : 0.0));
    if (i % 5 == 1) values.push_back(i % 2 ? inf : nan);
    if (i % 9 == 2) values.push_back(-inf);
  }
  for (std::size_t n = 0; n <= values.size(); ++n) {  // every length: partial groups of four at the end
    const std::span<const double> head(values.data(), n);
    double expected = 0;
    for (double v : head)
      if (std::isfinite(v)) expected = std::max(expected, v);
    CAPTURE(n);
    CHECK(detail::largest_finite(head) == expected);
  }
  CHECK(detail::largest_finite(std::vector<double>{-1.0, nan, -inf}) == 0.0);
  CHECK(detail::largest_finite(std::vector<double>{inf, 2.0, nan, 1.0, 3.0}) == 3.0);
}
