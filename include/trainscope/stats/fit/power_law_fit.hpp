#pragma once
/**
 * Power-law learning-curve fit by Levenberg-Marquardt with Eigen: the same model
 * as <trainscope/stats/power_law.hpp>, fitted jointly in (E, A, alpha) with optional
 * per-point weights, started from the variable-projection fit there.
 */
#include <cmath>
#include <cstddef>
#include <span>
#include <vector>

#include <Eigen/Dense>

#include "trainscope/stats/fit/levenberg_marquardt.hpp"
#include "trainscope/stats/power_law.hpp"

namespace trainscope::inline v1 {

/**
 * Joint Levenberg-Marquardt fit of L(t) = E + A (t/t_scale)^-alpha.
 *
 * Use it over `fit_power_law` when points have unequal noise (`sigma`, one per
 * point, e.g. eval loss over eval sets of different size): the covariance is then
 * (J^T W J)^-1 with W = 1/sigma^2. Without `sigma` it refines the
 * variable-projection optimum and returns the same fit to numerical precision.
 */
inline power_law_fit fit_power_law_lm(std::span<const double> t, std::span<const double> y,
                                      std::span<const double> sigma = {}, const power_law_options& opts = {}) {
  std::vector<double> ts, ys, ws;
  for (std::size_t i = 0; i < t.size() && i < y.size(); ++i)
    if (std::isfinite(y[i]) && t[i] > 0 && (sigma.empty() || (i < sigma.size() && sigma[i] > 0))) {
      ts.push_back(t[i]);
      ys.push_back(y[i]);
      if (!sigma.empty()) ws.push_back(1.0 / (sigma[i] * sigma[i]));
    }
  power_law_fit start = fit_power_law(ts, ys, opts);
  // with E constrained and on its bound, the variable-projection fit is already the constrained optimum
  if (!start.ok || (opts.nonnegative_e && start.e <= 0)) return start;
  const double scale = start.t_scale;
  auto model = [scale](double x, const Eigen::VectorXd& p, Eigen::Ref<Eigen::RowVectorXd> g) {
    const double u = x / scale, pw = std::pow(u, -p[2]);
    g[0] = 1.0;
    g[1] = pw;
    g[2] = -p[1] * std::log(u) * pw;
    return p[0] + p[1] * pw;
  };
  Eigen::VectorXd p0(3);
  p0 << start.e, start.a, start.alpha;
  lm_options lm;
  lm.known_sigma = !sigma.empty();
  const lm_result r = levenberg_marquardt(model, ts, ys, p0, ws, lm);
  if (!(r.rss <= std::numeric_limits<double>::max()) || !r.parameters.allFinite()) return start;
  if (opts.nonnegative_e && r.parameters[0] < 0) return start;
  power_law_fit f;
  f.ok = true;
  f.t_scale = scale;
  f.e = r.parameters[0];
  f.a = r.parameters[1];
  f.alpha = r.parameters[2];
  f.points = ts.size();
  double rss = 0;
  for (std::size_t i = 0; i < ts.size(); ++i) rss += (ys[i] - f(ts[i])) * (ys[i] - f(ts[i]));
  f.residual_sigma = ts.size() > 3 ? std::sqrt(rss / static_cast<double>(ts.size() - 3)) : std::nan("");
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) f.covariance[static_cast<std::size_t>(3 * i + j)] = r.covariance(i, j);
  return f;
}

}  // namespace trainscope::inline v1
