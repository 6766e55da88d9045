// Closed forms against values worked out by hand from each library's published formula.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <variant>
#include <vector>

#include "trainscope/schedule/closed_forms.hpp"

using namespace trainscope;
using doctest::Approx;

TEST_CASE("constant and warmup-constant: HF constant_with_warmup, PyTorch LinearLR, DeepSpeed WarmupLR") {
  CHECK(constant_schedule{0.1}.lr(12345) == 0.1);
  // HF: t / W during warmup.
  warmup_constant_schedule hf{1e-3, {10, warmup_kind::linear, 0}};
  CHECK(hf.lr(0) == 0.0);
  CHECK(hf.lr(5) == Approx(5e-4));
  CHECK(hf.lr(10) == Approx(1e-3));
  CHECK(hf.lr(1e6) == Approx(1e-3));
  // PyTorch LinearLR(start_factor=1/3, total_iters=5) on lr 0.1: factor 1/3 + (2/3) t / 5.
  warmup_constant_schedule lin{0.1, {5, warmup_kind::linear, 1.0 / 3}};
  CHECK(lin.lr(0) == Approx(0.1 / 3));
  CHECK(lin.lr(3) == Approx(0.1 * (1.0 / 3 + 2.0 / 3 * 3 / 5)));
  CHECK(lin.lr(5) == Approx(0.1));
  // DeepSpeed WarmupLR(0, 1e-3, 1000), log: ln(t + 1) / ln(1000); at t = 9 that is ln 10 / ln 1000 = 1/3.
  warmup_constant_schedule ds{1e-3, {1000, warmup_kind::log, 0}};
  CHECK(ds.lr(0) == 0.0);
  CHECK(ds.lr(9) == Approx(1e-3 / 3));
  CHECK(ds.lr(999) == Approx(1e-3));
}

TEST_CASE("warmup_linear: HF get_linear_schedule_with_warmup and DeepSpeed WarmupDecayLR") {
  warmup_linear_schedule hf{1e-3, 0, {10, warmup_kind::linear, 0}, 110};
  CHECK(hf.lr(5) == Approx(5e-4));
  CHECK(hf.lr(10) == Approx(1e-3));
  CHECK(hf.lr(60) == Approx(5e-4));  // (110 - 60) / (110 - 10) = 1/2
  CHECK(hf.lr(110) == 0.0);
  CHECK(hf.lr(200) == 0.0);  // max(0, ...)
  // WarmupDecayLR(total 1000, warmup 100, max 1e-3, log warmup): gamma = (1000 - 550) / 900 = 1/2.
  warmup_linear_schedule ds{1e-3, 0, {100, warmup_kind::log, 0}, 1000};
  CHECK(ds.lr(550) == Approx(5e-4));
  CHECK(family_name(ds) == "warmup_log_linear");
  CHECK(family_name(hf) == "warmup_linear");
}

TEST_CASE("warmup_cosine: HF/PyTorch, nanoGPT clamp, DeepSpeed WarmupCosineLR ending at T-1") {
  warmup_cosine_schedule hf;
  hf.peak_lr = 1;
  hf.warmup.steps = 10;
  hf.total_steps = 110;
  CHECK(hf.lr(60) == Approx(0.5));                                     // p = 1/2
  CHECK(hf.lr(35) == Approx(0.5 * (1 + std::cos(3.14159265358979 / 4))));  // p = 1/4: 0.853553...
  CHECK(hf.lr(35) == Approx(0.8535533906));
  CHECK(hf.lr(210) == Approx(1.0));  // CosineAnnealingLR's closed form is periodic: p = 2
  CHECK(family_name(hf) == "warmup_cosine");

  // nanoGPT get_lr: learning_rate 6e-4, warmup 2000, lr_decay_iters 600000, min_lr 6e-5.
  warmup_cosine_schedule nano;
  nano.peak_lr = 6e-4;
  nano.min_lr = 6e-5;
  nano.warmup.steps = 2000;
  nano.total_steps = 600000;
  nano.clamp_after_end = true;
  CHECK(nano.lr(1000) == Approx(3e-4));
  CHECK(nano.lr(301000) == Approx(6e-5 + 0.5 * 5.4e-4));  // ratio 299000 / 598000 = 1/2
  CHECK(nano.lr(700000) == Approx(6e-5));

  // DeepSpeed WarmupCosineLR (the sample log): warmup 500 log, total 11763, cos_min_ratio 0, lr 3e-4.
  warmup_cosine_schedule ds;
  ds.peak_lr = 3e-4;
  ds.warmup = {500, warmup_kind::log, 0};
  ds.total_steps = 11763;
  ds.end_offset = 1;
  CHECK(ds.lr(0) == 0.0);
  CHECK(ds.lr(99) == Approx(2.223070278795513e-4).epsilon(1e-12));   // 3e-4 ln 100 / ln 500
  CHECK(ds.lr(499) == Approx(3e-4).epsilon(1e-12));
  CHECK(ds.lr(6131) == Approx(1.499790802230085e-4).epsilon(1e-12));  // real step 5632 of 11263
  CHECK(ds.lr(11762) == Approx(0.0).epsilon(1e-12));                  // reaches the floor at T - 1
  CHECK(family_name(ds) == "warmup_log_cosine");
}

TEST_CASE("warmup_polynomial and inverse_sqrt (transformers optimization.py)") {
  warmup_polynomial_schedule p{1e-3, 1e-7, {}, 100, 2};
  CHECK(p.lr(0) == Approx(1e-3));
  CHECK(p.lr(50) == Approx(2.50075e-4));  // (1e-3 - 1e-7) (1/2)^2 + 1e-7
  CHECK(p.lr(150) == Approx(1e-7));
  inverse_sqrt_schedule is{1, {100, warmup_kind::linear, 0}, 100};
  CHECK(is.lr(50) == Approx(0.5));
  CHECK(is.lr(400) == Approx(0.5));  // 1 / sqrt((400 + 0) / 100)
  inverse_sqrt_schedule is2{1, {100, warmup_kind::linear, 0}, 200};
  CHECK(is2.lr(400) == Approx(1 / std::sqrt(2.5)));  // shift 100: (400 + 100) / 200
}

TEST_CASE("step, multistep, exponential (PyTorch)") {
  step_schedule st{0.1, {}, 30, 0.1};
  CHECK(st.lr(29) == Approx(0.1));
  CHECK(st.lr(30) == Approx(0.01));
  CHECK(st.lr(65) == Approx(0.001));
  multistep_schedule ms{0.1, {}, {30, 80}, 0.1};
  CHECK(ms.lr(29) == Approx(0.1));
  CHECK(ms.lr(79) == Approx(0.01));
  CHECK(ms.lr(80) == Approx(0.001));
  exponential_schedule ex{0.1, {}, 0.9};
  CHECK(ex.lr(3) == Approx(0.0729));
}

TEST_CASE("cosine_restarts: CosineAnnealingWarmRestarts(T_0=10, T_mult=2)") {
  cosine_restarts_schedule r{1, 0, {}, 10, 2};
  CHECK(r.lr(5) == Approx(0.5));
  CHECK(r.lr(10) == Approx(1.0));  // restart
  CHECK(r.lr(15) == Approx(0.8535533906));  // T_cur 5 of 20
  CHECK(r.lr(20) == Approx(0.5));
  CHECK(r.lr(30) == Approx(1.0));  // third cycle starts at 10 + 20
  cosine_restarts_schedule flat{1, 0.1, {}, 10, 1};
  CHECK(flat.lr(25) == Approx(0.55));
}

TEST_CASE("one_cycle: PyTorch OneCycleLR (two and three phases) and DeepSpeed OneCycle") {
  // max 0.1, total 100, pct 0.3, div 25, final_div 1e4: initial 0.004, min 4e-7; phases end at 29 and 99.
  auto oc = one_cycle_schedule::pytorch(0.1, 100, 0.3);
  CHECK(oc.lr(0) == Approx(0.004));
  CHECK(oc.lr(14.5) == Approx(0.052));  // cos midpoint of 0.004 -> 0.1
  CHECK(oc.lr(29) == Approx(0.1));
  CHECK(oc.lr(64) == Approx(0.0500002));  // midpoint of 0.1 -> 4e-7
  CHECK(oc.lr(46.5) == Approx(0.08535539763797113));
  CHECK(oc.lr(99) == Approx(4e-7));
  auto lin = one_cycle_schedule::pytorch(0.1, 100, 0.3, anneal_shape::linear);
  CHECK(lin.lr(46.5) == Approx(0.1 + (4e-7 - 0.1) * 0.25));
  auto three = one_cycle_schedule::pytorch(0.1, 100, 0.3, anneal_shape::cosine, 25, 1e4, true);
  CHECK(three.lr(43.5) == Approx(0.052));  // second phase 29 -> 58 back to initial
  CHECK(three.lr(58) == Approx(0.004));
  CHECK(three.lr(99) == Approx(4e-7));
  // DeepSpeed: cycle 0.001 -> 0.01 over 100 up, 100 down, then 0.001 / (1 + 0.5 (t - 200) / 10).
  auto ds = one_cycle_schedule::deepspeed(0.001, 0.01, 100, 100, 0.5, 10);
  CHECK(ds.lr(50) == Approx(0.0055));
  CHECK(ds.lr(150) == Approx(0.0055));
  CHECK(ds.lr(200) == Approx(0.001));
  CHECK(ds.lr(220) == Approx(0.0005));
}

TEST_CASE("cyclic: PyTorch CyclicLR in its three modes") {
  cyclic_schedule tri{0.001, 0.006, 2000, 2000, cyclic_mode::triangular, 1};
  CHECK(tri.lr(1000) == Approx(0.0035));
  CHECK(tri.lr(2000) == Approx(0.006));
  CHECK(tri.lr(3000) == Approx(0.0035));
  cyclic_schedule tri2{0.001, 0.006, 2000, 2000, cyclic_mode::triangular2, 1};
  CHECK(tri2.lr(5000) == Approx(0.00225));  // cycle 2: scale 1/2, amplitude 1/2
  cyclic_schedule ex{0.001, 0.006, 2000, 2000, cyclic_mode::exp_range, 0.9999};
  CHECK(ex.lr(1000) == Approx(0.0032620822338963905));
}

TEST_CASE("wsd: HF get_wsd_schedule, warmup from min_lr_ratio and the decay shapes") {
  wsd_schedule w{1, 0.1, 10, 80, 10};
  CHECK(w.lr(0) == Approx(0.1));
  CHECK(w.lr(5) == Approx(0.55));
  CHECK(w.lr(50) == Approx(1.0));
  CHECK(w.lr(95) == Approx(0.55));  // cosine at p = 1/2
  w.decay_shape = anneal_shape::one_minus_sqrt;
  CHECK(w.lr(95) == Approx(0.36360389693210715));
  w.decay_shape = anneal_shape::linear;
  CHECK(w.lr(95) == Approx(0.55));
  w.decay_shape = anneal_shape::square;
  CHECK(w.lr(95) == Approx(0.775));
  CHECK(w.lr(200) == Approx(0.1));
  CHECK(w.total_steps() == 100);
  w.warmup_from_min = false;  // older HF / llm.c: the warmup starts at 0
  CHECK(w.lr(5) == Approx(0.5));
}

TEST_CASE("schedule_model variant evaluates and names every family") {
  schedule_model m = one_cycle_schedule::pytorch(0.1, 100, 0.3);
  CHECK(lr_at(m, 29) == Approx(0.1));
  CHECK(family_name(m) == "one_cycle");
  CHECK(family_name(schedule_model{wsd_schedule{}}) == "wsd");
  CHECK(family_name(schedule_model{warmup_constant_schedule{1, {10, warmup_kind::log, 0}}}) == "warmup_log_constant");
  CHECK(family_name(schedule_model{warmup_constant_schedule{1, {10, warmup_kind::linear, 0}}}) ==
        "linear_warmup_constant");
}

namespace {
/// 0.5 (1 + cos(pi p)) in long double, with the argument folded exactly first (as sin^2 of an angle at most
/// pi/4 from the nearer end, so the reference itself does not cancel near the floor).
long double half_cosine_reference(double p) {
  double q = std::abs(p);
  if (q >= 2) q = std::fmod(q, 2.0);
  if (q > 1) q = 2 - q;
  const long double pi = 3.141592653589793238462643383279502884L;
  if (q <= 0.5) {
    const long double s = std::sin(pi * static_cast<long double>(q) / 2);
    return 1 - s * s;
  }
  const long double s = std::sin(pi * static_cast<long double>(1.0 - q) / 2);
  return s * s;
}
}  // namespace

TEST_CASE("half_cosine_poly: within 4e-16 of the half-cosine, and within 1e-15 of it relative to the value") {
  double worst_abs = 0, worst_rel = 0, worst_std_rel_near_floor = 0;
  int checked = 0;
  for (int i = 0; i <= 200000; ++i) {
    // the whole folded range, beyond one period either way, and points ever closer to the floor at p = 1
    double p = -3.0 + 7.0 * i / 200000.0;
    if (i % 5 == 0) p = 1.0 - std::ldexp(1.0, -(1 + i % 50));
    const long double truth = half_cosine_reference(p);
    if (truth <= 0) continue;
    const double v = detail::half_cosine_poly(p);
    worst_abs = std::max(worst_abs, static_cast<double>(std::abs(v - truth)));
    worst_rel = std::max(worst_rel, static_cast<double>(std::abs(v - truth) / truth));
    if (truth < 1e-6L)
      worst_std_rel_near_floor =
          std::max(worst_std_rel_near_floor, static_cast<double>(std::abs(detail::half_cosine(p) - truth) / truth));
    ++checked;
  }
  CHECK(checked > 190000);
  CHECK(worst_abs <= 4e-16);
  CHECK(worst_rel <= 1e-15);
  // where 1 + std::cos cancels, the polynomial keeps its relative accuracy and the std::cos form does not
  CHECK(worst_std_rel_near_floor > 1e-6);
  CHECK(detail::half_cosine_poly(0.0) == 1.0);
  CHECK(detail::half_cosine_poly(1.0) == 0.0);
  CHECK(detail::half_cosine_poly(2.0) == 1.0);
  CHECK(detail::half_cosine_poly(0.5) == doctest::Approx(0.5).epsilon(1e-15));
}

TEST_CASE("lr_full_pass: every family's full-pass lr is its lr to a few units in the last place") {
  warmup_cosine_schedule wc;
  wc.peak_lr = 3e-4, wc.min_lr = 3e-5, wc.warmup = {100, warmup_kind::linear, 0}, wc.total_steps = 5000;
  wc.end_offset = 1;
  cosine_restarts_schedule cr{1e-3, 1e-5, {20, warmup_kind::linear, 0}, 300, 2};
  one_cycle_schedule oc = one_cycle_schedule::pytorch(0.1, 4000, 0.25, anneal_shape::cosine, 25, 1e4, true);
  wsd_schedule ws;
  ws.peak_lr = 1e-3, ws.min_lr = 1e-5, ws.warmup_steps = 100, ws.stable_steps = 1000, ws.decay_steps = 3000;
  const std::vector<schedule_model> models{wc, cr, oc, ws, warmup_linear_schedule{1e-3, 0, {100, warmup_kind::linear, 0}, 3000}};
  for (const auto& m : models) {
    double worst = 0, peak = 0;
    std::visit(
        [&](const auto& s) {
          for (int t = 0; t <= 6000; ++t) {
            const double exact = s.lr(t), full = detail::lr_full_pass(s, t);
            peak = std::max(peak, exact);
            worst = std::max(worst, std::abs(full - exact));
          }
        },
        m);
    CAPTURE(family_name(m));
    CHECK(peak > 0);
    CHECK(worst <= 1e-15 * peak);
  }
}

TEST_CASE("lr_full_pass_block: the block's values are lr_full_pass's, bit for bit") {
  // Every convention of the cosine family (the one with a two-at-a-time path), with and without a warmup, and
  // counters that start before 0, cross the warmup's end, the half-way point and the end, and run past it.
  std::vector<warmup_cosine_schedule> forms;
  for (double warmup : {0.0, 1.0, 7.0, 100.0})
    for (double end_offset : {0.0, 1.0})
      for (bool clamp : {false, true}) {
        warmup_cosine_schedule s;
        s.peak_lr = 6e-4, s.min_lr = clamp ? 6e-5 : 0.0, s.warmup = {warmup, warmup_kind::linear, 0};
        s.total_steps = warmup + 1000, s.end_offset = end_offset, s.clamp_after_end = clamp;
        forms.push_back(s);
      }
  warmup_cosine_schedule one_step;  // a decay shorter than max(1, T - W)
  one_step.peak_lr = 1, one_step.total_steps = 0.5;
  forms.push_back(one_step);
  int blocks = 0, differing = 0;
  for (const auto& s : forms)
    for (double start : {-5.0, 0.0, 3.5, 480.0, 995.0, 1e6})
      for (std::size_t m : {std::size_t{0}, std::size_t{1}, std::size_t{2}, std::size_t{7}, std::size_t{1024}}) {
        std::vector<double> t(m), block(m);
        for (std::size_t k = 0; k < m; ++k) t[k] = start + 1.25 * static_cast<double>(k);
        detail::lr_full_pass_block(s, t.data(), m, block.data());
        for (std::size_t k = 0; k < m; ++k) differing += block[k] == detail::lr_full_pass(s, t[k]) ? 0 : 1;
        ++blocks;
      }
  // ... and a family without one, through the same entry point
  const warmup_linear_schedule lin{1e-3, 1e-5, {100, warmup_kind::linear, 0}, 3000};
  std::vector<double> t(999), block(999);
  for (std::size_t k = 0; k < t.size(); ++k) t[k] = 4.0 * static_cast<double>(k) - 50;
  detail::lr_full_pass_block(lin, t.data(), t.size(), block.data());
  for (std::size_t k = 0; k < t.size(); ++k) differing += block[k] == detail::lr_full_pass(lin, t[k]) ? 0 : 1;
  CHECK(blocks == 17 * 6 * 5);
  CHECK(differing == 0);
}
