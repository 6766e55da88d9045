#pragma once
/**
 * Power-law learning curve L(t) = E + A t^-alpha: the model, its forecast with
 * uncertainty, and a dependency-free variable-projection fit.
 */
#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <span>
#include <vector>

#include "trainscope/stats/robust.hpp"

namespace trainscope::inline v1 {

/** A forecast of the curve's mean level with an interval. */
struct curve_forecast {
  double value = std::nan("");
  double low = std::nan(""), high = std::nan("");  ///< two-sided interval at `level`
  double standard_error = std::nan("");
  double level = 0.9;
  bool ok() const noexcept { return std::isfinite(value); }
};

/**
 * Parameters of L(t) = E + A (t / t_scale)^-alpha with their covariance.
 *
 * t is the step count (t > 0). The curve is parametrised at `t_scale` (the last
 * fitted step) so A is the excess loss there and the fit is well conditioned.
 * Saturating power laws of this form describe learning curves in Hestness et al.
 * 2017 ("Deep Learning Scaling is Predictable, Empirically") and Kaplan et al. 2020.
 */
struct power_law_fit {
  bool ok = false;
  double e = std::nan(""), a = std::nan(""), alpha = std::nan("");
  double t_scale = 1.0;
  /// Row-major covariance of (E, A, alpha); from s^2 (J^T J)^-1 (Gauss-Newton approximation).
  std::array<double, 9> covariance{};
  double residual_sigma = std::nan("");  ///< sqrt(RSS / (n - 3))
  std::size_t points = 0;

  /// Model value at step `t`.
  double operator()(double t) const noexcept { return e + a * std::pow(t / t_scale, -alpha); }

  /// Gradient of the model value w.r.t. (E, A, alpha) at `t`.
  std::array<double, 3> gradient(double t) const noexcept {
    const double x = t / t_scale, p = std::pow(x, -alpha);
    return {1.0, p, -a * std::log(x) * p};
  }

  /**
   * Forecast of the mean curve at step `t` with a `level` interval (e.g. 0.9 for
   * 90 %), by the delta method: var = g^T C g, g the gradient above, and a
   * Student-t quantile with n - 3 degrees of freedom. It is the uncertainty of the
   * fitted curve, not of a single noisy checkpoint, and assumes the model holds.
   */
  curve_forecast forecast(double t, double level = 0.9) const noexcept {
    curve_forecast f;
    f.level = level;
    if (!ok) return f;
    f.value = (*this)(t);
    const auto g = gradient(t);
    double var = 0;
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 3; ++j) var += g[i] * covariance[3 * i + j] * g[j];
    f.standard_error = std::sqrt(std::max(var, 0.0));
    const double dof = points > 3 ? static_cast<double>(points - 3) : 1.0;
    const double q = student_t_quantile(0.5 + level / 2, dof);
    f.low = f.value - q * f.standard_error;
    f.high = f.value + q * f.standard_error;
    return f;
  }
};

/** Search range of the exponent for `fit_power_law`. */
struct power_law_options {
  double alpha_min = 0.02;
  double alpha_max = 4.0;
  std::size_t grid = 64;  ///< log-spaced grid points before the golden-section refinement
  /// Constrain E >= 0: right for losses bounded below by 0 (cross-entropy, squared error).
  bool nonnegative_e = false;
};

namespace detail {

/// Inverts a symmetric 3x3 matrix by its adjugate; false when (near) singular.
inline bool invert3(const std::array<double, 9>& m, std::array<double, 9>& inv) noexcept {
  const double c00 = m[4] * m[8] - m[5] * m[7], c01 = m[5] * m[6] - m[3] * m[8], c02 = m[3] * m[7] - m[4] * m[6];
  const double det = m[0] * c00 + m[1] * c01 + m[2] * c02;
  const double scale = std::abs(m[0] * m[4] * m[8]) + 1e-300;
  if (!(std::abs(det) > 1e-14 * scale)) return false;
  inv = {c00, m[2] * m[7] - m[1] * m[8], m[1] * m[5] - m[2] * m[4],
         c01, m[0] * m[8] - m[2] * m[6], m[2] * m[3] - m[0] * m[5],
         c02, m[1] * m[6] - m[0] * m[7], m[0] * m[4] - m[1] * m[3]};
  for (double& v : inv) v /= det;
  return true;
}

struct linear_solution {
  double e = 0, a = 0, rss = std::numeric_limits<double>::infinity();
  bool e_at_bound = false;  ///< E was clamped to 0
  double sb = 0, sbb = 0;   ///< sum of x^-alpha and of its square over the points
};

/// For a fixed alpha the model is linear in (E, A): closed-form least squares. `basis` (resized to the
/// points) keeps x^-alpha between the sums and the residuals, so each power is computed once.
inline linear_solution solve_linear(std::span<const double> x, std::span<const double> y, double alpha,
                                    bool nonnegative_e, std::vector<double>& basis) {
  double sb = 0, sbb = 0, sy = 0, sby = 0;
  const double n = static_cast<double>(x.size());
  basis.resize(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double b = std::pow(x[i], -alpha);
    basis[i] = b;
    sb += b;
    sbb += b * b;
    sy += y[i];
    sby += b * y[i];
  }
  linear_solution s;
  s.sb = sb, s.sbb = sbb;
  const double det = n * sbb - sb * sb;
  if (!(det > 1e-12 * n * sbb)) return s;
  s.a = (n * sby - sb * sy) / det;
  s.e = (sy - s.a * sb) / n;
  if (nonnegative_e && s.e < 0) {
    // the constrained optimum lies on the bound E = 0 (the problem is convex in (E, A))
    s.e = 0;
    s.a = sby / sbb;
    s.e_at_bound = true;
  }
  s.rss = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double r = y[i] - s.e - s.a * basis[i];
    s.rss += r * r;
  }
  return s;
}

inline linear_solution solve_linear(std::span<const double> x, std::span<const double> y, double alpha,
                                    bool nonnegative_e = false) {
  std::vector<double> basis;
  return solve_linear(x, y, alpha, nonnegative_e, basis);
}

/// Fills covariance and residual sigma of a converged fit from its Jacobian.
inline void finish_power_law_fit(power_law_fit& f, std::span<const double> t, std::span<const double> y,
                                 bool e_fixed = false) noexcept {
  std::array<double, 9> jtj{};
  double rss = 0;
  for (std::size_t i = 0; i < t.size(); ++i) {
    const auto g = f.gradient(t[i]);
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 3; ++c) jtj[3 * r + c] += g[r] * g[c];
    const double res = y[i] - f(t[i]);
    rss += res * res;
  }
  f.points = t.size();
  f.residual_sigma = t.size() > 3 ? std::sqrt(rss / static_cast<double>(t.size() - 3)) : std::nan("");
  std::array<double, 9> inv{};
  if (e_fixed) {
    // E sits on its bound: (A, alpha) vary, E has no variance (2x2 inverse embedded in 3x3)
    const double a = jtj[4], b = jtj[5], d = jtj[8], det = a * d - b * b;
    if (!(std::abs(det) > 1e-14 * std::abs(a * d))) {
      f.covariance.fill(std::numeric_limits<double>::infinity());
      return;
    }
    inv = {0, 0, 0, 0, d / det, -b / det, 0, -b / det, a / det};
  } else if (!detail::invert3(jtj, inv) || !std::isfinite(f.residual_sigma)) {
    f.covariance.fill(std::numeric_limits<double>::infinity());
    return;
  }
  const double s2 = f.residual_sigma * f.residual_sigma;
  for (std::size_t k = 0; k < 9; ++k) f.covariance[k] = s2 * inv[k];
}

}  // namespace detail

/**
 * Least-squares fit of L(t) = E + A t^-alpha by variable projection (Golub &
 * Pereyra 1973): for each alpha, E and A are the closed-form linear least squares;
 * the residual sum over alpha is minimised on a log grid then by golden section.
 * Covariance from the 3x3 Gauss-Newton matrix at the optimum. Needs t > 0 and at
 * least 4 finite points (non-finite points are skipped). O(n (grid + 40)).
 */
inline power_law_fit fit_power_law(std::span<const double> t, std::span<const double> y,
                                   const power_law_options& opts = {}) {
  power_law_fit f;
  std::vector<double> ts, ys;
  for (std::size_t i = 0; i < t.size() && i < y.size(); ++i)
    if (std::isfinite(y[i]) && t[i] > 0) {
      ts.push_back(t[i]);
      ys.push_back(y[i]);
    }
  if (ts.size() < 4) return f;
  f.t_scale = *std::max_element(ts.begin(), ts.end());
  std::vector<double> x(ts.size());
  for (std::size_t i = 0; i < ts.size(); ++i) x[i] = ts[i] / f.t_scale;
  std::vector<double> basis(x.size());

  const double la = std::log(opts.alpha_min), lb = std::log(opts.alpha_max);
  const std::size_t grid = std::max<std::size_t>(opts.grid, 3);
  std::size_t best = 0;
  double best_rss = std::numeric_limits<double>::infinity();
  for (std::size_t k = 0; k < grid; ++k) {
    const double alpha = std::exp(la + (lb - la) * static_cast<double>(k) / static_cast<double>(grid - 1));
    const double rss = detail::solve_linear(x, ys, alpha, opts.nonnegative_e, basis).rss;
    if (rss < best_rss) {
      best_rss = rss;
      best = k;
    }
  }
  if (!std::isfinite(best_rss)) return f;
  // golden-section search in log(alpha) on the bracket around the best grid point
  const double step = (lb - la) / static_cast<double>(grid - 1);
  double lo = la + step * (static_cast<double>(best) - 1), hi = la + step * (static_cast<double>(best) + 1);
  lo = std::max(lo, la);
  hi = std::min(hi, lb);
  const double phi = 0.6180339887498949;
  double c = hi - phi * (hi - lo), d = lo + phi * (hi - lo);
  double fc = detail::solve_linear(x, ys, std::exp(c), opts.nonnegative_e, basis).rss, fd = detail::solve_linear(x, ys, std::exp(d), opts.nonnegative_e, basis).rss;
  for (int it = 0; it < 40; ++it) {
    if (fc < fd) {
      hi = d;
      d = c;
      fd = fc;
      c = hi - phi * (hi - lo);
      fc = detail::solve_linear(x, ys, std::exp(c), opts.nonnegative_e, basis).rss;
    } else {
      lo = c;
      c = d;
      fc = fd;
      d = lo + phi * (hi - lo);
      fd = detail::solve_linear(x, ys, std::exp(d), opts.nonnegative_e, basis).rss;
    }
  }
  const double alpha = std::exp(0.5 * (lo + hi));
  const auto lin = detail::solve_linear(x, ys, alpha, opts.nonnegative_e, basis);
  if (!std::isfinite(lin.rss)) return f;
  f.e = lin.e;
  f.a = lin.a;
  f.alpha = alpha;
  f.ok = true;
  detail::finish_power_law_fit(f, ts, ys, lin.e_at_bound);
  return f;
}

/**
 * Forecast at step `t_star` with a profile-likelihood interval: the delta method of
 * `power_law_fit::forecast` is optimistic when alpha is weakly determined (coverage
 * of a nominal 90 % interval measured at 70-85 % on noisy power laws), because the
 * forecast is far from linear in alpha. Here alpha ranges over its profile
 * confidence set {alpha : (RSS(alpha) - RSS_min) / s^2 <= t^2} (Venzon & Moolgavkar
 * 1988), and for each alpha the linear (E, A) uncertainty of the forecast is added;
 * the interval is the union, so it is conservative. `fit` must come from the same
 * data (it supplies t_scale, s and the point forecast). O(n * 200).
 */
inline curve_forecast forecast_power_law_profile(std::span<const double> t, std::span<const double> y,
                                                 const power_law_fit& fit, double t_star, double level = 0.9,
                                                 const power_law_options& opts = {}) {
  curve_forecast out;
  out.level = level;
  if (!fit.ok || fit.points < 4 || !std::isfinite(fit.residual_sigma)) return out;
  std::vector<double> x, ys;
  for (std::size_t i = 0; i < t.size() && i < y.size(); ++i)
    if (std::isfinite(y[i]) && t[i] > 0) {
      x.push_back(t[i] / fit.t_scale);
      ys.push_back(y[i]);
    }
  const double dof = static_cast<double>(x.size()) - 3.0;
  if (dof < 1) return out;
  const double s2 = fit.residual_sigma * fit.residual_sigma;
  const double rss_min = s2 * dof;
  const double q = student_t_quantile(0.5 + level / 2, dof);
  const double xs = t_star / fit.t_scale;
  out.value = fit(t_star);
  out.low = out.high = out.value;
  std::vector<double> basis(x.size());
  const auto consider = [&](double alpha) {
    const auto lin = detail::solve_linear(x, ys, alpha, opts.nonnegative_e, basis);
    if (!std::isfinite(lin.rss) || (lin.rss - rss_min) > q * q * s2) return;
    const double sb = lin.sb, sbb = lin.sbb;  // the same sums of the same powers, in the same order
    const double n = static_cast<double>(x.size()), bs = std::pow(xs, -alpha);
    const double var = lin.e_at_bound ? s2 * bs * bs / sbb
                                      : s2 * (sbb - 2 * bs * sb + bs * bs * n) / (n * sbb - sb * sb);
    const double f = lin.e + lin.a * bs, half = q * std::sqrt(std::max(var, 0.0));
    out.low = std::min(out.low, f - half);
    out.high = std::max(out.high, f + half);
  };
  const double la = std::log(opts.alpha_min), lb = std::log(opts.alpha_max);
  for (int k = 0; k < 200; ++k) consider(std::exp(la + (lb - la) * k / 199.0));
  consider(fit.alpha);
  out.standard_error = (out.high - out.low) / (2 * q);
  return out;
}

}  // namespace trainscope::inline v1
