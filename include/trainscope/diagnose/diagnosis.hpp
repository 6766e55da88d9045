#pragma once
/** The result of diagnosing a run: verdict, findings with their numbers, every test run. */
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "trainscope/diagnose/verdict.hpp"

namespace trainscope::inline v1 {

/** One number behind a finding, e.g. {"effect_size", 0.031} or {"noise_sigma", 0.004}. */
struct evidence {
  std::string name;
  double value;
};

/** A condition that was detected (never one that was not). */
struct finding {
  std::string kind;                  ///< "overfitting", "loss_spike", "grad_norm_spike", "still_improving", ...
  std::optional<std::int64_t> step;  ///< where it happened, when it has a place
  std::string message;               ///< one sentence for a person
  std::vector<evidence> numbers;
};

/** A test that was run, whether or not it fired. */
struct criterion {
  std::string name;
  std::optional<double> value;
  std::optional<double> threshold;
  bool fired = false;
  std::string meaning;  ///< what it would have decided, one sentence
};

/** Label of one validation checkpoint: "still_learning", "well_fit", "overfitting", "plateau" or "diverged". */
struct checkpoint_assessment {
  std::int64_t step;
  std::string label;
};

/** Everything `diagnose` concluded about a run. */
struct diagnosis {
  trainscope::verdict verdict = verdict::insufficient_data;
  std::optional<std::int64_t> best_step;           ///< checkpoint with the lowest validation loss
  std::optional<std::int64_t> overfit_onset_step;  ///< minimum of the smoothed validation curve
  std::optional<std::int64_t> divergence_step;     ///< first non-finite or runaway step
  std::optional<std::int64_t> plateau_start_step;
  std::vector<std::int64_t> spike_steps;           ///< transient training-loss spikes that recovered
  std::optional<double> val_loss_at_2x;            ///< power-law forecast of val loss at 2x the last step (empty when the curve is not decreasing)
  std::optional<double> val_loss_at_2x_low, val_loss_at_2x_high;  ///< its 90 % profile-likelihood interval (`diagnose_options::forecast_level`)
  std::optional<double> val_noise;                 ///< checkpoint noise (sigma) of the validation loss
  std::vector<finding> findings;                   ///< only detected conditions, consistent with the verdict
  std::vector<criterion> criteria;                 ///< every test run, including Prechelt's GL, PQ, UP
  std::vector<checkpoint_assessment> checkpoints;  ///< one per run.val_loss point, same order
  std::vector<std::string> recommendations;
  std::string summary;                             ///< one sentence, with numbers
};

}  // namespace trainscope::inline v1
