#pragma once
/**
 * llm.c text logs: the `main.log` written with `-o` (`s:N trl:X lr:Y norm:Z`, `s:N tel:X`,
 * `s:N eval:X`) and the program's stdout (`step N/M | loss X (z)| norm Y (z)| lr Z | ms | MFU | tok/s`,
 * `val loss X`, `HellaSwag: a/b = X`, and the `| parameter | value |` table). No dependency.
 */
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "trainscope/core/record.hpp"
#include "trainscope/core/run.hpp"
#include "trainscope/core/run_builder.hpp"
#include "trainscope/io/detail/input.hpp"
#include "trainscope/io/detail/reader_common.hpp"
#include "trainscope/io/detail/text_number.hpp"
#include "trainscope/io/read_options.hpp"
#include "trainscope/result.hpp"

namespace trainscope::inline v1::io {

namespace detail {

constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
constexpr bool is_space(char c) noexcept { return c == ' ' || c == '\t'; }

/** Splits where `is_sep` holds, dropping empty tokens; views into `s`. */
template <class IsSep>
void split_tokens(std::string_view s, IsSep is_sep, std::vector<std::string_view>& out) {
  out.clear();
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && is_sep(s[i])) ++i;
    std::size_t j = i;
    while (j < s.size() && !is_sep(s[j])) ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
}
constexpr bool is_stdout_sep(char c) noexcept {
  return c == ' ' || c == '\t' || c == '|' || c == ':' || c == '(' || c == ')' || c == ',';
}

/** `s:N ...` (main.log): the step, and the rest of the line after it. */
inline std::optional<std::pair<std::int64_t, std::string_view>> llmc_main_prefix(std::string_view line) {
  if (!line.starts_with("s:")) return std::nullopt;
  std::size_t i = 2;
  while (i < line.size() && is_digit(line[i])) ++i;
  if (i == 2 || i - 2 > 18 || (i < line.size() && !is_space(line[i]))) return std::nullopt;
  auto step = parse_step(line.substr(2, i - 2));
  if (!step) return std::nullopt;
  return std::pair{*step, line.substr(i)};
}

/** `step N/M ...` (stdout): the step as printed, and the rest after "N/M". */
inline std::optional<std::pair<std::int64_t, std::string_view>> llmc_stdout_prefix(std::string_view line) {
  if (!line.starts_with("step")) return std::nullopt;
  std::size_t i = 4;
  if (i >= line.size() || !is_space(line[i])) return std::nullopt;
  while (i < line.size() && is_space(line[i])) ++i;
  const std::size_t start = i;
  while (i < line.size() && is_digit(line[i])) ++i;
  if (i == start || i - start > 18 || i >= line.size() || line[i] != '/') return std::nullopt;
  auto step = parse_step(line.substr(start, i - start));
  ++i;
  while (i < line.size() && is_digit(line[i])) ++i;
  if (!step) return std::nullopt;
  return std::pair{*step, line.substr(i)};
}

}  // namespace detail

/**
 * Reads an llm.c log (main.log or captured stdout) into a run.
 *
 * main.log steps are as written (0-based). stdout steps are as printed (`step 1/M` is 1);
 * a `val loss` (or HellaSwag) line is placed at the number of updates completed when llm.c
 * evaluated: the next printed step minus one (0 before the first), or the last step at the end. Grad norm goes to `grad_norm`, HellaSwag
 * accuracy (`eval:` / `HellaSwag: ... = X`) to extra "hellaswag", step time and throughput to
 * extra "step_ms" and "tokens_per_s". `nan` is a value (counted as non-finite), not an error.
 * CR characters (progress output) separate lines; other lines (banners, `slurmstepd:` messages)
 * are ignored. A last step line cut off before its lr field sets `truncated_last_line`.
 *
 * Errors: `empty_input`; `malformed` when no llm.c line is found; `no_usable_data` when no loss.
 * O(n).
 */
inline result<run> read_text_log(const detail::padded_input& in, const std::string& path,
                                 const read_options& options = {}) {
  const std::string_view text = in.view();
  const std::size_t bom = detail::bom_length(text);
  if (detail::trim(text.substr(bom)).find_first_not_of("\n") == std::string_view::npos)
    return unexpected(detail::make_error(errc::empty_input, path, "empty file"));
  run_builder builder(source_info{path, "llmc_text"}, options.build);
  builder.diagnostics().byte_order_mark = bom != 0;

  std::vector<std::string_view> tokens;
  std::vector<named_value> extra;
  std::vector<std::pair<std::string, std::string>> table;  // the stdout parameter table
  std::int64_t last_step = 0;
  std::size_t matched = 0;
  bool last_step_line_incomplete = false, any_step_line = false;
  std::size_t incomplete_line = 0;
  std::uint64_t incomplete_offset = 0;
  std::size_t line_no = 1;
  std::size_t pos = bom;

  auto fail_value = [&](std::size_t line, std::uint64_t offset, std::string_view field) -> bool {
    read_issue issue{line, offset, std::string(field), "not a number"};
    if (options.on_bad_record == bad_record_policy::fail) return false;
    builder.skip_value(std::move(issue));
    return true;
  };

  // stdout prints evaluations before the step line that follows them; they belong to the
  // updates completed by then: the next printed step minus one (or the last step at the end)
  struct pending_eval {
    double value;
    bool hellaswag;
    std::size_t line;
    std::uint64_t offset;
  };
  std::vector<pending_eval> pending;
  auto flush_evals = [&](std::int64_t step) {
    for (const auto& e : pending) {
      const named_value nv{"hellaswag", e.value};
      record r;
      r.kind = record_kind::eval;
      r.step = step;
      r.line = e.line;
      r.byte_offset = e.offset;
      if (e.hellaswag) r.extra = {&nv, 1};
      else r.val_loss = e.value;
      builder.add(r);
    }
    pending.clear();
  };

  while (pos < text.size()) {
    std::size_t end = pos;
    while (end < text.size() && text[end] != '\n' && text[end] != '\r') ++end;
    const std::string_view raw = text.substr(pos, end - pos);
    const std::uint64_t offset = pos;
    const std::size_t line = line_no;
    if (end < text.size() && text[end] == '\n') ++line_no;
    pos = end + 1;
    const std::string_view s = detail::trim(raw);
    if (s.empty()) continue;

    if (auto m = detail::llmc_main_prefix(s)) {
      record r;
      r.step = m->first;
      r.line = line;
      r.byte_offset = offset;
      extra.clear();
      detail::split_tokens(m->second, detail::is_space, tokens);
      bool any = false;
      for (auto tok : tokens) {
        const auto colon = tok.find(':');
        if (colon == std::string_view::npos) continue;
        const auto key = tok.substr(0, colon);
        const auto v = detail::parse_double(tok.substr(colon + 1));
        if (!v) {
          if (!fail_value(line, offset, key))
            return unexpected(detail::make_error(errc::malformed, path, "not a number", line, offset, std::string(key)));
          continue;
        }
        any = true;
        if (key == "trl") r.loss = *v;
        else if (key == "tel") r.val_loss = *v;
        else if (key == "lr") r.lr = *v;
        else if (key == "norm") r.grad_norm = *v;
        else if (key == "eval") extra.push_back({"hellaswag", *v});
        else extra.push_back({key, *v});
      }
      if (!any) continue;
      if (!r.loss && (r.val_loss || !extra.empty())) r.kind = record_kind::eval;
      r.extra = extra;
      builder.add(r);
      last_step = m->first;
      ++matched;
      continue;
    }

    if (auto m = detail::llmc_stdout_prefix(s)) {
      record r;
      r.step = m->first;
      r.line = line;
      r.byte_offset = offset;
      extra.clear();
      detail::split_tokens(m->second, detail::is_stdout_sep, tokens);
      for (std::size_t i = 0; i < tokens.size(); ++i) {
        const auto t = tokens[i];
        const bool has_next = i + 1 < tokens.size();
        if ((t == "loss" || t == "norm" || t == "lr") && has_next) {
          const auto v = detail::parse_double(tokens[i + 1]);
          if (!v) {
            if (!fail_value(line, offset, t))
              return unexpected(detail::make_error(errc::malformed, path, "not a number", line, offset, std::string(t)));
            continue;
          }
          (t == "loss" ? r.loss : t == "norm" ? r.grad_norm : r.lr) = *v;
          ++i;
        } else if (has_next && tokens[i + 1] == "ms") {
          if (auto v = detail::parse_double(t)) extra.push_back({"step_ms", *v});
        } else if (has_next && tokens[i + 1] == "tok/s") {
          if (auto v = detail::parse_double(t)) extra.push_back({"tokens_per_s", *v});
        }
      }
      if (!r.loss && !r.lr) continue;
      flush_evals(m->first - 1);
      any_step_line = true;
      if (last_step_line_incomplete)  // an incomplete line followed by more steps: not the end of the log
        builder.diagnostics().add_issue({line, offset, {}, "previous step line was incomplete"});
      last_step_line_incomplete = !r.loss || !r.lr || !r.grad_norm;
      incomplete_line = line;
      incomplete_offset = offset;
      r.extra = extra;
      builder.add(r);
      last_step = m->first;
      ++matched;
      continue;
    }

    if (s.starts_with("val loss")) {
      if (auto v = detail::parse_double(s.substr(8))) {
        pending.push_back({*v, false, line, offset});
        ++matched;
      } else if (!fail_value(line, offset, "val loss")) {
        return unexpected(detail::make_error(errc::malformed, path, "not a number", line, offset, "val loss"));
      }
      continue;
    }

    if (s.starts_with("HellaSwag:")) {
      const auto eq = s.rfind('=');
      if (eq != std::string_view::npos)
        if (auto v = detail::parse_double(s.substr(eq + 1))) pending.push_back({*v, true, line, offset});
      continue;
    }

    if (s.front() == '|' && s.back() == '|' && !any_step_line) {  // | parameter | value |
      detail::split_tokens(s, [](char c) { return c == '|'; }, tokens);
      if (tokens.size() == 2) {
        const auto key = detail::trim(tokens[0]), value = detail::trim(tokens[1]);
        if (!key.empty() && key != "Parameter") table.emplace_back(std::string(key), std::string(value));
      }
    }
  }
  flush_evals(last_step);
  if (matched == 0)
    return unexpected(detail::make_error(errc::malformed, path,
                                         "no llm.c log line (s:N trl:..., step N/M | loss ..., val loss ...) found"));
  if (last_step_line_incomplete) {
    builder.diagnostics().truncated_last_line = true;
    builder.diagnostics().add_issue(
        {incomplete_line, incomplete_offset, {}, "the last step line is cut off (missing loss, norm or lr)"});
  }
  run& r = builder.current();
  for (auto& [k, v] : table) {
    const auto as_int = [value = std::string_view(v)] { return detail::parse_step(value); };
    if (k == "num_layers L") r.model.n_layer = as_int();
    else if (k == "num_heads NH") r.model.n_head = as_int();
    else if (k == "channels C") r.model.n_embd = as_int();
    else if (k == "max_sequence_length T") r.model.block_size = as_int();
    r.config.emplace_back(std::move(k), std::move(v));
  }
  return detail::finish_run(std::move(builder), path, "llm.c log");
}

}  // namespace trainscope::inline v1::io
