#pragma once
/** The Markdown report, rendered from the same analysis object as the JSON output. */
#include <cmath>
#include <optional>
#include <string>

#include "trainscope/report/analysis.hpp"
#include "trainscope/report/number_format.hpp"

namespace trainscope::inline v1::report {

/** File names of the figures next to report.md (empty: that figure is not drawn). */
struct figure_files {
  std::string loss = "train_val_loss.svg";
  std::string perplexity = "perplexity_gap.svg";
  std::string lr = "lr_schedule.svg";
};

struct markdown_options {
  figure_files figures;
  std::string generated_at;  ///< left out when empty, so the report is deterministic
};

namespace detail {

inline std::string opt_fixed(const std::optional<double>& v, int decimals) { return v ? fixed(*v, decimals) : "-"; }

inline std::string model_line(const model_shape& m) {
  std::string s;
  auto add = [&](const std::string& part) { s += (s.empty() ? "" : ", ") + part; };
  if (m.n_layer) add(std::to_string(*m.n_layer) + "L");
  if (m.n_head) add(std::to_string(*m.n_head) + "H");
  if (m.n_embd) add(std::to_string(*m.n_embd) + "D");
  if (m.block_size) add("ctx=" + std::to_string(*m.block_size));
  if (m.dropout) add("dropout=" + general(*m.dropout, 3));
  return s;
}

inline const checkpoint_row* best_checkpoint(const analysis& a) {
  const checkpoint_row* best = nullptr;
  for (const auto& c : a.checkpoints)
    if (c.val_loss && (!best || *c.val_loss < *best->val_loss)) best = &c;
  return best;
}

inline std::string param_text(const schedule_fit& f) {
  std::string s;
  for (const auto& p : f.params) {
    s += s.empty() ? "" : ", ";
    s += p.name + " " + (p.value ? general(*p.value, 6) : std::string("none"));
  }
  return s;
}

}  // namespace detail

/** Renders the report. Every statistical statement names the test or threshold behind it. */
inline std::string to_markdown(const analysis& a, const markdown_options& opts = {}) {
  using detail::opt_fixed;
  std::string md;
  auto line = [&](const std::string& s = {}) { md += s + "\n"; };
  const auto& d = a.diagnosis;

  line("# Training Analysis Report");
  line();
  line("**Log:** `" + a.source.path + "` (format: " + a.source.format + ")  ");
  if (!opts.generated_at.empty()) line("**Generated:** " + opts.generated_at + "  ");
  if (a.model.any()) line("**Model:** " + detail::model_line(a.model) + "  ");
  line("**Verdict:** `" + std::string(to_string(d.verdict)) + "` - " + d.summary);
  line();

  // ---------------------------------------------------------------- overview
  line("## Training overview");
  line();
  {
    std::string s = "The log covers steps " + std::to_string(a.first_step) + " to " + std::to_string(a.last_step) + " (" +
                    std::to_string(a.records) + " records)";
    if (a.epochs) s += " across " + std::to_string(*a.epochs) + " epoch(s)";
    if (a.wall_time_s) s += ", taking approximately " + duration(*a.wall_time_s) + " of wall-clock time";
    line(s + ".");
    line();
    if (a.train_last_loss)
      line("- Last logged training loss (step " + std::to_string(*a.train_last_step) + "): " +
           fixed(*a.train_last_loss, 4));
    if (!a.checkpoints.empty()) {
      const auto& last = a.checkpoints.back();
      line("- Final checkpoint (step " + std::to_string(last.step) + "): training loss " + opt_fixed(last.train_loss, 4) +
           ", validation loss " + opt_fixed(last.val_loss, 4));
    }
    if (auto best = detail::best_checkpoint(a))
      line("- Best checkpoint by validation loss: step " + std::to_string(best->step) + " (" +
           fixed(*best->val_loss, 4) + ")" + (best == &a.checkpoints.back() ? ", the final one" : ""));
    if (!a.val_key.empty() && a.val_key != "val_loss")
      line("- Validation series used for the verdict: `" + a.val_key + "`");
    for (const auto& o : a.other_val)
      line("- Other validation set `" + o.key + "`: " + std::to_string(o.points) + " points, best " + opt_fixed(o.best, 4) +
           (o.best_step ? " at step " + std::to_string(*o.best_step) : "") + ", last " + opt_fixed(o.last, 4));
    line();
  }

  // ---------------------------------------------------------------- loss curves
  line("## Loss curves");
  line();
  if (!opts.figures.loss.empty()) line("![Training and validation loss](" + opts.figures.loss + ")"), line();
  if (a.train_first_loss && a.train_last_loss) {
    double change = (*a.train_last_loss - *a.train_first_loss) / *a.train_first_loss;
    line("Training loss (per logged step) went from " + fixed(*a.train_first_loss, 4) + " at step " +
         std::to_string(*a.train_first_step) + " to " + fixed(*a.train_last_loss, 4) + " at step " +
         std::to_string(*a.train_last_step) + " (" + signed_fixed(change * 100, 1) + "%).");
  }
  if (!a.checkpoints.empty() && a.checkpoints.front().val_loss && a.checkpoints.back().val_loss) {
    line("Validation loss went from " + fixed(*a.checkpoints.front().val_loss, 4) + " at the first checkpoint (step " +
         std::to_string(a.checkpoints.front().step) + ") to " + fixed(*a.checkpoints.back().val_loss, 4) +
         " at the last (step " + std::to_string(a.checkpoints.back().step) + ").");
  }
  line();

  // ---------------------------------------------------------------- checkpoints
  line("## Per-checkpoint breakdown");
  line();
  if (a.checkpoints.empty()) {
    line("The log has no validation checkpoints.");
  } else {
    line("Metrics at each validation checkpoint. Relative gap is (val - train) / train. Labels: `still_learning` "
         "(validation still falling clearly at that point), `well_fit`, `plateau`, `overfitting` (past the validation "
         "minimum by more than the noise), `diverged`.");
    line();
    if (a.perplexity) {
      line("| Step | Epoch | Train Loss | Val Loss | Relative Gap | Train PPL | Val PPL | Label |");
      line("|-----:|------:|-----------:|---------:|-------------:|----------:|--------:|-------|");
    } else {
      line("| Step | Epoch | Train Loss | Val Loss | Relative Gap | Label |");
      line("|-----:|------:|-----------:|---------:|-------------:|-------|");
    }
    for (const auto& c : a.checkpoints) {
      std::string row = "| " + std::to_string(c.step) + " | " + (c.epoch ? std::to_string(*c.epoch) : "-") + " | " +
                        opt_fixed(c.train_loss, 4) + " | " + opt_fixed(c.val_loss, 4) + " | " +
                        (c.relative_gap ? signed_fixed(*c.relative_gap, 4) : "-") + " | ";
      if (a.perplexity) row += opt_fixed(c.train_ppl, 2) + " | " + opt_fixed(c.val_ppl, 2) + " | ";
      line(row + c.label + " |");
    }
  }
  line();

  // ---------------------------------------------------------------- perplexity and gap
  line(a.perplexity ? "## Perplexity analysis" : "## Generalization gap");
  line();
  if (!a.perplexity) line("Perplexity is not shown: " + a.perplexity_reason + ".") , line();
  if (!opts.figures.perplexity.empty()) line("![Perplexity and relative gap](" + opts.figures.perplexity + ")"), line();
  if (a.perplexity && !a.checkpoints.empty()) {
    const auto &f = a.checkpoints.front(), &l = a.checkpoints.back();
    line("Perplexity is exp(loss) (" + a.perplexity_reason + "). Train perplexity went from " + opt_fixed(f.train_ppl, 2) +
         " to " + opt_fixed(l.train_ppl, 2) + "; validation perplexity from " + opt_fixed(f.val_ppl, 2) + " to " +
         opt_fixed(l.val_ppl, 2) + ".");
  }
  if (a.gap) {
    const auto& g = *a.gap;
    std::string s = "The relative gap stayed between " + signed_fixed(g.min_gap * 100, 2) + "% and " +
                    signed_fixed(g.max_gap * 100, 2) + "% over " + std::to_string(g.points) +
                    " checkpoints. A least-squares line through the gap has slope " +
                    signed_fixed(g.slope_per_1k_steps * 100, 3) + " percentage points per 1000 steps (standard error " +
                    fixed(g.standard_error * 100, 3) + ", t = " + fixed(g.t_statistic, 2) + "); ";
    if (g.significant())
      s += std::string("|t| >= 2, so the gap is ") + (g.t_statistic > 0 ? "growing" : "shrinking") +
           " significantly (about 95 % confidence).";
    else
      s += "|t| < 2, so there is no significant trend in the gap: no sign of overfitting from the gap alone.";
    line(s);
  }
  line();

  // ---------------------------------------------------------------- schedule
  line("## Learning rate schedule");
  line();
  const auto& s = a.schedule;
  if (s.fitted) {
    if (!opts.figures.lr.empty()) line("![Learning rate](" + opts.figures.lr + ")"), line();
    const auto& f = *s.fitted;
    line("Reconstructed from the logged learning rate (not read from a config): family `" + f.family + "` with " +
         detail::param_text(f) + ". The fitted closed form matches every logged value within " +
         percent(f.max_relative_error, 3) + " (largest relative error; RMS " + percent(f.rms_relative_error, 3) + ").");
    if (!f.convention.empty()) line("Convention: " + f.convention + ".");
    if (!f.certainty_note.empty()) line(f.certainty_note);
  } else if (s.config) {
    line("No learning rate was logged (" + s.fit_error + "); the schedule below is read from the config, not checked "
         "against the log: `" + std::string(family_name(s.config->model)) + "` (" + s.config->source + ").");
  } else {
    line("No schedule could be reconstructed: " + s.fit_error + ".");
  }
  if (s.config && s.agreement) {
    line();
    std::string cfg;
    for (const auto& p : ::trainscope::detail::report_params(s.config->model)) {
      if (!s.config->peak_known && (p.name == "peak_lr" || p.name == "min_lr")) continue;  // shape only
      cfg += (cfg.empty() ? "" : ", ") + p.name + " " + (p.value ? general(*p.value, 6) : std::string("none"));
    }
    line("The log's config names the schedule `" + s.config_schedule.value_or(s.config->source) + "` (" +
         s.config->source + ": " + cfg + "). " +
         (s.agreement->agrees
              ? "The logged learning rate agrees with it: largest relative difference " +
                    percent(s.agreement->max_relative_error, 3) + " (tolerance 1 %)."
              : "The logged learning rate does NOT follow it: largest relative difference " +
                    percent(s.agreement->max_relative_error, 1) + " (tolerance 1 %); the fitted schedule above is what ran."));
  } else if (s.config_schedule) {
    line(), line("The log's config names the schedule `" + *s.config_schedule + "`, without enough parameters to check it.");
  }
  if (s.groups.size() > 1) {
    line();
    line("The log has " + std::to_string(s.groups.size()) + " parameter groups, each reconstructed (the first is the run's):");
    line();
    for (const auto& g : s.groups)
      line("- `" + g.name + "`: " + (g.family.empty() ? std::string("no fit") : "`" + g.family + "`") +
           (g.peak_lr ? ", peak " + general(*g.peak_lr, 4) : "") +
           (g.family.empty() ? "" : ", largest relative error " + percent(g.max_relative_error, 2)));
  }
  line();

  // ---------------------------------------------------------------- diagnosis
  line("## Overfitting diagnosis");
  line();
  line("**Verdict: `" + std::string(to_string(d.verdict)) + "`**");
  line();
  line(d.summary);
  line();
  if (d.findings.empty()) {
    line("No condition was detected (no overfitting, divergence, plateau or spike finding).");
  } else {
    line("Findings:");
    line();
    for (const auto& f : d.findings) {
      std::string numbers;
      for (const auto& e : f.numbers) numbers += (numbers.empty() ? "" : ", ") + e.name + " = " + general(e.value, 4);
      line("- **" + f.kind + "**" + (f.step ? " (step " + std::to_string(*f.step) + ")" : "") + ": " + f.message +
           (numbers.empty() ? "" : " [" + numbers + "]"));
    }
  }
  line();
  if (!d.criteria.empty()) {
    line("Every test that was run, with its threshold and what it would have decided:");
    line();
    line("| Test | Value | Threshold | Fired | Meaning |");
    line("|------|------:|----------:|:-----:|---------|");
    for (const auto& c : d.criteria)
      line("| " + c.name + " | " + (c.value ? general(*c.value, 4) : "-") + " | " +
           (c.threshold ? general(*c.threshold, 4) : "-") + " | " + (c.fired ? "yes" : "no") + " | " + c.meaning + " |");
    line();
  }

  // ---------------------------------------------------------------- recommendations
  line("## Recommendations");
  line();
  if (d.recommendations.empty()) line("- None: nothing in the log calls for a change.");
  for (const auto& r : d.recommendations) line("- " + r);
  line();

  // ---------------------------------------------------------------- data quality
  const auto& g = a.diagnostics;
  line("## Reading the log");
  line();
  line("Read " + std::to_string(g.records) + " records; skipped " + std::to_string(g.skipped_records) +
       " unreadable record(s) and " + std::to_string(g.skipped_values) + " unusable value(s); " +
       std::to_string(g.repeated_steps) + " sample(s) replaced by later records for the same step (resume); " +
       std::to_string(g.non_finite_values) + " non-finite value(s).");
  if (g.restarts)
    line("The step counter went back to its start " + std::to_string(g.restarts) +
         " time(s): the log holds several runs; this report analyses the last one (" +
         std::to_string(g.dropped_records_before_restart) + " earlier records not analysed).");
  if (g.truncated_last_line) line("The last line was cut off (the run was interrupted while writing).");
  for (std::size_t i = 0; i < g.issues.size() && i < 10; ++i)
    line("- line " + std::to_string(g.issues[i].line) + (g.issues[i].field.empty() ? "" : ", field `" + g.issues[i].field + "`") +
         ": " + g.issues[i].message);
  return md;
}

}  // namespace trainscope::inline v1::report
