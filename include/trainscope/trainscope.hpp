#pragma once
/**
 * Umbrella header: run model, statistics, diagnosis and schedules.
 * Needs no third-party library; the readers (simdjson) and model fits (Eigen)
 * are separate components: <trainscope/io.hpp>, <trainscope/stats/fit/...>.
 */
#include "trainscope/core.hpp"
#include "trainscope/diagnose.hpp"
#include "trainscope/schedule.hpp"
#include "trainscope/stats.hpp"
