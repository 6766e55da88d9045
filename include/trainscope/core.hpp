#pragma once
/** Umbrella for the run model: series, run, metric keys, result. */
#include "trainscope/core/column_summary.hpp"
#include "trainscope/core/metric_keys.hpp"
#include "trainscope/core/record.hpp"
#include "trainscope/core/run.hpp"
#include "trainscope/core/run_builder.hpp"
#include "trainscope/core/series.hpp"
#include "trainscope/result.hpp"
#include "trainscope/version.hpp"
