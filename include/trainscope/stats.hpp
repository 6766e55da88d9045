#pragma once
/** Umbrella for stats/ (no Eigen: the Eigen fits are in <trainscope/stats/fit/...>). */
#include "trainscope/stats/noise.hpp"
#include "trainscope/stats/power_law.hpp"
#include "trainscope/stats/robust.hpp"
#include "trainscope/stats/smoothing.hpp"
#include "trainscope/stats/trend.hpp"
