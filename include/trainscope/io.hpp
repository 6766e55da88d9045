#pragma once
/**
 * Umbrella for io/: every reader, format detection and read_log.
 * Needs simdjson (trainscope::json); the CSV, TensorBoard and text readers can be
 * included on their own without it.
 */
#include "trainscope/io/csv.hpp"
#include "trainscope/io/detect.hpp"
#include "trainscope/io/hf_trainer_state.hpp"
#include "trainscope/io/jsonl.hpp"
#include "trainscope/io/read_log.hpp"
#include "trainscope/io/read_options.hpp"
#include "trainscope/io/text_log.hpp"
#include "trainscope/io/tfevents.hpp"
