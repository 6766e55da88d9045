#pragma once
/** Umbrella for schedule/: closed forms of learning-rate schedules, their reconstruction from logs, configs. */
#include "trainscope/schedule/closed_forms.hpp"
#include "trainscope/schedule/from_config.hpp"
#include "trainscope/schedule/reconstruct.hpp"
#include "trainscope/schedule/warmup.hpp"
