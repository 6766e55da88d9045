#pragma once
/** Which reader a log needs, decided from its first bytes, never from its file name. */
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "trainscope/io/detail/crc32c.hpp"
#include "trainscope/io/detail/metric_names.hpp"
#include "trainscope/io/detail/text_number.hpp"

namespace trainscope::inline v1::io {

/** The log formats trainscope reads. */
enum class log_format { jsonl, hf_trainer_state, csv, tfevents, text_llmc, unknown };

/**
 * Stable names (the CLI's `--format` values and `run.source.format`):
 * "jsonl", "hf_trainer_state", "csv", "tfevents", "llmc_text", "unknown".
 */
constexpr std::string_view to_string(log_format f) noexcept {
  switch (f) {
    case log_format::jsonl: return "jsonl";
    case log_format::hf_trainer_state: return "hf_trainer_state";
    case log_format::csv: return "csv";
    case log_format::tfevents: return "tfevents";
    case log_format::text_llmc: return "llmc_text";
    case log_format::unknown: return "unknown";
  }
  return "unknown";
}

/** The format named `name` (the names of to_string, plus a few spellings people type); unknown otherwise. */
constexpr log_format parse_format_name(std::string_view name) noexcept {
  using detail::iequals;
  if (iequals(name, "jsonl") || iequals(name, "json-lines") || iequals(name, "ndjson")) return log_format::jsonl;
  if (iequals(name, "hf_trainer_state") || iequals(name, "hf") || iequals(name, "trainer_state"))
    return log_format::hf_trainer_state;
  if (iequals(name, "csv")) return log_format::csv;
  if (iequals(name, "tfevents") || iequals(name, "tensorboard") || iequals(name, "tb")) return log_format::tfevents;
  if (iequals(name, "llmc_text") || iequals(name, "llmc") || iequals(name, "text") || iequals(name, "llm.c"))
    return log_format::text_llmc;
  return log_format::unknown;
}

namespace detail {

/** Lines of `s` (LF or CRLF), at most `max_lines`, the last one possibly cut by the head's end. */
inline std::vector<std::string_view> head_lines(std::string_view s, std::size_t max_lines) {
  std::vector<std::string_view> lines;
  std::size_t pos = 0;
  while (pos < s.size() && lines.size() < max_lines) {
    std::size_t e = s.find('\n', pos);
    if (e == std::string_view::npos) e = s.size();
    lines.push_back(trim(s.substr(pos, e - pos)));
    pos = e + 1;
  }
  return lines;
}

inline bool llmc_line(std::string_view l) noexcept {
  if (l.starts_with("s:")) {
    std::size_t i = 2;
    while (i < l.size() && l[i] >= '0' && l[i] <= '9') ++i;
    if (i == 2 || i >= l.size() || l[i] != ' ') return false;
    const auto rest = l.substr(i + 1);
    return rest.starts_with("trl:") || rest.starts_with("tel:") || rest.starts_with("eval:");
  }
  if (l.starts_with("step ")) {
    std::size_t i = 5;
    while (i < l.size() && l[i] == ' ') ++i;
    const std::size_t d = i;
    while (i < l.size() && l[i] >= '0' && l[i] <= '9') ++i;
    if (i == d || i >= l.size() || l[i] != '/') return false;
    return l.find("loss") != std::string_view::npos;
  }
  return false;
}

/** A CSV header: a comma-separated line naming a step, epoch, loss or lr column. */
inline bool csv_header(std::string_view l) {
  if (l.find(',') == std::string_view::npos || l.front() == '{') return false;
  std::vector<std::string> cells;
  std::size_t pos = 0;
  while (pos <= l.size()) {
    std::size_t e = l.find(',', pos);
    if (e == std::string_view::npos) e = l.size();
    std::string_view c = trim(l.substr(pos, e - pos));
    if (c.size() >= 2 && c.front() == '"' && c.back() == '"') c = c.substr(1, c.size() - 2);
    cells.emplace_back(c);
    pos = e + 1;
  }
  const key_mapping none;
  for (const auto& c : cells) {
    const auto role = classify_metric_name(c, none);
    if (role.kind != slot_kind::extra || role.component != loss_component::none) return true;
  }
  return false;
}

}  // namespace detail

/**
 * Detects a log's format from its first bytes (64 KiB is plenty; fewer works):
 * - tfevents: a TFRecord header whose masked CRC32C of the length checks;
 * - hf_trainer_state: a JSON object containing a "log_history" key;
 * - jsonl: lines starting with '{';
 * - llmc_text: `s:N trl:` / `s:N tel:` lines or `step N/M | loss` lines within the first 400 lines;
 * - csv: a first non-blank line with commas naming a known column (step, epoch, loss, lr...).
 * A UTF-8 byte order mark and leading blank lines are skipped. O(size of head).
 */
inline log_format detect_format(std::string_view head) {
  if (detail::looks_like_tfrecord(reinterpret_cast<const unsigned char*>(head.data()), head.size()))
    return log_format::tfevents;
  if (head.size() >= 3 && head[0] == '\xEF' && head[1] == '\xBB' && head[2] == '\xBF') head.remove_prefix(3);
  std::size_t first = head.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return log_format::unknown;
  const std::string_view body = head.substr(first);
  if (body.front() == '{') {
    // HF writes "log_history" as a top-level key of an indented object; a JSONL record would
    // hold it only as a nested value, which no logger does.
    const std::size_t nl = body.find('\n');
    const std::string_view first_line = detail::trim(body.substr(0, nl));
    if (body.find("\"log_history\"") != std::string_view::npos &&
        (first_line == "{" || nl == std::string_view::npos || first_line.back() != '}'))
      return log_format::hf_trainer_state;
    return log_format::jsonl;
  }
  const auto lines = detail::head_lines(body, 400);
  for (auto l : lines)
    if (detail::llmc_line(l)) return log_format::text_llmc;
  if (!lines.empty() && detail::csv_header(lines.front())) return log_format::csv;
  return log_format::unknown;
}

}  // namespace trainscope::inline v1::io
