#pragma once
/**
 * CSV metric logs: PyTorch Lightning `metrics.csv` (sparse rows), Keras `CSVLogger`
 * (one row per epoch, `NA` when missing), Ultralytics YOLO `results.csv` (padded
 * headers, loss components without a total). Fields follow RFC 4180: quoted fields,
 * doubled quotes, CRLF or LF line ends. No third-party dependency.
 */
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "trainscope/core/run.hpp"
#include "trainscope/core/run_builder.hpp"
#include "trainscope/io/detail/input.hpp"
#include "trainscope/io/detail/metric_names.hpp"
#include "trainscope/io/detail/reader_common.hpp"
#include "trainscope/io/detail/row_assembler.hpp"
#include "trainscope/io/detail/text_number.hpp"
#include "trainscope/io/read_options.hpp"
#include "trainscope/result.hpp"

namespace trainscope::inline v1::io {

namespace detail {

/** One CSV row as views of its fields (quoted fields without their outer quotes). */
struct csv_row {
  std::vector<std::string_view> cells;
  std::vector<bool> quoted;       ///< the field was quoted; doubled quotes inside are left as they are
  std::uint64_t byte_offset = 0;  ///< first byte of the row
  std::size_t line = 0;           ///< 1-based line the row starts on
  bool unterminated = false;      ///< a quote was still open at the end of the input
  bool ended_by_newline = false;
};

/** Splits RFC 4180 rows one at a time; linear in the input, never backtracks. */
class csv_scanner {
 public:
  explicit csv_scanner(std::string_view text, std::size_t start = 0) : s_(text), pos_(start) {}

  bool done() const noexcept { return pos_ >= s_.size(); }

  /// Reads the next row; blank lines yield a row with one empty cell.
  void next(csv_row& row) {
    row.cells.clear();
    row.quoted.clear();
    row.byte_offset = pos_;
    row.line = line_;
    row.unterminated = false;
    row.ended_by_newline = false;
    for (;;) {
      if (pos_ < s_.size() && s_[pos_] == '"') {
        const std::size_t start = ++pos_;
        for (;;) {
          const std::size_t q = s_.find('"', pos_);
          if (q == std::string_view::npos) {  // open quote at the end of input
            count_lines(start, s_.size());
            row.cells.push_back(s_.substr(start));
            row.quoted.push_back(true);
            row.unterminated = true;
            pos_ = s_.size();
            return;
          }
          if (q + 1 < s_.size() && s_[q + 1] == '"') {
            pos_ = q + 2;
            continue;
          }
          count_lines(start, q);
          row.cells.push_back(s_.substr(start, q - start));
          row.quoted.push_back(true);
          pos_ = q + 1;
          // anything between the closing quote and the separator is kept out of the field
          while (pos_ < s_.size() && s_[pos_] != ',' && s_[pos_] != '\n') ++pos_;
          break;
        }
      } else {
        std::size_t e = pos_;
        while (e < s_.size() && s_[e] != ',' && s_[e] != '\n') ++e;
        row.cells.push_back(s_.substr(pos_, e - pos_));
        row.quoted.push_back(false);
        pos_ = e;
      }
      if (pos_ >= s_.size()) return;
      if (s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      ++pos_;  // '\n'; a preceding '\r' is trimmed with the field
      ++line_;
      row.ended_by_newline = true;
      return;
    }
  }

  std::size_t line() const noexcept { return line_; }

 private:
  void count_lines(std::size_t from, std::size_t to) {
    for (std::size_t i = from; i < to; ++i) line_ += s_[i] == '\n';
  }
  std::string_view s_;
  std::size_t pos_;
  std::size_t line_ = 1;
};

/** A header name: quotes undone ("" -> "), padding spaces trimmed (YOLO pads its header). */
inline std::string csv_header_name(std::string_view cell, bool quoted) {
  std::string out;
  if (quoted) {
    for (std::size_t i = 0; i < cell.size(); ++i) {
      out += cell[i];
      if (cell[i] == '"' && i + 1 < cell.size() && cell[i + 1] == '"') ++i;
    }
  } else {
    out = std::string(cell);
  }
  return std::string(trim(out));
}

inline bool blank_row(const csv_row& row) { return row.cells.size() == 1 && trim(row.cells[0]).empty(); }

}  // namespace detail

/**
 * Reads a CSV metrics log into a run.
 *
 * The first non-blank line is the header. Columns get roles by the alias rules plus the
 * Lightning, Keras and YOLO conventions (see detail::classify_metric_name); one column per
 * role, the others kept in `extra`. Rows without a step column use an integral epoch as step.
 * Empty, `NA`, `None` and `null` cells are missing; `nan`/`inf` are values. When the log has
 * loss components but no total (YOLO), the loss is their sum, defined in `run.config`
 * under "train_loss_definition" / "val_loss_definition".
 *
 * Errors: `empty_input` (nothing but blank lines), `malformed` (a header with no known column),
 * `no_usable_data` (no loss column); with `bad_record_policy::fail`, the first unreadable row.
 * O(n) in the input size.
 */
inline result<run> read_csv_log(const detail::padded_input& in, const std::string& path,
                                const read_options& options = {}) {
  const std::string_view text = in.view();
  const std::size_t bom = detail::bom_length(text);
  run_builder builder(source_info{path, "csv"}, options.build);
  builder.diagnostics().byte_order_mark = bom != 0;

  detail::csv_scanner scan(text, bom);
  detail::csv_row row;
  while (!scan.done()) {
    scan.next(row);
    if (!detail::blank_row(row)) break;
    row.cells.clear();
  }
  if (row.cells.empty())
    return unexpected(detail::make_error(errc::empty_input, path, "no header line: the file is empty or blank"));

  std::vector<std::string> header;
  header.reserve(row.cells.size());
  for (std::size_t i = 0; i < row.cells.size(); ++i) header.push_back(detail::csv_header_name(row.cells[i], row.quoted[i]));
  std::vector<std::string_view> header_views(header.begin(), header.end());
  const detail::metric_plan plan = detail::plan_metrics(header_views, options.keys);
  bool any_known = false;
  std::size_t step_col = header.size();
  for (std::size_t i = 0; i < plan.slots.size(); ++i) {
    const auto k = plan.slots[i].kind;
    any_known = any_known || k != detail::slot_kind::extra || plan.slots[i].component != detail::loss_component::none;
    if (k == detail::slot_kind::step) step_col = i;
  }
  if (!any_known || header.size() < 2)
    return unexpected(detail::make_error(errc::malformed, path,
                                         "not a metrics CSV: the header names no step, epoch, loss or lr column",
                                         row.line, row.byte_offset));
  if (plan.train_is_sum) builder.current().config.emplace_back("train_loss_definition", plan.train_definition);
  if (plan.val_is_sum) builder.current().config.emplace_back("val_loss_definition", plan.val_definition);

  detail::row_assembler rows(plan, builder);
  while (!scan.done()) {
    scan.next(row);
    if (detail::blank_row(row)) continue;
    if (row.unterminated) {
      // an open quote swallows the rest of the file: a cut-off last row, or a broken file
      read_issue issue{row.line, row.byte_offset, {}, "unterminated quoted field; rest of the input skipped"};
      if (options.on_bad_record == bad_record_policy::fail)
        return unexpected(detail::make_error(errc::malformed, path, issue.message, row.line, row.byte_offset));
      builder.diagnostics().truncated_last_line = true;
      builder.skip_record(std::move(issue));
      break;
    }
    if (row.cells.size() != header.size()) {
      const bool cut_off = scan.done() && !row.ended_by_newline && row.cells.size() < header.size();
      read_issue issue{row.line, row.byte_offset, {},
                       "row has " + std::to_string(row.cells.size()) + " fields, the header " +
                           std::to_string(header.size())};
      if (cut_off) {
        builder.diagnostics().truncated_last_line = true;
        issue.message += " (cut off at the end of the input)";
      } else if (options.on_bad_record == bad_record_policy::fail) {
        return unexpected(detail::make_error(errc::malformed, path, issue.message, row.line, row.byte_offset));
      }
      builder.diagnostics().add_issue(std::move(issue));
    }
    const std::size_t n = std::min(row.cells.size(), header.size());
    std::optional<std::int64_t> step;
    if (step_col < n && !detail::is_missing_cell(row.cells[step_col])) {
      step = detail::parse_step(row.cells[step_col]);
      if (!step) {
        read_issue issue{row.line, row.byte_offset, header[step_col], "step is not an integer"};
        if (options.on_bad_record == bad_record_policy::fail)
          return unexpected(detail::make_error(errc::malformed, path, issue.message, row.line, row.byte_offset,
                                               header[step_col]));
        builder.skip_value(std::move(issue));
      }
    }
    rows.begin(step, row.line, row.byte_offset);
    for (std::size_t i = 0; i < n; ++i) {
      if (i == step_col || row.cells[i].empty()) continue;
      const auto v = detail::parse_double(row.cells[i]);  // numbers first: the common case
      if (!v) {
        if (!detail::is_missing_cell(row.cells[i]))
          builder.skip_value({row.line, row.byte_offset, header[i], "not a number"});
        continue;
      }
      rows.value(i, *v);
    }
    if (!step) rows.flush();  // rows without a step are records of their own
  }
  rows.flush();
  return detail::finish_run(std::move(builder), path, "CSV log");
}

}  // namespace trainscope::inline v1::io
