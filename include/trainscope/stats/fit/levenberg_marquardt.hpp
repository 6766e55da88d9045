#pragma once
/** General nonlinear least squares (Levenberg-Marquardt) with Eigen, and its covariance. */
#include <cmath>
#include <cstddef>
#include <limits>
#include <span>

#include <Eigen/Dense>

namespace trainscope::inline v1 {

/** Outcome of a Levenberg-Marquardt fit. */
struct lm_result {
  Eigen::VectorXd parameters;
  Eigen::MatrixXd covariance;  ///< s^2 (J^T W J)^-1, s^2 = weighted RSS / (n - p) (1 when weights are 1/sigma_i^2 known: see `known_sigma`)
  double rss = std::numeric_limits<double>::infinity();  ///< weighted residual sum of squares
  std::size_t iterations = 0;
  bool converged = false;
};

/** Stopping rules and damping for `levenberg_marquardt`. */
struct lm_options {
  std::size_t max_iterations = 200;
  double relative_tolerance = 1e-10;  ///< stop when the RSS improves by less than this fraction
  double initial_lambda = 1e-3;
  bool known_sigma = false;  ///< weights are exact 1/sigma_i^2: do not rescale the covariance by s^2
};

/**
 * Levenberg-Marquardt (Marquardt 1963; Nocedal & Wright, Numerical Optimization,
 * ch. 10.3) with Marquardt's diagonal scaling. `Model` is any callable
 * `model(double x, const Eigen::VectorXd& p, Eigen::Ref<Eigen::RowVectorXd> grad) -> double`
 * returning the value and writing d value / d p. `weights` (optional, empty = 1)
 * are 1/sigma_i^2. O(iterations * n * p^2).
 */
template <class Model>
lm_result levenberg_marquardt(const Model& model, std::span<const double> x, std::span<const double> y,
                              Eigen::VectorXd p0, std::span<const double> weights = {}, const lm_options& opts = {}) {
  const auto n = static_cast<Eigen::Index>(x.size());
  const auto np = p0.size();
  lm_result out;
  out.parameters = std::move(p0);
  Eigen::MatrixXd jac(n, np);
  Eigen::VectorXd res(n), w = Eigen::VectorXd::Ones(n);
  if (!weights.empty())
    for (Eigen::Index i = 0; i < n; ++i) w[i] = weights[static_cast<std::size_t>(i)];
  auto evaluate = [&](const Eigen::VectorXd& p, bool with_jacobian) {
    double rss = 0;
    Eigen::RowVectorXd g(np);
    for (Eigen::Index i = 0; i < n; ++i) {
      const double v = model(x[static_cast<std::size_t>(i)], p, g);
      res[i] = y[static_cast<std::size_t>(i)] - v;
      if (with_jacobian) jac.row(i) = g;
      rss += w[i] * res[i] * res[i];
    }
    return std::isfinite(rss) ? rss : std::numeric_limits<double>::infinity();
  };
  if (n <= np) return out;
  double rss = evaluate(out.parameters, true);
  double lambda = opts.initial_lambda;
  for (out.iterations = 0; out.iterations < opts.max_iterations; ++out.iterations) {
    const Eigen::MatrixXd jtwj = jac.transpose() * w.asDiagonal() * jac;
    const Eigen::VectorXd jtwr = jac.transpose() * (w.array() * res.array()).matrix();
    bool improved = false;
    for (int tries = 0; tries < 30 && !improved; ++tries) {
      Eigen::MatrixXd a = jtwj;
      a.diagonal() += lambda * jtwj.diagonal().cwiseMax(1e-12);
      const Eigen::VectorXd delta = a.ldlt().solve(jtwr);
      const Eigen::VectorXd candidate = out.parameters + delta;
      const double new_rss = evaluate(candidate, false);
      if (new_rss < rss) {
        const double gain = (rss - new_rss) / std::max(rss, 1e-300);
        out.parameters = candidate;
        rss = evaluate(out.parameters, true);
        lambda = std::max(lambda / 10, 1e-12);
        improved = true;
        if (gain < opts.relative_tolerance) out.converged = true;
      } else {
        lambda *= 10;
      }
    }
    if (!improved) out.converged = true;  // no downhill step at any damping: at a minimum
    if (out.converged) break;
  }
  evaluate(out.parameters, true);
  out.rss = rss;
  const Eigen::MatrixXd jtwj = jac.transpose() * w.asDiagonal() * jac;
  const double s2 = opts.known_sigma ? 1.0 : rss / static_cast<double>(n - np);
  Eigen::FullPivLU<Eigen::MatrixXd> lu(jtwj);
  out.covariance = lu.isInvertible()
                       ? Eigen::MatrixXd(s2 * lu.inverse())
                       : Eigen::MatrixXd::Constant(np, np, std::numeric_limits<double>::infinity());
  return out;
}

}  // namespace trainscope::inline v1
