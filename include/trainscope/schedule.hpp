#pragma once
/** Umbrella for schedule/: closed forms of learning-rate schedules and their reconstruction from logs. */
#include "trainscope/schedule/closed_forms.hpp"
#include "trainscope/schedule/reconstruct.hpp"
#include "trainscope/schedule/warmup.hpp"
