#pragma once
/** A small Nelder–Mead simplex minimiser for the few step-like parameters of a schedule fit. */
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numeric>
#include <vector>

namespace trainscope::inline v1::detail {

/**
 * Minimises f over R^n from x0, with initial simplex edges `scale`; standard coefficients
 * (reflection 1, expansion 2, contraction 0.5, shrink 0.5; Nelder & Mead 1965, as in Numerical Recipes §10.5).
 * Stops after `max_evals` evaluations or when the simplex's values agree to `ftol` (relative) and its
 * vertices to `xtol` (absolute, in each coordinate), or, when `enough` is given, as soon as every vertex is within
 * `enough[j]` of the best in each coordinate j, whatever the values (parameters rounded afterwards need no more).
 * Returns the best vertex; `fbest` receives its value.
 */
template <class F>
std::vector<double> nelder_mead(F&& f, std::vector<double> x0, const std::vector<double>& scale, int max_evals,
                                double& fbest, double ftol = 1e-12, double xtol = 1e-3,
                                const std::vector<double>& enough = {}) {
  const std::size_t n = x0.size();
  if (n == 0) {
    fbest = f(x0);
    return x0;
  }
  std::vector<std::vector<double>> p(n + 1, x0);
  std::vector<double> fv(n + 1);
  for (std::size_t i = 0; i < n; ++i) p[i + 1][i] += scale[i];
  int evals = 0;
  for (std::size_t i = 0; i <= n; ++i) fv[i] = f(p[i]), ++evals;
  std::vector<std::size_t> order(n + 1);
  std::vector<double> centroid(n), xr(n), xe(n), xc(n);
  while (evals < max_evals) {
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return fv[a] < fv[b]; });
    const std::size_t best = order[0], worst = order[n], second = order[n - 1];
    double spread = 0;
    for (std::size_t i = 0; i <= n; ++i)
      for (std::size_t j = 0; j < n; ++j) spread = std::max(spread, std::abs(p[i][j] - p[best][j]));
    const double fscale = std::abs(fv[best]) + std::abs(fv[worst]) + 1e-300;
    if (2.0 * std::abs(fv[worst] - fv[best]) <= ftol * fscale && spread <= xtol) break;
    if (spread <= xtol * 1e-3) break;
    if (!enough.empty()) {
      bool within = true;
      for (std::size_t i = 0; i <= n && within; ++i)
        for (std::size_t j = 0; j < n; ++j) within = within && std::abs(p[i][j] - p[best][j]) <= enough[j];
      if (within) break;
    }
    std::fill(centroid.begin(), centroid.end(), 0.0);
    for (std::size_t i = 0; i <= n; ++i)
      if (i != worst)
        for (std::size_t j = 0; j < n; ++j) centroid[j] += p[i][j] / static_cast<double>(n);
    for (std::size_t j = 0; j < n; ++j) xr[j] = centroid[j] + (centroid[j] - p[worst][j]);
    const double fr = f(xr);
    ++evals;
    if (fr < fv[best]) {
      for (std::size_t j = 0; j < n; ++j) xe[j] = centroid[j] + 2.0 * (centroid[j] - p[worst][j]);
      const double fe = f(xe);
      ++evals;
      if (fe < fr) p[worst] = xe, fv[worst] = fe;
      else p[worst] = xr, fv[worst] = fr;
      continue;
    }
    if (fr < fv[second]) {
      p[worst] = xr, fv[worst] = fr;
      continue;
    }
    const bool outside = fr < fv[worst];
    for (std::size_t j = 0; j < n; ++j)
      xc[j] = outside ? centroid[j] + 0.5 * (xr[j] - centroid[j]) : centroid[j] + 0.5 * (p[worst][j] - centroid[j]);
    const double fc = f(xc);
    ++evals;
    if (fc < std::min(fr, fv[worst])) {
      p[worst] = xc, fv[worst] = fc;
      continue;
    }
    for (std::size_t i = 0; i <= n; ++i) {
      if (i == best) continue;
      for (std::size_t j = 0; j < n; ++j) p[i][j] = p[best][j] + 0.5 * (p[i][j] - p[best][j]);
      fv[i] = f(p[i]);
      ++evals;
    }
  }
  const auto b = static_cast<std::size_t>(std::min_element(fv.begin(), fv.end()) - fv.begin());
  fbest = fv[b];
  return p[b];
}

}  // namespace trainscope::inline v1::detail
