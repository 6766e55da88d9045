#pragma once
/** Umbrella for report/: analysis object, JSON and Markdown rendering, SVG figures. */
#include "trainscope/report/analysis.hpp"
#include "trainscope/report/analysis_json.hpp"
#include "trainscope/report/figures.hpp"
#include "trainscope/report/json_writer.hpp"
#include "trainscope/report/markdown.hpp"
#include "trainscope/report/number_format.hpp"
#include "trainscope/report/svg_plot.hpp"
