#pragma once
/** Robust estimate of the noise around a curve's trend. */
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "trainscope/stats/robust.hpp"

namespace trainscope::inline v1 {

/** A noise level with how much data it rests on. */
struct noise_estimate {
  double sigma = std::nan("");  ///< standard deviation of one sample around the trend
  std::size_t residuals = 0;    ///< residuals it was computed from (0: not estimable)
  bool ok() const noexcept { return residuals >= 2 && std::isfinite(sigma); }
};

/**
 * Noise of a sampled curve from the residual of each point against the straight
 * line through its two neighbours, scaled by the MAD.
 *
 * Why this and not the MAD of first differences: first differences keep the trend
 * (a validation loss falling 3 % per checkpoint looks like 3 % noise), while the
 * neighbour interpolation removes any locally linear trend without fitting a
 * model. Why not residuals of a global fit: that needs a model of the curve
 * (power law? V-shape?) chosen before we know what the run did. Curvature
 * leaks in only where the curve bends sharply (early training), and the median
 * ignores it while such points are fewer than half.
 *
 * For uneven steps, point i is compared with w*y[i-1] + (1-w)*y[i+1],
 * w = (t[i+1]-t[i])/(t[i+1]-t[i-1]); with independent noise the residual has variance
 * sigma^2 (1 + w^2 + (1-w)^2), which each residual is divided by (for even steps
 * this is the second difference / 2, variance 1.5 sigma^2). Non-finite points are skipped.
 * O(n).
 */
inline noise_estimate estimate_noise(std::span<const std::int64_t> steps, std::span<const double> values) {
  std::vector<std::size_t> idx;
  idx.reserve(values.size());
  for (std::size_t i = 0; i < values.size() && i < steps.size(); ++i)
    if (std::isfinite(values[i])) idx.push_back(i);
  noise_estimate out;
  if (idx.size() < 3) return out;
  std::vector<double> r;
  r.reserve(idx.size());
  for (std::size_t k = 1; k + 1 < idx.size(); ++k) {
    const double t0 = static_cast<double>(steps[idx[k - 1]]), t1 = static_cast<double>(steps[idx[k]]),
                 t2 = static_cast<double>(steps[idx[k + 1]]);
    if (!(t2 > t0)) continue;
    const double w = (t2 - t1) / (t2 - t0);
    const double pred = w * values[idx[k - 1]] + (1 - w) * values[idx[k + 1]];
    r.push_back((values[idx[k]] - pred) / std::sqrt(1 + w * w + (1 - w) * (1 - w)));
  }
  out.residuals = r.size();
  // residuals have mean ~0 by construction, so take the MAD about 0 (more stable for few points)
  for (double& x : r) x = std::abs(x);
  out.sigma = mad_to_sigma * median(r);
  return out;
}

/// Noise of evenly spaced values (see the stepped overload).
inline noise_estimate estimate_noise(std::span<const double> values) {
  std::vector<std::int64_t> steps(values.size());
  for (std::size_t i = 0; i < steps.size(); ++i) steps[i] = static_cast<std::int64_t>(i);
  return estimate_noise(steps, values);
}

/// Noise from residuals against a fitted curve you already have (MAD about 0, scaled). O(n).
inline noise_estimate noise_from_residuals(std::span<const double> values, std::span<const double> fitted) {
  std::vector<double> r;
  for (std::size_t i = 0; i < values.size() && i < fitted.size(); ++i)
    if (std::isfinite(values[i]) && std::isfinite(fitted[i])) r.push_back(std::abs(values[i] - fitted[i]));
  noise_estimate out;
  out.residuals = r.size();
  if (!r.empty()) out.sigma = mad_to_sigma * median(r);
  return out;
}

}  // namespace trainscope::inline v1
