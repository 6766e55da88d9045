#pragma once
/** Prechelt's early-stopping criteria GL, PQ and UP, evaluated over a finished run. */
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>

namespace trainscope::inline v1 {

/** How one stopping criterion behaved over a run. */
struct stopping_rule_result {
  double max_value = 0;                    ///< largest value the criterion reached
  std::optional<std::size_t> first_fired;  ///< checkpoint index where it would first have stopped
};

/**
 * Generalization loss GL(t) = 100 (E_va(t) / E_opt(t) - 1), E_opt the best
 * validation loss so far (Prechelt 1998, "Early Stopping - but when?", eq. 1).
 * GL_alpha stops at the first t with GL(t) > alpha. O(n).
 */
inline stopping_rule_result prechelt_gl(std::span<const double> val, double alpha) {
  stopping_rule_result r;
  double best = std::numeric_limits<double>::infinity();
  for (std::size_t t = 0; t < val.size(); ++t) {
    if (!std::isfinite(val[t])) continue;
    best = std::min(best, val[t]);
    const double gl = best > 0 ? 100.0 * (val[t] / best - 1.0) : 0.0;
    r.max_value = std::max(r.max_value, gl);
    if (gl > alpha && !r.first_fired) r.first_fired = t;
  }
  return r;
}

/**
 * Training progress P_k(t) = 1000 (sum of E_tr over the strip / (k min over the strip) - 1)
 * (Prechelt eq. 2), strip = the k checkpoints ending at t.
 */
inline double prechelt_progress(std::span<const double> train, std::size_t t, std::size_t k) {
  double sum = 0, mn = std::numeric_limits<double>::infinity();
  for (std::size_t j = t + 1 - k; j <= t; ++j) {
    sum += train[j];
    mn = std::min(mn, train[j]);
  }
  return mn > 0 ? 1000.0 * (sum / (static_cast<double>(k) * mn) - 1.0) : 0.0;
}

/**
 * Quotient PQ_alpha: stop at the first strip end with GL(t) / P_k(t) > alpha
 * (Prechelt eq. 3). `train` is the training loss at each validation checkpoint. O(n k).
 */
inline stopping_rule_result prechelt_pq(std::span<const double> val, std::span<const double> train, double alpha,
                                        std::size_t k) {
  stopping_rule_result r;
  double best = std::numeric_limits<double>::infinity();
  for (std::size_t t = 0; t < val.size() && t < train.size(); ++t) {
    if (std::isfinite(val[t])) best = std::min(best, val[t]);
    if ((t + 1) % k != 0 || !std::isfinite(val[t])) continue;
    bool finite = true;
    for (std::size_t j = t + 1 - k; j <= t; ++j) finite = finite && std::isfinite(train[j]);
    if (!finite) continue;
    const double gl = best > 0 ? 100.0 * (val[t] / best - 1.0) : 0.0;
    const double p = prechelt_progress(train, t, k);
    // no training progress at all: PQ is unbounded when GL > 0
    const double pq = p > 0 ? gl / p : (gl > 0 ? std::numeric_limits<double>::infinity() : 0.0);
    r.max_value = std::max(r.max_value, pq);
    if (pq > alpha && !r.first_fired) r.first_fired = t;
  }
  return r;
}

/**
 * UP_s: stop when the validation loss rose in s successive strips of length k,
 * i.e. E_va(t) > E_va(t - k) at s consecutive strip ends (Prechelt sec. 2.2).
 * `max_value` is the longest such run of rising strips. O(n).
 */
inline stopping_rule_result prechelt_up(std::span<const double> val, std::size_t s, std::size_t k) {
  stopping_rule_result r;
  std::size_t run = 0;
  for (std::size_t t = 2 * k - 1; t < val.size(); t += k) {
    const bool up = std::isfinite(val[t]) && std::isfinite(val[t - k]) && val[t] > val[t - k];
    run = up ? run + 1 : 0;
    r.max_value = std::max(r.max_value, static_cast<double>(run));
    if (run >= s && !r.first_fired) r.first_fired = t;
  }
  return r;
}

}  // namespace trainscope::inline v1
