#pragma once
/** One entry point for any log: detect the format from the content (or take it forced) and read. */
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "trainscope/core/run.hpp"
#include "trainscope/io/csv.hpp"
#include "trainscope/io/detail/input.hpp"
#include "trainscope/io/detail/reader_common.hpp"
#include "trainscope/io/detect.hpp"
#include "trainscope/io/hf_trainer_state.hpp"
#include "trainscope/io/read_options.hpp"
#include "trainscope/io/text_log.hpp"
#include "trainscope/io/tfevents.hpp"
#include "trainscope/result.hpp"
#include "trainscope/io/jsonl.hpp"

namespace trainscope::inline v1::io {

/** Bytes of the input given to detect_format. */
inline constexpr std::size_t detect_head_bytes = 64 * 1024;

/**
 * Reads the log at `path` ("-" for standard input; a directory is read as TensorBoard
 * event files, see read_tfevents_dir). The format is `forced` when given, else detected
 * from the content (detect_format). `run.source.format` names the reader used.
 *
 * Errors: those of read_input (`cannot_open`, `io_error`), `empty_input`, `unsupported`
 * when the format cannot be detected (the message suggests forcing one), then the reader's.
 */
inline result<run> read_log(const std::string& path, std::optional<log_format> forced = std::nullopt,
                            const read_options& options = {}) {
  struct stat st {};
  if (path != "-" && ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    if (forced && *forced != log_format::tfevents)
      return unexpected(detail::make_error(errc::invalid_argument, path,
                                           "a directory can only be read as TensorBoard event files"));
    return read_tfevents_dir(path, options);
  }
  // A JSONL file is streamed in bounded blocks (memory independent of its size): peek at its head first.
  if (path != "-" && (!forced || *forced == log_format::jsonl)) {
    auto size = detail::regular_file_size(path);
    if (!size) return unexpected(size.error());
    if (*size == 0) return unexpected(detail::make_error(errc::empty_input, path, "empty file (0 bytes)"));
    bool is_jsonl = forced.has_value();
    if (!is_jsonl) {
      std::string head(static_cast<std::size_t>(std::min<std::uint64_t>(*size, detect_head_bytes)), '\0');
      std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
      if (!f) return unexpected(detail::make_error(errc::cannot_open, path, "cannot open"));
      head.resize(std::fread(head.data(), 1, head.size(), f.get()));
      is_jsonl = detect_format(head) == log_format::jsonl;
    }
    if (is_jsonl) return read_jsonl_file(path, options);
  }
  auto in = detail::read_input(path);
  if (!in) return unexpected(in.error());
  if (in->size == 0) return unexpected(detail::make_error(errc::empty_input, path, "empty file (0 bytes)"));
  const log_format format =
      forced && *forced != log_format::unknown
          ? *forced
          : detect_format(in->view().substr(0, std::min(in->size, detect_head_bytes)));
  switch (format) {
    case log_format::jsonl:
      return read_jsonl(*in, path, options);
    case log_format::hf_trainer_state: return read_hf_trainer_state(*in, path, options);
    case log_format::csv: return read_csv_log(*in, path, options);
    case log_format::tfevents: return read_tfevents(*in, path, options);
    case log_format::text_llmc: return read_text_log(*in, path, options);
    case log_format::unknown: break;
  }
  return unexpected(detail::make_error(
      errc::unsupported, path,
      "unrecognised log format (not JSONL, trainer_state.json, CSV, TensorBoard events or an llm.c log); "
      "force one with --format"));
}

}  // namespace trainscope::inline v1::io
