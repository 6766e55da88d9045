#pragma once
// Generated runs with known truth: a noise-free validation/training curve plus Gaussian checkpoint noise.
#include <cmath>
#include <cstdint>
#include <functional>
#include <random>

#include "trainscope/core/run.hpp"

namespace curves {

struct spec {
  int checkpoints = 24;
  std::int64_t every = 500;          // steps between checkpoints
  double noise = 0.005;              // sigma of validation noise, as a fraction of the final true level
  double train_noise = 0.005;
  std::function<double(double)> val;    // true validation loss at fraction u = step / last_step in (0, 1]
  std::function<double(double)> train;  // true training loss
  int train_points_per_checkpoint = 0;  // 0: only checkpoint_train_loss; else per-step train_loss
};

inline trainscope::run make_run(const spec& s, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> n01(0, 1);
  trainscope::run r;
  const double last = static_cast<double>(s.every * s.checkpoints);
  const double sigma_v = s.noise * s.val(1.0);
  const double sigma_t = s.train_noise * s.train(1.0);
  for (int i = 1; i <= s.checkpoints; ++i) {
    const std::int64_t step = s.every * i;
    if (s.train_points_per_checkpoint > 0) {
      for (int k = s.train_points_per_checkpoint - 1; k >= 0; --k) {
        const std::int64_t ts = step - k * s.every / s.train_points_per_checkpoint;
        r.train_loss.put(ts, s.train(static_cast<double>(ts) / last) + sigma_t * n01(rng));
      }
    } else {
      r.checkpoint_train_loss.put(step, s.train(static_cast<double>(step) / last) + sigma_t * n01(rng));
    }
    r.val_loss.put(step, s.val(static_cast<double>(step) / last) + sigma_v * n01(rng));
  }
  return r;
}

// Shapes over u in (0, 1]; each returns the excess over an asymptote so callers add the floor.
inline double power(double u, double a, double alpha) { return a * std::pow(u, -alpha); }
inline double expo(double u, double a, double rate) { return a * std::exp(-rate * u); }

}  // namespace curves
