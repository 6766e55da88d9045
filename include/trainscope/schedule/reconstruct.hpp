#pragma once
/**
 * Reconstructs a learning-rate schedule (family, parameters, logging convention) from logged (step, lr) samples.
 *
 * Method. Every family is linear in its lr levels (peak, floor, ...), so for given step-like parameters
 * (warmup, total steps, period, ...) the levels are a weighted least-squares problem solved in closed form
 * (non-negative). The step-like parameters are searched with Nelder–Mead from starting points read off the
 * curve (where it peaks, where it halves, where it jumps), on a shape-preserving subset of at most
 * `max_fit_points` samples; conventions (logged step = counter - 1, counter, counter + 1; library variants such
 * as DeepSpeed's cosine ending at T - 1 or nanoGPT's clamp) are enumerated (each screened on a few dozen samples,
 * the ones not far behind fitted on a coarse subset and, when still close, refined), integer parameters rounded,
 * and the best candidates checked against every sample.
 *
 * Choice of family. Each sample has a known noise floor from the log's own precision (float32, "%.6f", doubles);
 * residuals are divided by it (so they are relative errors, i.e. log-residuals to first order). The criterion is
 * BIC = chi2 / s^2 + n ln s^2 + k ln n with s^2 = max(chi2 / n, 1): the Gaussian likelihood when the noise is at
 * least the stored precision, penalising each of the k fitted parameters by ln n. The lowest BIC wins; families
 * are never tried in a preferred order.
 */
#include <algorithm>
#include <cstdio>
#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "trainscope/core/series.hpp"
#include "trainscope/result.hpp"
#include "trainscope/schedule/closed_forms.hpp"
#include "trainscope/schedule/detail/lr_samples.hpp"
#include "trainscope/schedule/detail/nelder_mead.hpp"

namespace trainscope::inline v1 {

/** One reported parameter; an empty value is JSON null (e.g. total_steps of a constant schedule). */
struct schedule_param {
  std::string name;
  std::optional<double> value;
};

/** A reconstructed schedule: the family, its parameters, the logging convention and how well it fits. */
struct schedule_fit {
  std::string family;                  ///< vocabulary of closed_forms.hpp (`family_name`)
  std::vector<schedule_param> params;  ///< peak_lr, warmup_steps, total_steps, min_lr, then the family's own
  std::string convention;              ///< how logged steps map to the scheduler counter, library variant, precision
  double max_relative_error = 0;       ///< max |fit - logged| / max(logged, 1e-3 peak, 100 quantum) over the samples
  double rms_relative_error = 0;       ///< same, root mean square
  double information_criterion = 0;    ///< BIC (see file comment), on every sample
  std::optional<double> total_steps_uncertainty;  ///< +- steps, when the log stops before the decay ends
  std::string certainty_note;                     ///< one sentence for the report
  std::vector<std::pair<std::string, double>> alternatives;  ///< runner-up families and their BIC, best first (those
                                                             ///< checked to the end: not behind the best two early)
  schedule_model model;                ///< the closed form, in scheduler-counter units
  std::int64_t step_offset = 0;        ///< logged step = counter + step_offset
  std::size_t samples = 0;             ///< samples used

  /// Fitted lr at a logged step (also before or after the log).
  double lr(std::int64_t logged_step) const { return lr_at(model, static_cast<double>(logged_step - step_offset)); }
  /// The value of a reported parameter, if present and not null.
  std::optional<double> param(std::string_view name) const {
    for (const auto& p : params)
      if (p.name == name) return p.value;
    return std::nullopt;
  }
};

/** Knobs of `reconstruct_schedule`, with their defaults. */
struct reconstruct_options {
  std::size_t max_fit_points = 480;     ///< the search runs on at most about this many samples (shape-preserving)
  int max_evaluations = 260;            ///< Nelder–Mead budget per family in the first pass
  std::size_t finalists = 3;            ///< families refined (every offset, close conventions), checked on all samples
  double double_precision = 1e-9;       ///< relative noise floor assumed for values stored as full doubles
  std::size_t full_alternatives_below = 100000;  ///< below this many samples, every family is ranked on all samples
  std::size_t screen_points = 48;       ///< families are screened on about this many samples first; 0: not screened
};

namespace detail {

/// Weighted non-negative least squares for the lr levels of one candidate.
struct level_fit {
  std::array<double, 3> c{};
  double chi2 = std::numeric_limits<double>::infinity();
  int active = 0;
};

template <std::size_t N>
inline bool solve_small(std::array<std::array<double, 3>, 3> a, std::array<double, 3> r, unsigned mask,
                        std::array<double, 3>& c) {
  std::array<std::size_t, 3> ix{};
  std::size_t m = 0;
  for (std::size_t i = 0; i < N; ++i)
    if (mask & (1u << i)) ix[m++] = i;
  std::array<std::array<double, 4>, 3> g{};
  for (std::size_t i = 0; i < m; ++i) {
    for (std::size_t j = 0; j < m; ++j) g[i][j] = a[ix[i]][ix[j]];
    g[i][3] = r[ix[i]];
  }
  for (std::size_t col = 0; col < m; ++col) {
    std::size_t piv = col;
    for (std::size_t i = col + 1; i < m; ++i)
      if (std::abs(g[i][col]) > std::abs(g[piv][col])) piv = i;
    std::swap(g[col], g[piv]);
    if (!(std::abs(g[col][col]) > 1e-14 * (std::abs(a[ix[col]][ix[col]]) + 1e-300))) return false;
    for (std::size_t i = 0; i < m; ++i) {
      if (i == col) continue;
      const double f = g[i][col] / g[col][col];
      for (std::size_t j = col; j < 4; ++j) g[i][j] -= f * g[col][j];
    }
  }
  c = {0, 0, 0};
  for (std::size_t i = 0; i < m; ++i) c[ix[i]] = g[i][3] / g[i][i];
  return true;
}

/// Fits the levels of `model` to the samples at t = s - offset, once per mask (which coefficients are free; the
/// others are 0): the factors and their sums are computed once and shared by every mask.
template <class Model>
void fit_levels(const Model& model, const lr_samples& d, double offset, std::span<const unsigned> masks,
                std::span<level_fit> fits, std::vector<std::array<double, 3>>& buf) {
  constexpr std::size_t N = Model::n_linear;
  const std::size_t n = d.size();
  buf.resize(n);
  std::array<std::array<double, 3>, 3> a{};
  std::array<double, 3> r{};
  for (std::size_t i = 0; i < n; ++i) {
    const auto b = basis_full_pass(model, d.step(i) - offset);  // the polynomial half-cosine: cheaper than std::cos
    auto& row = buf[i];
    row = {0, 0, 0};
    for (std::size_t k = 0; k < N; ++k) row[k] = b[k];
    const double w = d.weight(i);
    for (std::size_t k = 0; k < N; ++k) {
      r[k] += w * row[k] * d.y[i];
      for (std::size_t l = k; l < N; ++l) a[k][l] += w * row[k] * row[l];
    }
  }
  for (std::size_t k = 0; k < N; ++k)
    for (std::size_t l = 0; l < k; ++l) a[k][l] = a[l][k];
  for (std::size_t mi = 0; mi < masks.size(); ++mi) {
    level_fit& out = fits[mi];
    out = level_fit{};
    unsigned m = masks[mi] & ((1u << N) - 1);
    for (int round = 0; round < 4 && m; ++round) {
      std::array<double, 3> c{};
      if (!solve_small<N>(a, r, m, c)) {
        // A factor that is zero on every sample (e.g. the floor of a decay the log never reaches): drop it.
        unsigned drop = 0;
        for (std::size_t k = N; k-- > 0;)
          if ((m & (1u << k)) && a[k][k] <= 0) drop = 1u << k;
        if (!drop) {
          for (std::size_t k = N; k-- > 0;)
            if (m & (1u << k)) {
              drop = 1u << k;
              break;
            }
        }
        m &= ~drop;
        continue;
      }
      unsigned neg = 0;
      for (std::size_t k = 0; k < N; ++k)
        if ((m & (1u << k)) && c[k] < 0) neg |= 1u << k;
      if (neg) {
        m &= ~neg;
        continue;
      }
      out.c = c;
      break;
    }
    double chi2 = 0;
    for (std::size_t i = 0; i < n; ++i) {
      double f = 0;
      for (std::size_t k = 0; k < N; ++k) f += out.c[k] * buf[i][k];
      const double e = std::max(0.0, std::abs(d.y[i] - f) - d.half(i));
      chi2 += d.weight(i) * e * e;
    }
    out.chi2 = chi2;
    for (std::size_t k = 0; k < N; ++k) out.active += (m & (1u << k)) ? 1 : 0;
  }
}

inline void fit_levels(const schedule_model& m, const lr_samples& d, double offset, std::span<const unsigned> masks,
                       std::span<level_fit> fits, std::vector<std::array<double, 3>>& buf) {
  std::visit([&](const auto& s) { fit_levels(s, d, offset, masks, fits, buf); }, m);
}

inline level_fit fit_levels(const schedule_model& m, const lr_samples& d, double offset, unsigned mask,
                            std::vector<std::array<double, 3>>& buf) {
  level_fit out;
  fit_levels(m, d, offset, std::span<const unsigned>(&mask, 1), std::span<level_fit>(&out, 1), buf);
  return out;
}

inline void set_levels(schedule_model& m, const std::array<double, 3>& c) {
  std::visit(
      [&](auto& s) {
        constexpr std::size_t N = std::decay_t<decltype(s)>::n_linear;
        std::array<double, N> x{};
        for (std::size_t k = 0; k < N; ++k) x[k] = c[k];
        s.set_coefficients(x);
      },
      m);
}

/// BIC with the noise floor: chi2 / s^2 + n ln s^2 + k ln n, s^2 = max(chi2 / n, 1).
inline double bic(double chi2, double n, double k) {
  const double s2 = std::max(chi2 / std::max(n, 1.0), 1.0);
  return chi2 / s2 + n * std::log(s2) + k * std::log(std::max(n, 2.0));
}

/// The least BIC any candidate with k parameters can have on n samples: chi2 / s^2 + n ln s^2 >= 0, so BIC >= k ln n.
/// A candidate whose bound is 10 or more above a checked BIC cannot win, and is behind by what the note calls far.
inline double bic_at_least(double k, double n) { return k * std::log(std::max(n, 2.0)); }

/// One searchable description of a family: step-like parameters theta, conventions, level masks.
struct fit_spec {
  std::string_view family;
  std::vector<double> theta0, scale;
  std::vector<bool> integral;
  int conventions = 1;
  std::vector<unsigned> masks;  ///< level masks to try; the first is the widest
  int extra_params = 0;         ///< parameters fixed from features (milestones) that still count in k
  int total_index = -1;         ///< theta index that moves the end of the decay (for the uncertainty scan)
  std::function<bool(const std::vector<double>&, int, double, schedule_model&)> make;  ///< (theta, conv, offset)
  std::function<std::string(int)> describe;
  std::string_view (*nests)(int conv) = nullptr;  ///< the family a convention contains as a special case, if any
};

/// A fitted candidate.
struct candidate {
  const fit_spec* spec = nullptr;
  std::vector<double> theta;
  int conv = 0;
  unsigned mask = 0;
  double offset = 0;
  schedule_model model;
  double chi2 = std::numeric_limits<double>::infinity();
  double k = 0;
  double bic = std::numeric_limits<double>::infinity();
  std::vector<double> conv_bic;    ///< first pass: the BIC under each convention of the spec
  std::vector<double> offset_bic;  ///< first pass: the BIC from step offsets 0, 1 and -1 (first convention)
};

inline constexpr double bad_fit = 1e300;

/// A first-pass BIC not far behind `best` (a heuristic, with a wide margin: within 8 x best + 1000). Pass 1 fits
/// each family and convention from the curve's landmarks on a coarse subset; pass 2 refines only what is not far
/// behind. A wrong decay shape on a clean log is 70 times behind (1800 against 26). On the synthetic and real logs
/// of the tests, the convention that finally won was at most 4.1 times behind its family's best (845 against 204
/// for a 77-sample one-cycle log), and a third finalist that ended among the best two was within 3% of the second.
inline bool not_far_behind(double bic, double best) { return !(bic > 8 * best + 1000); }

/// Pass 2 refines the best family of pass 1 only from the step offsets whose first-pass BIC is close to its best
/// offset's (within 3 x best + 200). In the schedule tests' fits, the offset that family's refinement chose was
/// at most 0.15 x (best + 100) behind in pass 1; a wrong offset on a clean log is about 40 times behind (813
/// against 21 on the seed's shape, where the warmup's first samples are off by a step). Other finalists are
/// refined from every offset: a runner-up's offset moves more (up to 6 x (best + 100) in the tests).
inline bool offset_worth_refining(const std::vector<double>& offset_bic, std::size_t index) {
  if (index >= offset_bic.size()) return true;
  const double best = *std::min_element(offset_bic.begin(), offset_bic.end());
  return !(offset_bic[index] > 3 * best + 200);
}

/// Pass 2 refines a convention of a spec only when its first-pass BIC is not far behind the spec's best.
inline bool worth_refining(const std::vector<double>& conv_bic, int conv) {
  if (conv_bic.empty()) return true;
  return not_far_behind(conv_bic[static_cast<std::size_t>(conv)], *std::min_element(conv_bic.begin(), conv_bic.end()));
}

/// chi2 of theta under spec/conv/offset, for one or two masks (`mask2` 0: none; its chi2 goes to `chi2_2`).
/// Fills `out` (for `mask`) when given.
inline double evaluate(const fit_spec& sp, const std::vector<double>& th, int conv, unsigned mask, double offset,
                       const lr_samples& d, std::vector<std::array<double, 3>>& buf, candidate* out = nullptr,
                       unsigned mask2 = 0, double* chi2_2 = nullptr) {
  if (chi2_2) *chi2_2 = bad_fit;
  schedule_model m;
  if (th.size() != sp.theta0.size()) return bad_fit;  // a failed start carries no parameters
  for (double v : th)
    if (!std::isfinite(v)) return bad_fit;
  if (!sp.make(th, conv, offset, m)) return bad_fit;
  const std::array<unsigned, 2> masks{mask, mask2};
  std::array<level_fit, 2> fits;
  fit_levels(m, d, offset, std::span<const unsigned>(masks.data(), mask2 ? 2 : 1), fits, buf);
  const level_fit& lf = fits[0];
  if (chi2_2 && std::isfinite(fits[1].chi2)) *chi2_2 = fits[1].chi2;
  if (!std::isfinite(lf.chi2)) return bad_fit;
  if (out) {
    set_levels(m, lf.c);
    out->spec = &sp, out->theta = th, out->conv = conv, out->mask = mask, out->offset = offset;
    out->model = std::move(m);
    out->chi2 = lf.chi2;
    out->k = static_cast<double>(std::popcount(mask)) + static_cast<double>(th.size()) + sp.extra_params;
    out->bic = bic(lf.chi2, static_cast<double>(d.size()), out->k);
  }
  return lf.chi2;
}

/// Nelder–Mead over theta, then rounding of integral parameters (each to floor/ceil and one further).
/// With `mask2` and `out2`: also what `optimise(sp, result.theta, conv, mask2, offset, d, 0, ...)` gives (the
/// integer points around the result, re-rounded under a narrower mask), reusing the factors of the points already
/// tried; `out2->spec` is null when that fails.
inline candidate optimise(const fit_spec& sp, std::vector<double> th, int conv, unsigned mask, double offset,
                          const lr_samples& d, int evals, std::vector<std::array<double, 3>>& buf,
                          std::vector<double> scale = {}, unsigned mask2 = 0, candidate* out2 = nullptr) {
  if (scale.empty()) scale = sp.scale;
  // Search in units of the starting simplex, so one tolerance (1e-3 of a simplex edge) fits every parameter.
  std::vector<double> x(th.size()), th_buf(th.size());
  for (std::size_t i = 0; i < th.size(); ++i) x[i] = scale[i] != 0 ? th[i] / scale[i] : th[i];
  auto to_theta = [&](const std::vector<double>& z) {
    for (std::size_t i = 0; i < z.size(); ++i) th_buf[i] = scale[i] != 0 ? z[i] * scale[i] : z[i];
    return th_buf;
  };
  auto f = [&](const std::vector<double>& z) { return evaluate(sp, to_theta(z), conv, mask, offset, d, buf); };
  double fb = 0;
  // When every parameter is a whole number of steps, rounded below, a tenth of a step is precise enough.
  std::vector<double> enough;
  if (std::all_of(sp.integral.begin(), sp.integral.end(), [](bool b) { return b; }))
    for (std::size_t i = 0; i < th.size(); ++i) enough.push_back(scale[i] != 0 ? 0.1 / std::abs(scale[i]) : 0.0);
  if (!th.empty() && evals > 0)
    th = to_theta(nelder_mead(f, x, std::vector<double>(x.size(), 1.0), evals, fb, 1e-13, 1e-3, enough));
  auto f_theta = [&](const std::vector<double>& t) { return evaluate(sp, t, conv, mask, offset, d, buf); };
  std::vector<std::size_t> ints;
  for (std::size_t i = 0; i < th.size(); ++i)
    if (sp.integral[i]) ints.push_back(i);
  // The integer points around x (each integral parameter to its nearest integer, one below, one above), in the
  // order they are tried: ties keep the nearest integer.
  const std::size_t combos = static_cast<std::size_t>(std::pow(3.0, static_cast<double>(ints.size())));
  auto around = [&](const std::vector<double>& center, std::size_t c) {
    std::vector<double> x = center;
    for (std::size_t i : ints) {
      constexpr int order[] = {0, -1, 1};
      x[i] = std::round(center[i]) + order[c % 3];
      c /= 3;
    }
    return x;
  };
  if (!mask2) out2 = nullptr;
  std::vector<std::pair<std::vector<double>, double>> seen2;  // mask2's chi2 at the points tried
  std::vector<double> best = th;
  if (!ints.empty()) {
    double best_f = bad_fit * 10;
    for (std::size_t c = 0; c < combos; ++c) {
      std::vector<double> x = around(th, c);
      double v2 = bad_fit;
      const double v = out2 ? evaluate(sp, x, conv, mask, offset, d, buf, nullptr, mask2, &v2) : f_theta(x);
      if (out2) seen2.emplace_back(x, v2);
      if (v < best_f) best_f = v, best = x;
    }
  }
  candidate out;
  evaluate(sp, best, conv, mask, offset, d, buf, &out);
  if (out2) {
    // What rounding `best` again under mask2 gives: the points around it, most of them already evaluated above.
    std::vector<double> best2 = best;
    if (!ints.empty()) {
      double best_f2 = bad_fit * 10;
      for (std::size_t c = 0; c < combos; ++c) {
        std::vector<double> x = around(best, c);
        const auto hit = std::find_if(seen2.begin(), seen2.end(), [&](const auto& p) { return p.first == x; });
        const double v2 = hit != seen2.end() ? hit->second : evaluate(sp, x, conv, mask2, offset, d, buf);
        if (v2 < best_f2) best_f2 = v2, best2 = x;
      }
    }
    *out2 = candidate{};
    evaluate(sp, best2, conv, mask2, offset, d, buf, out2);
  }
  return out;
}

/// Screening before pass 1, on logs with enough fit points: each description of a family, under each convention,
/// is fitted from the curve's landmarks on every few-th point of pass 1's subset (about a fifth of them), with an
/// eighth of pass 1's budget. Its chi2, scaled to the subset's size, gives a BIC comparable to pass 1's. Pass 1
/// then fits, under every convention, the descriptions of the families that are not far behind the best
/// (`not_far_behind`'s margin) under some convention, of those that contain such a family as a special case
/// (polynomial power 1 is linear; wsd without a stable phase is a warmup_* decay), which the note then says fit
/// no better with more parameters, and of the best three families, so that the note names the next family with
/// its full-sample BIC even when every other family is far behind (which wrong shape is next is then close to a
/// toss-up). Conventions are not dropped one by one: a short search places a family less reliably under one
/// convention than under its best (in random logs, a wsd warming up from min_lr with a floor of 0 lost to the
/// same curve warming up from 0, and a single step down to a wsd with a one-step decay). On 5,000 random
/// synthetic logs of 800-40,000 steps (every family and convention, offsets, sparse and irregular sampling,
/// float32, noise), the winner, its parameters and BIC were those of fitting every family in all but one; with
/// 800-6,000 steps in all but 4 of 2,000. Each was a log showing only a linear rise, which several families fit
/// to its precision; screening then reports another of them, at a BIC 6-7 higher.
struct screening {
  std::vector<bool> keep;  ///< per spec: pass 1 fits it (empty: no screening, every spec is fitted)
  std::vector<double> bic; ///< per spec: its best screened BIC, comparable to pass 1's
};
template <class TooFew>
screening screen_families(const std::vector<fit_spec>& specs, const lr_samples& coarse, bool warmup,
                          TooFew&& too_few_points, const reconstruct_options& opt,
                          std::vector<std::array<double, 3>>& buf) {
  constexpr std::size_t keep_best_families = 3;
  if (opt.screen_points == 0 || coarse.size() < 3 * opt.screen_points) return {};
  lr_samples few;
  const std::size_t stride = coarse.size() / opt.screen_points;
  for (std::size_t i = 0; i < coarse.size(); ++i)
    if (i % stride == 0 || i + 1 == coarse.size()) few.push(coarse.st[i], coarse.y[i], coarse.w[i], coarse.h[i]);
  const double n = static_cast<double>(coarse.size()), scale_up = n / static_cast<double>(few.size());
  auto scaled_bic = [&](const candidate& c) {
    return c.spec ? bic(c.chi2 * scale_up, n, c.k) : std::numeric_limits<double>::infinity();
  };
  // As pass 1: the first convention from each step offset, the others from the best offset. Each spec's best
  // convention decides (whole specs are kept or dropped).
  std::vector<double> spec_bic(specs.size(), std::numeric_limits<double>::infinity());
  for (std::size_t si = 0; si < specs.size(); ++si) {
    const fit_spec& sp = specs[si];
    if (too_few_points(sp)) continue;
    double best_offset = 0;
    for (double offset : {0.0, 1.0, -1.0}) {
      if (offset != 0 && !warmup) break;
      const double b = scaled_bic(optimise(sp, sp.theta0, 0, sp.masks.front(), offset, few,
                                           offset == 0 ? opt.max_evaluations / 8 : opt.max_evaluations / 16, buf));
      if (b < spec_bic[si]) spec_bic[si] = b, best_offset = offset;
    }
    for (int conv = 1; conv < sp.conventions; ++conv)
      spec_bic[si] = std::min(spec_bic[si], scaled_bic(optimise(sp, sp.theta0, conv, sp.masks.front(), best_offset,
                                                                few, opt.max_evaluations / 16, buf)));
  }
  const double best = *std::min_element(spec_bic.begin(), spec_bic.end());
  // The best families by their best screened BIC.
  std::vector<std::pair<double, std::string_view>> ranked;
  for (std::size_t si = 0; si < specs.size(); ++si) {
    if (too_few_points(specs[si])) continue;
    const auto it =
        std::find_if(ranked.begin(), ranked.end(), [&](const auto& r) { return r.second == specs[si].family; });
    if (it == ranked.end()) ranked.emplace_back(spec_bic[si], specs[si].family);
    else it->first = std::min(it->first, spec_bic[si]);
  }
  std::sort(ranked.begin(), ranked.end());
  ranked.resize(std::min(ranked.size(), keep_best_families));
  auto family_close = [&](std::string_view family) {
    for (std::size_t si = 0; si < specs.size(); ++si)
      if (specs[si].family == family && not_far_behind(spec_bic[si], best)) return true;
    return false;
  };
  std::vector<bool> keep(specs.size());
  for (std::size_t si = 0; si < specs.size(); ++si) {
    const fit_spec& sp = specs[si];
    if (too_few_points(specs[si])) continue;
    bool k = family_close(sp.family) ||
             std::any_of(ranked.begin(), ranked.end(), [&](const auto& r) { return r.second == sp.family; });
    for (int conv = 0; conv < sp.conventions && !k; ++conv) {
      const std::string_view nested = sp.nests ? sp.nests(conv) : std::string_view{};
      k = !nested.empty() && family_close(nested);
    }
    keep[si] = k;
  }
  return {std::move(keep), std::move(spec_bic)};
}

/// Text for a step offset.
inline std::string describe_offset(double offset) {
  if (offset > 0.5) return "logged step = scheduler counter + 1 (lr logged after the step that used it)";
  if (offset < -0.5) return "logged step = scheduler counter - 1 (lr of the next step, as llm.c's (step+1)/W warmup)";
  return "logged step = scheduler counter";
}

inline double clamp_warmup(double w) { return w < 0.5 ? 0.0 : w; }

/// The families, with starting points read from the curve. Offsets and conventions are searched later.
inline std::vector<fit_spec> make_specs(const lr_features& f) {
  std::vector<fit_spec> specs;
  const double w0 = f.rises_at_start ? std::max(1.0, f.s_peak) : 0.0;
  const double span = std::max(1.0, f.s_last - w0);
  // Decay length for a shape with factor(progress): from where the curve halves, or from its last value.
  auto decay0 = [&](auto progress_of) {
    if (f.s_half > 0) return std::max(2.0, (f.s_half - w0) / progress_of(0.5));
    const double c = std::clamp(f.y_last / f.peak, 0.0, 0.999);
    return std::max(2.0, span / std::clamp(progress_of(c), 0.02, 1.0));
  };
  const double d_cos = decay0([](double c) { return std::acos(2 * c - 1) / 3.141592653589793; });
  const double d_lin = decay0([](double c) { return 1 - c; });
  const double wscale = std::max(2.0, 0.2 * w0);
  const unsigned one = 1u, two = 3u, peak_only = 1u;  // level masks: peak; peak and floor
  auto warm = [](double w, warmup_kind k, double start = 0) {
    warmup_spec s;
    s.steps = clamp_warmup(w);
    s.kind = k;
    s.start_ratio = start;
    return s;
  };
  const std::vector<bool> ii{true, true};

  specs.push_back({"constant", {}, {}, {}, 1, {one}, 0, -1,
                   [](const std::vector<double>&, int, double, schedule_model& m) {
                     m = constant_schedule{};
                     return true;
                   },
                   [](int) { return std::string("constant"); }});
  if (f.rises_at_start) {
    // Warmup from 0 (HF, DeepSpeed defaults), or from a fitted start (PyTorch LinearLR start_factor, DeepSpeed
    // warmup_min_lr): two descriptions of each family, the second with one more parameter.
    for (auto kind : {warmup_kind::linear, warmup_kind::log}) {
      const bool lg = kind == warmup_kind::log;
      const std::string_view name = lg ? "warmup_log_constant" : "linear_warmup_constant";
      auto text = [lg](bool start) {
        std::string t = lg ? "deepspeed WarmupLR: log warmup" : "linear warmup (HF constant_with_warmup, PyTorch LinearLR)";
        return t + (start ? " from a nonzero start" : " from 0");
      };
      specs.push_back({name, {w0}, {wscale}, {true}, 1, {one}, 0, -1,
                       [warm, kind](const std::vector<double>& th, int, double, schedule_model& m) {
                         if (th[0] < (kind == warmup_kind::log ? 2 : 1)) return false;
                         m = warmup_constant_schedule{0, warm(th[0], kind, 0)};
                         return true;
                       },
                       [text](int) { return text(false); }});
      const double start0 = std::clamp(f.y_first / f.peak, 0.0, 0.9);
      specs.push_back({name, {w0, start0}, {wscale, 0.05}, {true, false}, 1, {one}, 0, -1,
                       [warm, kind](const std::vector<double>& th, int, double, schedule_model& m) {
                         if (th[0] < (kind == warmup_kind::log ? 2 : 1) || th[1] < 0 || th[1] >= 1) return false;
                         m = warmup_constant_schedule{0, warm(th[0], kind, th[1])};
                         return true;
                       },
                       [text](int) { return text(true); }});
    }
  }
  // Decays with warmup W and end T = W + D: theta = {W, D}.
  for (auto kind : {warmup_kind::linear, warmup_kind::log}) {
    if (kind == warmup_kind::log && !f.rises_at_start) continue;
    const bool lg = kind == warmup_kind::log;
    specs.push_back({lg ? "warmup_log_linear" : "warmup_linear", {w0, d_lin}, {wscale, 0.1 * d_lin}, ii, 1,
                     {two, peak_only}, 0, 1,
                     [warm, kind](const std::vector<double>& th, int, double, schedule_model& m) {
                       if (th[0] < 0 || th[1] < 1 || (kind == warmup_kind::log && th[0] < 2)) return false;
                       warmup_linear_schedule s;
                       s.warmup = warm(th[0], kind);
                       s.total_steps = s.warmup.steps + th[1];
                       m = s;
                       return true;
                     },
                     [lg](int) {
                       return std::string(lg ? "deepspeed WarmupDecayLR: log warmup, linear decay to T"
                                             : "linear decay reaching the floor at T (HF linear, DeepSpeed WarmupDecayLR)");
                     }});
    specs.push_back({lg ? "warmup_log_cosine" : "warmup_cosine", {w0, d_cos}, {wscale, 0.1 * d_cos}, ii, lg ? 2 : 3,
                     {two, peak_only}, 0, 1,
                     [warm, kind, lg](const std::vector<double>& th, int conv, double, schedule_model& m) {
                       if (th[0] < 0 || th[1] < 1 || (kind == warmup_kind::log && th[0] < 2)) return false;
                       warmup_cosine_schedule s;
                       s.warmup = warm(th[0], kind);
                       s.total_steps = s.warmup.steps + th[1];
                       // conv: linear warmup 0 HF/PyTorch, 1 nanoGPT/llm.c clamp, 2 DeepSpeed; log 0 DeepSpeed, 1 end at T
                       if (lg) s.end_offset = conv == 0 ? 1.0 : 0.0;
                       else s.end_offset = conv == 2 ? 1.0 : 0.0, s.clamp_after_end = conv == 1;
                       m = s;
                       return true;
                     },
                     [lg](int conv) {
                       if (lg)
                         return std::string(conv == 0 ? "deepspeed WarmupCosineLR: log warmup, cosine reaches the floor at T-1"
                                                      : "log warmup, cosine reaching the floor at T");
                       if (conv == 1) return std::string("nanoGPT/llm.c: cosine to T, then held at min_lr");
                       if (conv == 2) return std::string("deepspeed WarmupCosineLR (linear warmup): cosine reaches the floor at T-1");
                       return std::string("HF/PyTorch: cosine reaches the floor at T (not clamped after)");
                     }});
  }
  specs.push_back({"warmup_polynomial", {w0, d_lin, 2.0}, {wscale, 0.1 * d_lin, 0.5}, {true, true, false}, 1,
                   {two, peak_only}, 0, 1,
                   [warm](const std::vector<double>& th, int, double, schedule_model& m) {
                     if (th[0] < 0 || th[1] < 1 || th[2] <= 0.05 || th[2] > 20) return false;
                     warmup_polynomial_schedule s;
                     s.warmup = warm(th[0], warmup_kind::linear);
                     s.total_steps = s.warmup.steps + th[1];
                     s.power = th[2];
                     m = s;
                     return true;
                   },
                   [](int) { return std::string("HF polynomial decay, lr_end after T"); },
                   [](int) { return std::string_view("warmup_linear"); }});  // power 1
  {
    const double r = std::clamp(f.y_last / f.peak, 1e-3, 0.99);
    const double ts0 = std::max(1.0, span / (1.0 / (r * r) - 1.0));
    specs.push_back({"inverse_sqrt", {w0, ts0}, {wscale, 0.3 * ts0}, {true, false}, 1, {peak_only}, 0, -1,
                     [warm](const std::vector<double>& th, int, double, schedule_model& m) {
                       if (th[0] < 0 || th[1] <= 0.5) return false;
                       m = inverse_sqrt_schedule{0, warm(th[0], warmup_kind::linear), th[1]};
                       return true;
                     },
                     [](int) { return std::string("HF inverse_sqrt: 1/sqrt((t - W + timescale)/timescale)"); }});
  }
  {
    const double g0 = std::clamp(std::pow(std::max(f.y_last, 1e-300) / f.peak, 1.0 / span), 0.5, 1.0 - 1e-9);
    const double lg0 = std::log(g0);
    specs.push_back({"exponential", {w0, lg0}, {wscale, 0.2 * std::abs(lg0) + 1e-9}, {true, false}, 1, {peak_only}, 0,
                     -1,
                     [warm](const std::vector<double>& th, int, double, schedule_model& m) {
                       if (th[0] < 0 || th[1] > 0) return false;
                       m = exponential_schedule{0, warm(th[0], warmup_kind::linear), std::exp(th[1])};
                       return true;
                     },
                     [](int) { return std::string("PyTorch ExponentialLR"); }});
  }
  // Step decays and restarts: levels change between two logged samples; the change is placed at the first
  // sample at the new level (exact when every step is logged), in scheduler counter units (minus the offset).
  const bool has_w = f.rises_at_start;
  const std::vector<double>& down = f.down_jump_steps;
  const std::vector<double>& up = f.up_jump_steps;
  auto wsplit = [has_w, warm](const std::vector<double>& th) {
    return std::pair<warmup_spec, std::size_t>{has_w ? warm(th[0], warmup_kind::linear) : warmup_spec{},
                                               has_w ? 1u : 0u};
  };
  if (down.size() >= 2) {
    const double size0 = (down.back() - down.front()) / static_cast<double>(down.size() - 1);
    const double w_first = down.front() - size0;  // first milestone is W + step_size
    const double g0 = std::log(std::clamp(f.jump_ratio_mean_down, 1e-6, 0.999));
    std::vector<double> th{size0, g0}, sc{std::max(1.0, 0.01 * size0), 0.05};
    std::vector<bool> in{true, false};
    if (has_w) th.insert(th.begin(), std::max(1.0, w_first)), sc.insert(sc.begin(), wscale), in.insert(in.begin(), true);
    specs.push_back({"step", th, sc, in, 1, {peak_only}, 0, -1,
                     [wsplit](const std::vector<double>& t, int, double, schedule_model& m) {
                       auto [w, k] = wsplit(t);
                       if (t[k] < 1 || t[k + 1] > 0 || w.steps < 0) return false;
                       m = step_schedule{0, w, t[k], std::exp(t[k + 1])};
                       return true;
                     },
                     [](int) { return std::string("PyTorch StepLR"); }});
  }
  if (!down.empty()) {
    const double g0 = std::log(std::clamp(f.jump_ratio_mean_down, 1e-6, 0.999));
    std::vector<double> th{g0}, sc{0.05};
    std::vector<bool> in{false};
    if (has_w) th.insert(th.begin(), w0), sc.insert(sc.begin(), wscale), in.insert(in.begin(), true);
    specs.push_back({"multistep", th, sc, in, 1, {peak_only}, static_cast<int>(down.size()), -1,
                     [wsplit, down](const std::vector<double>& t, int, double offset, schedule_model& m) {
                       auto [w, k] = wsplit(t);
                       if (t[k] > 0 || w.steps < 0) return false;
                       multistep_schedule s{0, w, {}, std::exp(t[k])};
                       for (double j : down) s.milestones.push_back(j - offset - w.steps);
                       m = s;
                       return true;
                     },
                     [](int) { return std::string("PyTorch MultiStepLR"); }});
  }
  if (!up.empty()) {
    const double t00 = std::max(2.0, up.front() - w0);
    const double mult0 = up.size() >= 2 ? std::clamp((up[1] - up[0]) / t00, 1.0, 9.0) : 1.0;
    std::vector<double> th{t00, mult0}, sc{std::max(1.0, 0.01 * t00), 0.1};
    std::vector<bool> in{true, false};
    if (has_w) th.insert(th.begin(), w0), sc.insert(sc.begin(), wscale), in.insert(in.begin(), true);
    specs.push_back({"cosine_restarts", th, sc, in, 1, {two, peak_only}, 0, -1,
                     [wsplit](const std::vector<double>& t, int, double, schedule_model& m) {
                       auto [w, k] = wsplit(t);
                       if (t[k] < 2 || t[k + 1] < 1 || t[k + 1] > 10) return false;
                       m = cosine_restarts_schedule{0, 0, w, t[k], t[k + 1]};
                       return true;
                     },
                     [](int) { return std::string("PyTorch CosineAnnealingWarmRestarts"); }});
  }
  specs.push_back({"one_cycle", {f.s_last + 2, (f.s_peak + 1) / (f.s_last + 2)}, {0.05 * span + 2, 0.03},
                   {true, false}, 4, {7u}, 0, 0,
                   [](const std::vector<double>& th, int conv, double, schedule_model& m) {
                     if (th[0] < 4 || th[1] <= 0 || th[1] >= (conv >= 2 ? 0.5 : 1.0)) return false;
                     one_cycle_schedule s;
                     s.total_steps = th[0];
                     s.pct_start = th[1];
                     s.anneal = (conv % 2) ? anneal_shape::linear : anneal_shape::cosine;
                     s.three_phase = conv >= 2;
                     m = s;
                     return true;
                   },
                   [](int conv) {
                     std::string s = "PyTorch OneCycleLR: ";
                     s += conv >= 2 ? "three phases" : "two phases";
                     s += (conv % 2) ? ", linear annealing" : ", cosine annealing";
                     return s + ", phase ends at pct_start*total-1 and total-1";
                   }});
  specs.push_back({"one_cycle", {std::max(2.0, f.s_peak), std::max(2.0, f.s_peak), 0.0},
                   {std::max(2.0, 0.1 * f.s_peak), std::max(2.0, 0.1 * f.s_peak), 1e-4}, {true, true, false}, 1,
                   {3u}, 0, -1,
                   [](const std::vector<double>& th, int, double, schedule_model& m) {
                     if (th[0] < 1 || th[1] < 1 || th[2] < 0) return false;
                     m = one_cycle_schedule::deepspeed(0, 0, th[0], th[1], th[2], 1.0);
                     return true;
                   },
                   [](int) { return std::string("deepspeed OneCycle: linear cycle, then cycle_min_lr/(1+rate*t)"); }});
  if (f.rises_again) {
    const double up0 = std::max(1.0, f.s_peak), down0 = std::max(1.0, f.s_trough - f.s_peak);
    specs.push_back({"cyclic", {up0, down0}, {0.1 * up0 + 1, 0.1 * down0 + 1}, ii, 2, {two}, 0, -1,
                     [](const std::vector<double>& th, int conv, double, schedule_model& m) {
                       if (th[0] < 1 || th[1] < 1) return false;
                       m = cyclic_schedule{0, 0, th[0], th[1], conv == 1 ? cyclic_mode::triangular2 : cyclic_mode::triangular, 1};
                       return true;
                     },
                     [](int conv) { return std::string(conv == 1 ? "PyTorch CyclicLR triangular2" : "PyTorch CyclicLR triangular"); }});
    specs.push_back({"cyclic", {up0, down0, -1e-4}, {0.1 * up0 + 1, 0.1 * down0 + 1, 1e-4}, {true, true, false}, 1,
                     {two}, 0, -1,
                     [](const std::vector<double>& th, int, double, schedule_model& m) {
                       if (th[0] < 1 || th[1] < 1 || th[2] > 0) return false;
                       m = cyclic_schedule{0, 0, th[0], th[1], cyclic_mode::exp_range, std::exp(th[2])};
                       return true;
                     },
                     [](int) { return std::string("PyTorch CyclicLR exp_range"); }});
  }
  if (f.plateau_samples >= 2) {
    // WSD needs a stable phase: at least two samples at the peak (otherwise it is a warmup_* decay).
    // The stable phase ends where the lr first leaves the peak; the decay ends where it first reaches its floor.
    const double stable0 = std::max(1.0, f.s_leave - w0);
    const double decay0w = std::max(2.0, (f.s_floor > f.s_leave ? f.s_floor : f.s_last + 0.3 * span) - f.s_leave);
    specs.push_back({"wsd", {w0, stable0, decay0w}, {wscale, std::max(2.0, 0.02 * stable0), std::max(2.0, 0.05 * decay0w)},
                     {true, true, true}, 8, {two, peak_only}, 0, 2,
                     [](const std::vector<double>& th, int conv, double, schedule_model& m) {
                       if (th[0] < 0 || th[1] < 0 || th[2] < 1) return false;
                       wsd_schedule s;
                       s.warmup_steps = clamp_warmup(th[0]), s.stable_steps = th[1], s.decay_steps = th[2];
                       constexpr anneal_shape shapes[] = {anneal_shape::cosine, anneal_shape::linear,
                                                          anneal_shape::one_minus_sqrt, anneal_shape::square};
                       s.decay_shape = shapes[conv % 4];
                       s.warmup_from_min = conv < 4;
                       m = s;
                       return true;
                     },
                     [](int conv) {
                       constexpr const char* names[] = {"cosine", "linear", "1-sqrt", "square"};
                       return std::string(conv < 4 ? "HF WSD: warmup from min_lr, " : "WSD (llm.c, older HF): warmup from 0, ") +
                              names[conv % 4] + " decay";
                     },
                     [](int conv) {  // no stable phase
                       return std::string_view(conv % 4 == 0 ? "warmup_cosine" : conv % 4 == 1 ? "warmup_linear" : "");
                     }});
  }
  return specs;
}

/// The parameters reported for a model (peak_lr, warmup_steps, total_steps, min_lr first).
inline std::vector<schedule_param> report_params(const schedule_model& model) {
  using P = std::vector<schedule_param>;
  struct visitor {
    std::optional<double> none;
    P operator()(const constant_schedule& s) const { return {{"peak_lr", s.peak_lr}, {"warmup_steps", 0.0}, {"total_steps", none}, {"min_lr", none}}; }
    P operator()(const warmup_constant_schedule& s) const {
      return {{"peak_lr", s.peak_lr}, {"warmup_steps", s.warmup.steps}, {"total_steps", none}, {"min_lr", none},
              {"warmup_start_lr", s.warmup.start_ratio * s.peak_lr}};
    }
    P operator()(const warmup_linear_schedule& s) const {
      return {{"peak_lr", s.peak_lr}, {"warmup_steps", s.warmup.steps}, {"total_steps", s.total_steps}, {"min_lr", s.min_lr}};
    }
    P operator()(const warmup_cosine_schedule& s) const {
      return {{"peak_lr", s.peak_lr}, {"warmup_steps", s.warmup.steps}, {"total_steps", s.total_steps}, {"min_lr", s.min_lr}};
    }
    P operator()(const warmup_polynomial_schedule& s) const {
      return {{"peak_lr", s.peak_lr}, {"warmup_steps", s.warmup.steps}, {"total_steps", s.total_steps}, {"min_lr", s.min_lr},
              {"power", s.power}};
    }
    P operator()(const inverse_sqrt_schedule& s) const {
      return {{"peak_lr", s.peak_lr}, {"warmup_steps", s.warmup.steps}, {"total_steps", none}, {"min_lr", none},
              {"timescale", s.timescale}};
    }
    P operator()(const step_schedule& s) const {
      return {{"peak_lr", s.peak_lr}, {"warmup_steps", s.warmup.steps}, {"total_steps", none}, {"min_lr", none},
              {"step_size", s.step_size}, {"gamma", s.gamma}};
    }
    P operator()(const multistep_schedule& s) const {
      P p{{"peak_lr", s.peak_lr}, {"warmup_steps", s.warmup.steps}, {"total_steps", none}, {"min_lr", none}, {"gamma", s.gamma}};
      for (std::size_t i = 0; i < s.milestones.size(); ++i)
        p.push_back({"milestone_" + std::to_string(i + 1), s.milestones[i] + s.warmup.steps});
      return p;
    }
    P operator()(const exponential_schedule& s) const {
      return {{"peak_lr", s.peak_lr}, {"warmup_steps", s.warmup.steps}, {"total_steps", none}, {"min_lr", none}, {"gamma", s.gamma}};
    }
    P operator()(const cosine_restarts_schedule& s) const {
      return {{"peak_lr", s.peak_lr}, {"warmup_steps", s.warmup.steps}, {"total_steps", none}, {"min_lr", s.min_lr},
              {"restart_period", s.period}, {"restart_multiplier", s.mult}};
    }
    P operator()(const one_cycle_schedule& s) const {
      if (s.style == one_cycle_schedule::style_kind::deepspeed)
        return {{"peak_lr", s.max_lr}, {"warmup_steps", s.up_steps}, {"total_steps", s.up_steps + s.down_steps},
                {"min_lr", s.initial_lr}, {"initial_lr", s.initial_lr}, {"step_size_up", s.up_steps},
                {"step_size_down", s.down_steps}, {"decay_lr_rate_per_step", s.decay_lr_rate / std::max(s.decay_step_size, 1e-300)}};
      return {{"peak_lr", s.max_lr}, {"warmup_steps", s.pct_start * s.total_steps - 1}, {"total_steps", s.total_steps},
              {"min_lr", s.min_lr}, {"initial_lr", s.initial_lr}, {"pct_start", s.pct_start},
              {"div_factor", s.initial_lr > 0 ? std::optional<double>(s.max_lr / s.initial_lr) : none},
              {"final_div_factor", s.min_lr > 0 ? std::optional<double>(s.initial_lr / s.min_lr) : none},
              {"three_phase", s.three_phase ? 1.0 : 0.0}};
    }
    P operator()(const cyclic_schedule& s) const {
      return {{"peak_lr", s.max_lr}, {"warmup_steps", none}, {"total_steps", none}, {"min_lr", s.base_lr},
              {"cycle_base_lr", s.base_lr}, {"cycle_max_lr", s.max_lr}, {"step_size_up", s.step_size_up},
              {"step_size_down", s.step_size_down}, {"gamma", s.gamma}};
    }
    P operator()(const wsd_schedule& s) const {
      return {{"peak_lr", s.peak_lr}, {"warmup_steps", s.warmup_steps}, {"total_steps", s.total_steps()},
              {"min_lr", s.min_lr}, {"stable_steps", s.stable_steps}, {"decay_steps", s.decay_steps},
              {"min_lr_ratio", s.peak_lr > 0 ? std::optional<double>(s.min_lr / s.peak_lr) : none}};
    }
  };
  return std::visit(visitor{}, model);
}

/// Scheduler counter at which the decay reaches its floor, for families that have one.
inline std::optional<double> decay_end(const schedule_model& model) {
  if (auto* c = std::get_if<warmup_cosine_schedule>(&model)) return c->total_steps - c->end_offset;
  if (auto* l = std::get_if<warmup_linear_schedule>(&model)) return l->total_steps;
  if (auto* p = std::get_if<warmup_polynomial_schedule>(&model)) return p->total_steps;
  if (auto* w = std::get_if<wsd_schedule>(&model)) return w->total_steps();
  if (auto* o = std::get_if<one_cycle_schedule>(&model))
    return o->style == one_cycle_schedule::style_kind::pytorch ? o->total_steps - 1 : o->up_steps + o->down_steps;
  return std::nullopt;
}

inline lr_samples subset(const lr_samples& d, const std::vector<std::size_t>& idx) {
  lr_samples out;
  out.precision = d.precision, out.abs_floor = d.abs_floor;
  for (std::size_t i : idx) out.push(d.st[i], d.y[i], d.weight(i), d.half(i));
  return out;
}

/// How far theta[index] can move (either way) before chi2 rises by `delta`; the larger side.
inline double scan_uncertainty(const candidate& c, std::size_t index, const lr_samples& d, double delta,
                               std::vector<std::array<double, 3>>& buf, double cap) {
  double widest = 0;
  for (double dir : {-1.0, 1.0}) {
    auto rise = [&](double h) {
      std::vector<double> th = c.theta;
      th[index] += dir * h;
      return evaluate(*c.spec, th, c.conv, c.mask, c.offset, d, buf) - c.chi2;
    };
    double lo = 0, hi = std::max(1.0, 0.01 * std::abs(c.theta[index]));
    int guard = 0;
    while (rise(hi) < delta && guard++ < 40 && hi < cap) lo = hi, hi *= 2;
    for (int it = 0; it < 30 && hi - lo > 0.5; ++it) {
      const double mid = 0.5 * (lo + hi);
      (rise(mid) < delta ? lo : hi) = mid;
    }
    widest = std::max(widest, lo);
  }
  return widest;
}

/// Residuals of a fixed model over every sample.
struct residual_summary {
  double chi2 = 0, max_relative = 0, sum_squared_relative = 0;
  bool complete = true;  ///< false: stopped early, the BIC already exceeded the limit (the sums are partial)
};

/// One model to check on every sample: the closed form, its step offset, its parameter count, and the result.
struct check_job {
  const schedule_model* model = nullptr;
  double offset = 0;
  double k = 0;
  residual_summary r;
};

/// Residuals of each job's model over every sample of `d`, all jobs in one sweep (a long log is read from memory
/// once, in blocks, whatever the number of models; each model's sums still run over the samples in order).
/// chi2 only grows, and BIC grows with chi2, so once a job's BIC on the samples seen so far (with the full n and
/// k) exceeds `bic_limit` it cannot rank below it: that job stops there (checked once per block, so a model that
/// fits is never slowed down). Cosine families use the polynomial half-cosine (`lr_full_pass`): a few units in the
/// last place of each value, far below any log's precision, at a fraction of a `std::cos` per sample.
inline void check_all(std::span<check_job> jobs, const lr_samples& d, double denom_floor,
                      double bic_limit = std::numeric_limits<double>::infinity()) {
  const double n = static_cast<double>(d.size());
  constexpr std::size_t block = 1024;
  // Each sample's weight, rounding interval and reciprocal relative-error denominator, once per block for every
  // job (a division per sample whatever the number of jobs).
  std::vector<double> weight(std::min(block, d.size())), half(weight.size()), inv_denom(weight.size()),
      counter(weight.size()), fitted(weight.size());
  double* const wt = weight.data();
  double* const hf = half.data();
  double* const inv = inv_denom.data();
  double* const tb = counter.data();
  double* const fb = fitted.data();
  const std::int64_t* const st = d.st.data();
  const double* const y = d.y.data();
  for (std::size_t i0 = 0; i0 < d.size(); i0 += block) {
    const std::size_t i1 = std::min(d.size(), i0 + block), m = i1 - i0;
    const double* const yb = y + i0;
    const std::int64_t* const sb = st + i0;
    d.weights_and_halves(i0, m, wt, hf);
    for (std::size_t k = 0; k < m; ++k) inv[k] = 1.0 / std::max(yb[k], denom_floor);
    bool running = false;
    for (check_job& job : jobs) {
      if (!job.r.complete) continue;
      residual_summary& r = job.r;
      // The model's values for the block first (the cosine family two at a time), then the sums in sample order.
      const double offset = job.offset;
      for (std::size_t k = 0; k < m; ++k) tb[k] = static_cast<double>(sb[k]) - offset;
      std::visit([&](const auto& model) { lr_full_pass_block(model, tb, m, fb); }, *job.model);
      // The sums in locals (the same order as into `r`): stores through `r` would make each sample wait for the
      // previous one's store, and the compiler must assume they alias the samples.
      double chi2 = r.chi2, max_relative = r.max_relative, sum_squared_relative = r.sum_squared_relative;
      for (std::size_t k = 0; k < m; ++k) {
        const double e = fb[k] - yb[k];
        const double beyond = std::max(0.0, std::abs(e) - hf[k]);
        chi2 += wt[k] * beyond * beyond;
        const double rel = std::abs(e) * inv[k];
        max_relative = std::max(max_relative, rel);
        sum_squared_relative += rel * rel;
      }
      r.chi2 = chi2, r.max_relative = max_relative, r.sum_squared_relative = sum_squared_relative;
      if (i1 < d.size() && bic(r.chi2, n, job.k) > bic_limit) r.complete = false;
      running = running || r.complete;
    }
    if (!running) break;
  }
}

inline std::string format_number(double v, int digits = 3) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*g", digits, v);
  return buf;
}

}  // namespace detail

/**
 * Reconstructs the schedule behind logged (step, lr) samples.
 *
 * `steps` must increase strictly (resumes are resolved by the run model); samples whose lr is NaN, infinite or
 * negative are skipped. Sampling may be every step, every k steps or irregular; the log may stop before the decay
 * ends (then `total_steps_uncertainty` says how far the end is determined by the curvature seen so far).
 * Errors: `invalid_argument` for mismatched lengths or steps that do not increase; `no_usable_data` for fewer
 * than two usable samples or an lr that is zero throughout.
 * Cost: O(n) over the samples plus a fixed search on at most `max_fit_points` of them.
 */
inline result<schedule_fit> reconstruct_schedule(std::span<const std::int64_t> steps, std::span<const double> lr,
                                                 const reconstruct_options& opt = {}) {
  using namespace detail;
  if (steps.size() != lr.size())
    return unexpected(error{errc::invalid_argument, "steps and lr differ in length", {}, 0, 0, "lr"});
  // One pass without a branch per sample (the first step out of order is looked for only when there is one).
  double peak = 0, lowest = std::numeric_limits<double>::infinity();
  std::size_t usable = 0;
  bool increasing = true;
  for (std::size_t i = 0; i < lr.size(); ++i) {
    if (i > 0) increasing &= steps[i] > steps[i - 1];
    const double v = lr[i];
    const bool ok = v >= 0 && v <= std::numeric_limits<double>::max();  // finite and not negative; NaN fails both
    peak = ok && v > peak ? v : peak;  // std::max / std::min, NaN and infinity left out
    lowest = ok && v < lowest ? v : lowest;
    usable += ok ? 1 : 0;
  }
  if (!increasing)
    for (std::size_t i = 1; i < lr.size(); ++i)
      if (steps[i] <= steps[i - 1])
        return unexpected(error{errc::invalid_argument, "steps do not increase at sample " + std::to_string(i), {}, 0, 0, "step"});
  if (usable < 2) return unexpected(error{errc::no_usable_data, "fewer than two usable lr samples", {}, 0, 0, "lr"});
  if (!(peak > 0)) return unexpected(error{errc::no_usable_data, "lr is zero throughout", {}, 0, 0, "lr"});

  const lr_precision prec = detect_precision(lr, opt.double_precision);
  const lr_samples full = weigh(steps, lr, prec, peak, usable);
  const lr_features feats = extract_features(full, peak, lowest);
  const lr_samples sub = subset(full, pick_fit_points(full.y, opt.max_fit_points));
  // Pass 1 fits shapes with a coarse noise floor (0.1% of the value, 0.01% of the peak) so that a wrong step
  // offset at a near-zero sample cannot dominate; pass 2 uses the log's real precision.
  lr_samples coarse;
  const std::size_t stride = sub.size() > 2 * opt.max_fit_points / 3 ? 2 : 1;
  for (std::size_t i = 0; i < sub.size(); ++i)
    if (i % stride == 0 || i + 1 == sub.size()) coarse.push(sub.st[i], sub.y[i], sub.w[i], sub.h[i]);
  for (std::size_t i = 0; i < coarse.size(); ++i)
    coarse.w[i] = std::min(coarse.w[i], 1.0 / std::pow(std::max(1e-3 * coarse.y[i], 1e-4 * peak), 2));
  const std::vector<fit_spec> specs = make_specs(feats);
  std::vector<std::array<double, 3>> buf;

  auto too_few_points = [&](const fit_spec& sp) {
    return sp.theta0.size() + 1 + static_cast<std::size_t>(sp.extra_params) >= sub.size();
  };
  const bool long_log = full.size() > opt.full_alternatives_below;
  const screening screened = screen_families(specs, coarse, feats.rises_at_start, too_few_points, opt, buf);
  auto screened_in = [&](std::size_t si) {
    return !too_few_points(specs[si]) && (screened.keep.empty() || screened.keep[si]);
  };

  // A long log ranks a family on every sample only when its fewest parameters do not already put it 10 or more
  // behind the best family's full-sample BIC (see pass 2). A family that contains another kept family as a special
  // case (wsd without a stable phase is a warmup_* decay) is mostly such a family, behind an exact fit of the
  // one it contains: it is fitted only once the bound is known and does not rule it out.
  auto family_kept = [&](std::string_view family) {
    for (std::size_t sj = 0; sj < specs.size(); ++sj)
      if (screened_in(sj) && specs[sj].family == family) return true;
    return false;
  };
  std::vector<bool> deferred(specs.size());
  if (long_log && !screened.keep.empty())
    for (std::size_t si = 0; si < specs.size(); ++si) {
      const fit_spec& sp = specs[si];
      if (!screened_in(si) || !sp.nests) continue;
      for (int conv = 0; conv < sp.conventions && !deferred[si]; ++conv) {
        const std::string_view nested = sp.nests(conv);
        deferred[si] = !nested.empty() && family_kept(nested);
      }
    }

  // Pass 1: every family under each of its conventions; families with a warmup from each step offset.
  std::vector<candidate> first;
  auto pass1 = [&](std::size_t si) {
    const fit_spec& sp = specs[si];
    // A warmup's first samples depend on the step offset, so those families start from each offset.
    candidate best;
    std::vector<double> conv_bic(static_cast<std::size_t>(sp.conventions), std::numeric_limits<double>::infinity());
    std::vector<double> offset_bic;
    for (double offset : {0.0, 1.0, -1.0}) {
      if (offset != 0 && !feats.rises_at_start) break;
      candidate c = optimise(sp, sp.theta0, 0, sp.masks.front(), offset, coarse,
                             offset == 0 ? opt.max_evaluations : opt.max_evaluations / 2, buf);
      offset_bic.push_back(c.bic);
      if (c.bic < best.bic || !best.spec) best = std::move(c);
    }
    // Other conventions (shapes) start again from the curve's landmarks: the best fit of another shape can be far off.
    conv_bic[0] = best.bic;
    for (int conv = 1; conv < sp.conventions; ++conv) {
      candidate c = optimise(sp, sp.theta0, conv, sp.masks.front(), best.offset, coarse, opt.max_evaluations / 2, buf);
      conv_bic[static_cast<std::size_t>(conv)] = c.bic;
      if (c.bic < best.bic) best = std::move(c);
    }
    best.conv_bic = std::move(conv_bic);
    best.offset_bic = std::move(offset_bic);
    if (std::isfinite(best.bic) && best.chi2 < bad_fit) first.push_back(std::move(best));
  };
  for (std::size_t si = 0; si < specs.size(); ++si)
    if (screened_in(si) && !deferred[si]) pass1(si);
  if (first.empty())  // nothing to bound with: the deferred families are fitted now
    for (std::size_t si = 0; si < specs.size(); ++si)
      if (deferred[si]) pass1(si), deferred[si] = false;
  if (first.empty()) return unexpected(error{errc::no_usable_data, "no schedule family could be fitted", {}, 0, 0, "lr"});

  // Best candidate per family name.
  std::vector<candidate> per_family;
  auto rank_first = [&] {  // ties in the order of the specs, whatever order they were fitted in
    std::sort(first.begin(), first.end(), [](const candidate& a, const candidate& b) {
      return a.bic < b.bic || (a.bic == b.bic && std::less<const fit_spec*>{}(a.spec, b.spec));
    });
    per_family.clear();
    for (const auto& c : first)
      if (std::none_of(per_family.begin(), per_family.end(), [&](const candidate& p) { return p.spec->family == c.spec->family; }))
        per_family.push_back(c);
  };
  rank_first();

  // Pass 2: the finalists under every step offset, convention and level mask, integers rounded.
  auto refine = [&](std::size_t fi) {
    candidate best;
    for (const auto& c0 : first) {
      if (c0.spec->family != per_family[fi].spec->family) continue;
      const fit_spec& sp = *c0.spec;
      for (std::size_t oi = 0; oi < 3; ++oi) {
        if (fi == 0 && !offset_worth_refining(c0.offset_bic, oi)) continue;
        const double offset = oi == 0 ? 0.0 : oi == 1 ? 1.0 : -1.0;
        for (int conv = 0; conv < sp.conventions; ++conv) {
          if (!worth_refining(c0.conv_bic, conv)) continue;
          // Simplex edges: a few steps, or 0.3% of a long phase (pass 1 placed it to about that on few samples).
          std::vector<double> sc = sp.scale;
          for (std::size_t i = 0; i < sc.size(); ++i)
            sc[i] = sp.integral[i] ? std::max(2.0, 3e-3 * std::abs(c0.theta[i])) : 0.1 * sc[i];
          // The widest level mask is searched; narrower ones (a floor fixed at 0) only re-rounded from there.
          candidate narrow;
          candidate wide = optimise(sp, c0.theta, conv, sp.masks.front(), offset, sub, opt.max_evaluations / 3, buf, sc,
                                    sp.masks.size() > 1 ? sp.masks[1] : 0u, &narrow);
          for (unsigned mask : sp.masks) {
            candidate c = mask == sp.masks.front() ? wide
                          : narrow.spec && mask == narrow.mask ? std::move(narrow)
                                                               : optimise(sp, wide.theta, conv, mask, offset, sub, 0, buf, sc);
            if (!best.spec || c.bic < best.bic - 1e-9 * std::abs(best.bic) - 1e-6) best = std::move(c);
          }
        }
      }
    }
    if (best.spec) {
      // A last, longer polish of the chosen variant (from the rounded point, small simplex).
      std::vector<double> sc = best.spec->scale;
      for (std::size_t i = 0; i < sc.size(); ++i)
        sc[i] = best.spec->integral[i] ? std::max(1.0, 3e-4 * std::abs(best.theta[i])) : 0.02 * sc[i];
      candidate c = optimise(*best.spec, best.theta, best.conv, best.mask, best.offset, sub, opt.max_evaluations, buf, sc);
      if (c.bic < best.bic) best = std::move(c);
      per_family[fi] = std::move(best);
    }
  };
  const double n_full = static_cast<double>(full.size());
  const double denom_floor = std::max(1e-3 * peak, 100 * prec.absolute);
  // On a long log, the best finalist of pass 1 is refined and checked on every sample first; a finalist whose
  // fewest parameters put its least BIC (bic_at_least) 10 or more above that BIC cannot win, so it is neither
  // refined nor checked. This is the common case of a family that contains the winner (wsd with no stable phase
  // is a warmup_cosine) behind an exact fit.
  std::optional<std::pair<candidate, residual_summary>> checked_first;  // that finalist and its check
  auto is_checked_first = [&](const candidate& c) {
    const candidate& f = checked_first->first;
    return f.spec == c.spec && f.theta == c.theta && f.conv == c.conv && f.mask == c.mask && f.offset == c.offset;
  };
  double bic_first = 0;
  auto check_first = [&] {
    refine(0);
    const candidate& c = per_family[0];
    check_job job{&c.model, c.offset, c.k, {}};
    check_all(std::span<check_job>(&job, 1), full, denom_floor);
    checked_first.emplace(c, job.r);
    bic_first = bic(job.r.chi2, n_full, c.k);
  };
  auto least_bic = [&](std::string_view family) {  // by the fewest parameters of its descriptions and level masks
    double fewest = std::numeric_limits<double>::infinity();
    for (std::size_t si = 0; si < specs.size(); ++si)
      if (specs[si].family == family && screened_in(si))
        for (unsigned mask : specs[si].masks)
          fewest = std::min(fewest, static_cast<double>(std::popcount(mask) + specs[si].theta0.size()) + specs[si].extra_params);
    return bic_at_least(fewest, n_full);
  };
  std::vector<std::pair<double, std::string_view>> left_out;  // least BIC by the fewest parameters, family
  // The deferred families: left out by the bound, or fitted now. Those left out contain the best family and fit
  // the subset at least as well, so they stand for the close second that limits the finalists below.
  std::size_t deferred_left_out = 0;
  double deferred_bic = std::numeric_limits<double>::infinity();  // their best screened BIC
  if (std::find(deferred.begin(), deferred.end(), true) != deferred.end()) {
    check_first();
    const candidate refined = per_family[0];
    std::vector<std::size_t> bounded;
    bool fitted_more = false;
    for (std::size_t si = 0; si < specs.size(); ++si) {
      if (!deferred[si]) continue;
      const std::string_view family = specs[si].family;
      const double least = least_bic(family);
      if (least - bic_first >= 10) {
        bounded.push_back(si);
        deferred_bic = std::min(deferred_bic, screened.bic[si]);
        if (std::none_of(left_out.begin(), left_out.end(), [&](const auto& l) { return l.second == family; }))
          left_out.emplace_back(least, family), ++deferred_left_out;
      } else {
        pass1(si), fitted_more = true;
      }
    }
    if (fitted_more) {
      rank_first();
      if (per_family[0].spec->family == refined.spec->family) {
        per_family[0] = refined;
      } else {  // a deferred family came first after all: every family is fitted, and pass 2 goes on as without deferral
        for (std::size_t si : bounded) pass1(si);
        left_out.clear(), deferred_left_out = 0, deferred_bic = std::numeric_limits<double>::infinity();
        checked_first.reset();
        rank_first();
      }
    }
  }
  // Finalists after the second are refined only when not far behind it (a deferred family the bound left out
  // stands for the second); the others stay as pass 1 left them.
  std::size_t slots = opt.finalists;  // a deferred family the bound left out takes a finalist's place, not the best's
  if (slots > 1) slots -= std::min(slots - 1, deferred_left_out);
  std::size_t nfinal = std::min(slots, per_family.size());
  const double second = deferred_left_out > 0 ? deferred_bic : per_family.size() > 1 ? per_family[1].bic : 0.0;
  while (nfinal > (deferred_left_out > 0 ? 1 : 2) && !not_far_behind(per_family[nfinal - 1].bic, second)) --nfinal;
  if (long_log && (nfinal > 1 || checked_first)) {
    if (!checked_first) check_first();
    std::vector<candidate> kept, dropped;
    kept.push_back(std::move(per_family[0]));
    for (std::size_t fi = 1; fi < nfinal; ++fi) {
      const double least = least_bic(per_family[fi].spec->family);
      if (least - bic_first >= 10) {
        left_out.emplace_back(least, per_family[fi].spec->family);
        dropped.push_back(std::move(per_family[fi]));
      } else {
        refine(fi);
        kept.push_back(std::move(per_family[fi]));
      }
    }
    // the finalists left out go behind the others, before the families that were not finalists
    nfinal = kept.size();
    for (std::size_t i = 0; i < kept.size(); ++i) per_family[i] = std::move(kept[i]);
    for (std::size_t i = 0; i < dropped.size(); ++i) per_family[nfinal + i] = std::move(dropped[i]);
  } else {
    for (std::size_t fi = 0; fi < nfinal; ++fi) refine(fi);
  }

  // Pass 3: every sample, with the levels found on the subset; BIC decides. Long logs: only the best finalist
  // (by BIC on the subset) gets this pass, and the second when neither the subset nor the parameter count
  // separates them.
  std::sort(per_family.begin(), per_family.begin() + static_cast<std::ptrdiff_t>(nfinal),
            [](const candidate& a, const candidate& b) { return a.bic < b.bic; });
  // The runner-up of a long log gets the full pass only when the subset could not separate it from the best.
  std::size_t n_checked = per_family.size();
  if (long_log) {
    n_checked = 1;
    if (nfinal > 1 && per_family[1].bic - per_family[0].bic < 10 * std::log(static_cast<double>(sub.size()))) n_checked = 2;
  }
  // Only the best two full-sample BICs are used (the winner, and the runner-up in the note), so a family whose
  // BIC on part of the samples already exceeds the second best so far is not checked further.
  std::vector<std::pair<double, std::size_t>> ranking;
  std::vector<residual_summary> checks(n_checked);
  // The best on the subset is checked first, alone (unless it was, above).
  std::vector<check_job> jobs{{&per_family[0].model, per_family[0].offset, per_family[0].k, {}}};
  if (checked_first && is_checked_first(per_family[0])) jobs[0].r = checked_first->second;
  else check_all(jobs, full, denom_floor);
  // The same bound for the runner-up, once refined: it is not checked on every sample, and the note gives it.
  double runner_gap_at_least = 0;  // > 0: the runner-up was left out so, this far behind at least
  if (long_log && n_checked == 2) {
    const double gap = bic_at_least(per_family[1].k, n_full) - bic(jobs[0].r.chi2, n_full, per_family[0].k);
    if (gap >= 10) n_checked = 1, runner_gap_at_least = gap;
  }
  if (n_checked > 1) {
    jobs.push_back({&per_family[1].model, per_family[1].offset, per_family[1].k, {}});
    check_all(std::span<check_job>(jobs).subspan(1), full, denom_floor);
  }
  for (std::size_t i = 0; i < n_checked; ++i) {
    candidate& c = per_family[i];
    if (i < jobs.size()) {
      checks[i] = jobs[i].r;
    } else {
      double limit = std::numeric_limits<double>::infinity();
      if (ranking.size() >= 2) {
        std::partial_sort(ranking.begin(), ranking.begin() + 2, ranking.end());
        limit = ranking[1].first;
      }
      check_job job{&c.model, c.offset, c.k, {}};
      check_all(std::span<check_job>(&job, 1), full, denom_floor, limit);
      checks[i] = job.r;
    }
    if (!checks[i].complete) continue;
    c.chi2 = checks[i].chi2;
    c.bic = bic(c.chi2, n_full, c.k);
    ranking.emplace_back(c.bic, i);
  }
  // With finalists left out by the bound, the candidate it was taken from must be ranked (it is the one they
  // cannot beat), also when the subset put another first.
  if (checked_first && !left_out.empty())
    for (std::size_t i = n_checked; i < nfinal; ++i)
      if (is_checked_first(per_family[i])) {
        checks.resize(i + 1);
        checks[i] = checked_first->second;
        per_family[i].chi2 = checks[i].chi2;
        per_family[i].bic = bic(per_family[i].chi2, n_full, per_family[i].k);
        ranking.emplace_back(per_family[i].bic, i);
      }
  std::sort(ranking.begin(), ranking.end());
  const candidate& win = per_family[ranking.front().second];
  // The note's next family when none was checked: the closest finalist left out by the bound, if any.
  std::string_view runner_family = runner_gap_at_least > 0 ? family_name(per_family[1].model) : std::string_view{};
  if (ranking.size() == 1 && runner_gap_at_least == 0 && !left_out.empty()) {
    const auto closest = std::min_element(left_out.begin(), left_out.end());
    runner_gap_at_least = closest->first - win.bic, runner_family = closest->second;
  }

  schedule_fit fit;
  fit.family = std::string(family_name(win.model));
  fit.model = win.model;
  fit.step_offset = static_cast<std::int64_t>(std::llround(win.offset));
  fit.params = report_params(win.model);
  fit.convention = describe_offset(win.offset) + "; " + win.spec->describe(win.conv) + "; " + prec.description;
  fit.information_criterion = win.bic;
  fit.samples = full.size();
  fit.max_relative_error = checks[ranking.front().second].max_relative;
  fit.rms_relative_error = std::sqrt(checks[ranking.front().second].sum_squared_relative / n_full);
  for (std::size_t r = 1; r < ranking.size(); ++r)
    fit.alternatives.emplace_back(std::string(family_name(per_family[ranking[r].second].model)), ranking[r].first);

  // A decay that ends after the log: how well does the curvature seen so far fix its end?
  const auto end = decay_end(win.model);
  const double last_gap = full.size() > 1 ? full.step(full.size() - 1) - full.step(full.size() - 2) : 1.0;
  if (end && *end + win.offset > feats.s_last + last_gap && win.spec->total_index >= 0) {
    candidate on_sub = win;
    on_sub.chi2 = evaluate(*win.spec, win.theta, win.conv, win.mask, win.offset, sub, buf);
    const double s2 = std::max(on_sub.chi2 / std::max(1.0, static_cast<double>(sub.size()) - win.k), 1.0);
    fit.total_steps_uncertainty =
        scan_uncertainty(on_sub, static_cast<std::size_t>(win.spec->total_index), sub, 4.0 * s2, buf,
                         10 * (feats.s_last - feats.s_first + 1));
  }

  std::string note;
  if (fit.total_steps_uncertainty && *fit.total_steps_uncertainty >= 5 * (feats.s_last - feats.s_first + 1)) {
    note = "The log stops at step " + format_number(feats.s_last, 10) +
           ", long before the decay could end; where it ends is not determined by the log.";
  } else if (fit.total_steps_uncertainty) {
    note = "The log stops at step " + format_number(feats.s_last, 10) + ", before the decay ends; the end (step " +
           format_number(*end + win.offset, 10) + ") is extrapolated from the curve so far" +
           (*fit.total_steps_uncertainty < 1 ? std::string(" to within a step.")
                                             : ", about +-" + format_number(*fit.total_steps_uncertainty, 3) + " steps.");
  } else {
    const bool exact = fit.max_relative_error <= std::max(1e-6, 4 * prec.relative);
    note = fit.family + " matches every logged lr " +
           (exact ? std::string("to the log's own precision") : "within " + format_number(100 * fit.max_relative_error, 2) + "%");
    if (runner_gap_at_least > 0)
      note += ", far better than the next family, " + std::string(runner_family) + " (BIC at least " +
              format_number(runner_gap_at_least, 3) + " higher, by its parameter count alone).";
    else if (fit.alternatives.empty()) note += ".";
    else {
      const double gap = fit.alternatives.front().second - win.bic;
      const candidate& runner = per_family[ranking[1].second];
      if (gap >= 10)
        note += ", far better than the next family, " + fit.alternatives.front().first + " (BIC " + format_number(gap, 3) +
                " higher).";
      else if (runner.k > win.k && runner.chi2 >= win.chi2 - std::max(win.chi2 / n_full, 1.0))
        note += "; " + fit.alternatives.front().first + " fits no better with more parameters (BIC " +
                format_number(gap, 2) + " higher), so the simpler family is preferred.";
      else
        note += "; " + fit.alternatives.front().first + " fits nearly as well (BIC " + format_number(gap, 2) +
                " higher), so the family is uncertain.";
    }
  }
  fit.certainty_note = std::move(note);
  return fit;
}

/// One fit per parameter group (run.lr_groups); the first group's fit is the run's schedule.
inline std::vector<result<schedule_fit>> reconstruct_schedules(std::span<const series> groups,
                                                               const reconstruct_options& opt = {}) {
  std::vector<result<schedule_fit>> out;
  out.reserve(groups.size());
  for (const auto& g : groups) out.push_back(reconstruct_schedule(g.step_view(), g.view(), opt));
  return out;
}

}  // namespace trainscope::inline v1
