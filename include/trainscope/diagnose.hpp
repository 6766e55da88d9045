#pragma once
/** Umbrella for diagnose/: offline diagnosis and the online monitor (no Eigen, no simdjson). */
#include "trainscope/diagnose/diagnose_options.hpp"
#include "trainscope/diagnose/diagnose_run.hpp"
#include "trainscope/diagnose/diagnosis.hpp"
#include "trainscope/diagnose/divergence.hpp"
#include "trainscope/diagnose/prechelt.hpp"
#include "trainscope/diagnose/spikes.hpp"
#include "trainscope/diagnose/verdict.hpp"
#include "trainscope/diagnose/decision.hpp"
#include "trainscope/diagnose/monitor.hpp"
#include "trainscope/diagnose/observers/early_stopping.hpp"
#include "trainscope/diagnose/observers/finite_guard.hpp"
#include "trainscope/diagnose/observers/spike_guard.hpp"
