#pragma once
/** The analysis as one JSON document (schema: docs/analysis.schema.json, schema_version 1). */
#include <string>

#include "trainscope/report/analysis.hpp"
#include "trainscope/report/json_writer.hpp"

namespace trainscope::inline v1::report {

inline constexpr int analysis_schema_version = 1;

/** Renders `a` as JSON; deterministic for a given analysis. */
inline std::string to_json(const analysis& a) {
  std::string out;
  json_writer w(out);
  w.begin_object();
  w.field("schema_version", analysis_schema_version);

  w.key("source").begin_object();
  w.field("path", a.source.path).field("format", a.source.format);
  w.end_object();

  w.key("steps").begin_object();
  w.field("first", a.first_step).field("last", a.last_step).field("records", a.records);
  w.end_object();

  w.key("train").begin_object();
  w.field("first_loss", a.train_first_loss).field("last_loss", a.train_last_loss);
  w.field("first_step", a.train_first_step).field("last_step", a.train_last_step);
  w.end_object();

  w.key("run").begin_object();
  w.field("wall_time_s", a.wall_time_s).field("epochs", a.epochs).field("last_epoch", a.last_epoch);
  w.key("model").begin_object();
  w.field("n_layer", a.model.n_layer).field("n_head", a.model.n_head).field("n_embd", a.model.n_embd);
  w.field("block_size", a.model.block_size).field("dropout", a.model.dropout);
  w.end_object();
  w.field("perplexity_shown", a.perplexity).field("perplexity_reason", a.perplexity_reason);
  w.field("validation_key", a.val_key);
  w.key("other_validation_sets").begin_array();
  for (const auto& o : a.other_val) {
    w.begin_object();
    w.field("key", o.key).field("points", o.points).field("first", o.first).field("best", o.best);
    w.field("best_step", o.best_step).field("last", o.last);
    w.end_object();
  }
  w.end_array();
  w.end_object();

  w.key("checkpoints").begin_array();
  for (const auto& c : a.checkpoints) {
    w.begin_object();
    w.field("step", c.step).field("epoch", c.epoch).field("train_loss", c.train_loss).field("val_loss", c.val_loss);
    w.field("relative_gap", c.relative_gap).field("train_ppl", c.train_ppl).field("val_ppl", c.val_ppl);
    w.field("label", c.label);
    w.end_object();
  }
  w.end_array();

  const auto& d = a.diagnosis;
  w.key("diagnosis").begin_object();
  w.field("verdict", to_string(d.verdict));
  w.field("summary", d.summary);
  w.field("best_step", d.best_step).field("overfit_onset_step", d.overfit_onset_step);
  w.field("divergence_step", d.divergence_step).field("plateau_start_step", d.plateau_start_step);
  w.key("spike_steps").begin_array();
  for (auto s : d.spike_steps) w.value(s);
  w.end_array();
  w.field("val_loss_at_2x", d.val_loss_at_2x);
  w.field("val_loss_at_2x_low", d.val_loss_at_2x_low).field("val_loss_at_2x_high", d.val_loss_at_2x_high);
  w.field("val_noise", d.val_noise);
  w.key("findings").begin_array();
  for (const auto& f : d.findings) {
    w.begin_object();
    w.field("kind", f.kind).field("step", f.step).field("message", f.message);
    w.key("numbers").begin_object();
    for (const auto& e : f.numbers) w.field(e.name, e.value);
    w.end_object();
    w.end_object();
  }
  w.end_array();
  w.key("criteria").begin_array();
  for (const auto& c : d.criteria) {
    w.begin_object();
    w.field("name", c.name).field("value", c.value).field("threshold", c.threshold).field("fired", c.fired);
    w.field("meaning", c.meaning);
    w.end_object();
  }
  w.end_array();
  w.key("recommendations").begin_array();
  for (const auto& r : d.recommendations) w.value(r);
  w.end_array();
  w.end_object();

  const auto& s = a.schedule;
  w.key("schedule").begin_object();
  if (s.fitted) w.field("family", s.fitted->family);
  else if (s.config) w.field("family", family_name(s.config->model));
  else w.key("family").null();
  if (s.source.empty()) w.key("source").null();
  else w.field("source", s.source);
  w.key("params").begin_object();
  if (s.fitted)
    for (const auto& p : s.fitted->params) w.field(p.name, p.value);
  else if (s.config)
    for (const auto& p : ::trainscope::detail::report_params(s.config->model)) w.field(p.name, p.value);
  w.end_object();
  if (s.fitted) {
    w.field("convention", s.fitted->convention);
    w.field("max_relative_error", s.fitted->max_relative_error);
    w.field("rms_relative_error", s.fitted->rms_relative_error);
    w.field("total_steps_uncertainty", s.fitted->total_steps_uncertainty);
    w.field("certainty_note", s.fitted->certainty_note);
  } else {
    w.field("fit_error", s.fit_error);
  }
  w.field("config_schedule", s.config_schedule);
  if (s.config) {
    w.key("config").begin_object();
    w.field("family", family_name(s.config->model)).field("described_by", s.config->source);
    w.field("peak_known", s.config->peak_known);
    w.key("params").begin_object();
    for (const auto& p : ::trainscope::detail::report_params(s.config->model)) w.field(p.name, p.value);
    w.end_object();
    if (s.agreement) {
      w.field("log_agrees", s.agreement->agrees);
      w.field("max_relative_error", s.agreement->max_relative_error);
    } else {
      w.key("log_agrees").null();
    }
    w.end_object();
  }
  w.key("groups").begin_array();
  for (const auto& g : s.groups) {
    w.begin_object();
    w.field("name", g.name).field("family", g.family).field("peak_lr", g.peak_lr);
    w.field("max_relative_error", g.max_relative_error);
    w.end_object();
  }
  w.end_array();
  w.key("lr_at").begin_object();
  for (const auto& [step, lr] : s.lr_at) w.field(std::to_string(step), lr);
  w.end_object();
  w.end_object();

  const auto& g = a.diagnostics;
  w.key("diagnostics").begin_object();
  w.field("skipped_records", g.skipped_records).field("skipped_values", g.skipped_values);
  w.field("repeated_steps", g.repeated_steps).field("non_finite_values", g.non_finite_values);
  w.field("restarts", g.restarts).field("records_before_restart", g.dropped_records_before_restart);
  w.field("truncated_last_line", g.truncated_last_line).field("byte_order_mark", g.byte_order_mark);
  w.key("issues").begin_array();
  for (const auto& i : g.issues) {
    w.begin_object();
    w.field("line", i.line).field("byte_offset", static_cast<std::int64_t>(i.byte_offset));
    w.field("field", i.field).field("message", i.message);
    w.end_object();
  }
  w.end_array();
  w.end_object();

  w.end_object();
  out += '\n';
  return out;
}

}  // namespace trainscope::inline v1::report
