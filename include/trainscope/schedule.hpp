#pragma once
/**
 * Umbrella for schedule/: learning-rate schedules in closed form, their reconstruction from logged lr, and the
 * schedule a config names. No third-party dependency.
 *
 *   auto fit = trainscope::reconstruct_schedule(run.lr.step_view(), run.lr.view());
 *   if (fit) std::printf("%s, peak %g, convention: %s\n", fit->family.c_str(), *fit->param("peak_lr"),
 *                        fit->convention.c_str());
 *
 * - closed_forms.hpp: one value type per family (`warmup_cosine_schedule`, `one_cycle_schedule`, ...),
 *   `schedule_model` (a variant of them), `lr_at`, `family_name`;
 * - reconstruct.hpp: `reconstruct_schedule`, `reconstruct_schedules` (parameter groups), `schedule_fit`;
 * - from_config.hpp: `schedule_from_config`, `compare_schedule`.
 */
#include "trainscope/schedule/closed_forms.hpp"
#include "trainscope/schedule/from_config.hpp"
#include "trainscope/schedule/reconstruct.hpp"
#include "trainscope/schedule/warmup.hpp"
