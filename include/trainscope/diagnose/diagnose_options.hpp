#pragma once
/** Thresholds of `diagnose`, with the defaults and why. */
#include <cstddef>

namespace trainscope::inline v1 {

/**
 * Thresholds of the offline diagnosis. Effects are judged twice: against the run's
 * own measured checkpoint noise (z, probabilities) and by size (fractions), so a
 * change smaller than the noise is no change and a significant but tiny change
 * does not move the verdict either.
 */
struct diagnose_options {
  std::size_t min_checkpoints = 4;  ///< fewer finite validation points: insufficient_data

  // overfitting: validation rises after its (smoothed) minimum while training loss falls
  double overfit_min_relative_rise = 0.02;  ///< rise above the best level, fraction of it ("a few percent")
  double overfit_min_z = 3.0;               ///< rise / its standard error from the measured noise
  std::size_t overfit_min_points_after = 2; ///< checkpoints after the minimum

  // memorization: training loss collapses while validation rises a lot
  double memorization_train_fraction = 0.02;  ///< final train loss below this fraction of its start
  double memorization_train_to_val = 0.1;     ///< ... and below this fraction of the best validation loss
  double memorization_val_rise = 0.5;         ///< validation rise, fraction of its best level

  // under-training: still falling at the end, and the forecast says more steps pay
  double under_trained_min_gain = 0.07;     ///< forecast gain at 2x steps, fraction of the final level
  double improving_probability = 0.95;      ///< P(slope < 0) over the final stretch to call it "still falling"
  double forecast_level = 0.9;              ///< two-sided level of the forecast interval
  bool loss_nonnegative = true;             ///< the loss is >= 0 (cross-entropy, MSE): the forecast's floor E >= 0

  // plateau: no significant improvement over a long final stretch
  double plateau_min_fraction = 1.0 / 3.0;          ///< of the run's steps
  double plateau_min_relative_improvement = 0.005;  ///< a drop smaller than this (0.5 %) over the stretch is no drop

  // divergence: non-finite losses, or a runaway rise that does not recover
  double divergence_factor = 2.0;            ///< smoothed train loss >= factor x its level before
  double divergence_min_rise_fraction = 0.1; ///< ... and the rise >= this fraction of the starting loss
  double divergence_recovery_factor = 1.5;   ///< recovered if the final level is below this x the level before

  // spikes (per-step training loss and grad norm): robust z-score against the previous window
  std::size_t spike_window = 50;
  std::size_t spike_min_history = 10;
  double spike_z = 6.0;
  double spike_min_relative = 0.1;      ///< loss spike: at least 10 % above the window median
  double grad_spike_min_ratio = 3.0;    ///< grad-norm spike: at least 3x the window median
  std::size_t spike_recovery = 20;      ///< points within which a spike must come back to call it transient

  // Prechelt 1998, "Early Stopping - but when?": GL_alpha, PQ_alpha with strips of k, UP_s
  double prechelt_gl_alpha = 5.0;
  double prechelt_pq_alpha = 3.0;
  std::size_t prechelt_strip = 5;
  std::size_t prechelt_up_strips = 3;

  // per-checkpoint labels
  double still_learning_gap = 0.05;  ///< smoothed val above the converged level by more than this fraction
};

}  // namespace trainscope::inline v1
