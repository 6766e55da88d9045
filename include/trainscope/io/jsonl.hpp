#pragma once
/**
 * JSON Lines training logs (one JSON object per line), read with simdjson ondemand.
 *
 * Each record is classified before its keys are read:
 *  - an explicit "type"/"kind" field ("train", "eval", "config", "summary" and synonyms) decides;
 *  - else HF summary keys (train_runtime, total_flos, train_samples_per_second, train_steps_per_second)
 *    make a summary: its fields go to run.summary as text and feed no series;
 *  - else a validation-loss key (val_loss, eval_loss, valid_loss, test_loss, val/loss, eval/loss,
 *    eval_<name>_loss) makes an evaluation: a train_loss there is the checkpoint's training loss;
 *  - else model-shape keys without a loss, or no metric key at all (step, epoch, loss, grad norm,
 *    per-group lr), make a config record: scalar fields go to run.config as text, model keys to run.model;
 *  - else it is a training step.
 * Keys are classified once per distinct key (core/metric_keys.hpp, or read_options.keys).
 *
 * Messy data is diagnosed, not fatal (bad_record_policy::skip): a line that is not JSON is skipped
 * and its neighbours read; a cut-off last line sets truncated_last_line; a non-numeric role value is
 * skipped alone; bare NaN / Infinity / -Infinity (Python's json) are read as non-finite numbers; a
 * UTF-8 byte order mark is skipped. Under bad_record_policy::fail the first such problem is an
 * error naming file, line and field.
 *
 * Other numeric fields go to record.extra. A collected run keeps them as run.extra series only for
 * inputs up to `max_extra_input_bytes` (each costs 16 bytes per record); beyond that an issue says
 * they were dropped. The streaming reader always passes them.
 */
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "trainscope/core/record.hpp"
#include "trainscope/core/run.hpp"
#include "trainscope/core/run_builder.hpp"
#include "trainscope/io/detail/input.hpp"
#include "trainscope/io/detail/jsonl_blocks.hpp"
#include "trainscope/io/detail/jsonl_parallel.hpp"
#include "trainscope/io/detail/jsonl_parser.hpp"
#include "trainscope/io/detail/mapped_file.hpp"
#include "trainscope/io/read_options.hpp"
#include "trainscope/result.hpp"

namespace trainscope::inline v1::io {

/// Inputs larger than this keep no run.extra series when collected into a run (see above).
inline constexpr std::uint64_t max_extra_input_bytes = std::uint64_t(256) << 20;

namespace detail {

/** Collects records into a run through run_builder. */
struct jsonl_run_sink {
  static constexpr bool needs_line = false;  // the builder does not use record.line: lines are counted lazily
  run_builder builder;
  bool emit(const record& r) {
    builder.add(r);
    return true;
  }
  /// A record of step and one-value roles, written by `fill(record_values&)`.
  template <class Fill>
  bool emit_values(Fill&& fill) {
    record_values v;
    fill(v);
    builder.add(v);
    return true;
  }
  read_diagnostics& diagnostics() noexcept { return builder.diagnostics(); }
  model_shape* model() noexcept { return &builder.current().model; }
};

/** Hands records to a user callback; counts what the builder would count. */
template <class OnRecord>
struct jsonl_callback_sink {
  static constexpr bool needs_line = true;
  OnRecord& on_record;
  read_diagnostics diag;
  model_shape shape;
  bool saw_loss = false;

  bool emit(const record& r) {
    ++diag.records;
    auto count = [&](const std::optional<double>& v) { diag.non_finite_values += v && !std::isfinite(*v); };
    count(r.loss), count(r.val_loss), count(r.lr), count(r.epoch), count(r.wall_time_s), count(r.grad_norm);
    for (auto* list : {&r.named_val_losses, &r.lr_groups, &r.extra})
      for (const auto& nv : *list) diag.non_finite_values += !std::isfinite(nv.value);
    saw_loss |= r.loss.has_value() || r.val_loss.has_value() || !r.named_val_losses.empty();
    if constexpr (std::is_convertible_v<std::invoke_result_t<OnRecord&, const record&>, bool>) {
      return static_cast<bool>(on_record(r));
    } else {
      on_record(r);
      return true;
    }
  }
  read_diagnostics& diagnostics() noexcept { return diag; }
  model_shape* model() noexcept { return &shape; }
};

/// Reads a padded in-memory input in line-aligned blocks (no copy); `on_block(bytes_done)` after each.
template <class Sink, class OnBlock>
void parse_jsonl_buffer(jsonl_parser<Sink>& parser, Sink& sink, const char* data, std::size_t size,
                        OnBlock&& on_block, std::size_t block = jsonl_block_size) {
  std::size_t start = 0;
  if (has_bom(data, size)) {
    sink.diagnostics().byte_order_mark = true;
    start = 3;
  }
  while (start < size) {
    const char* b = data + start;
    const char* e = data + size;
    const char* nl = nullptr;
    if (size - start > block) {
      nl = last_newline(b, b + block);
      if (!nl) nl = static_cast<const char*>(std::memchr(b + block, '\n', size - start - block));
    } else {
      nl = last_newline(b, e);
    }
    if (!nl) {
      parser.parse_last_line(b, e, start);
      return;
    }
    if (!parser.parse(b, nl + 1, start)) return;
    start = static_cast<std::size_t>(nl + 1 - data);
    on_block(start);
  }
}

/**
 * Reads a stream in bounded blocks into one reused padded buffer: memory is the block (grown
 * only for a line longer than it) plus the parser, whatever the input size.
 * `on_block(bytes_read_so_far)` runs after each block.
 */
template <class Sink, class OnBlock>
result<std::uint64_t> parse_jsonl_stream(jsonl_parser<Sink>& parser, Sink& sink, std::FILE* f,
                                         const std::string& path, OnBlock&& on_block,
                                         std::uint64_t limit = UINT64_MAX, std::size_t block = jsonl_block_size,
                                         mapped_file* map = nullptr) {
  jsonl_block_cutter cutter(f, path, limit, block, map);
  jsonl_block_buffer buf;
  while (cutter.next(buf)) {
    if (cutter.byte_order_mark()) sink.diagnostics().byte_order_mark = true;
    if (buf.last_line) {
      parser.parse_last_line(buf.data(), buf.data() + buf.size, buf.offset);
      return cutter.offset();
    }
    if (!parser.parse(buf.data(), buf.data() + buf.size, buf.offset)) return buf.offset;
    if (map) map->release_before(cutter.offset());  // records do not point into the input
    on_block(cutter.offset());
  }
  if (cutter.byte_order_mark()) sink.diagnostics().byte_order_mark = true;  // a file of a byte order mark only
  if (cutter.failure()) return unexpected(*cutter.failure());
  return cutter.offset();
}

/// The errors every JSONL entry point shares, decided once the input is read.
inline result<bool> jsonl_outcome(const error* failure, const read_diagnostics& d, bool has_loss,
                                  const std::string& path) {
  if (failure) return unexpected(*failure);
  if (d.records == 0 && d.skipped_records == 0)
    return unexpected(open_error(errc::empty_input, path, "empty input: no JSON record"));
  if (d.records == 0) {
    error e = open_error(errc::malformed, path, "no readable JSON record");
    if (!d.issues.empty()) {
      e.line = d.issues.front().line;
      e.byte_offset = d.issues.front().byte_offset;
      e.field = d.issues.front().field;
      e.message = "no readable JSON record; first bad line: " + d.issues.front().message;
    }
    return unexpected(std::move(e));
  }
  if (!has_loss)
    return unexpected(open_error(errc::no_usable_data, path, "no loss in any record (" +
                                                                 std::to_string(d.records) + " records read)"));
  return true;
}

/// Opens `path` for streaming ("-" is standard input); refuses directories and FIFOs.
inline result<std::unique_ptr<std::FILE, int (*)(std::FILE*)>> open_jsonl(const std::string& path,
                                                                         std::uint64_t& size) {
  using file_ptr = std::unique_ptr<std::FILE, int (*)(std::FILE*)>;
  if (path == "-") {
    size = 0;
    return file_ptr(stdin, [](std::FILE*) { return 0; });
  }
  auto sz = regular_file_size(path);
  if (!sz) return unexpected(sz.error());
  size = *sz;
  file_ptr f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) return unexpected(open_error(errc::cannot_open, path, std::string("cannot open: ") + std::strerror(errno)));
  return f;
}

/// Maps a file worth it (read_options::map_input, past a few blocks) into `map`: the map, or nullptr where the
/// file is read as always (standard input, a small file, a system that cannot map it).
inline mapped_file* map_large_file(mapped_file& map, std::FILE* f, const std::string& path, std::uint64_t size,
                                   const read_options& opts) {
#if TRAINSCOPE_HAS_MMAP
  if (opts.map_input && path != "-" && size > 4 * jsonl_block_size && map.map(::fileno(f), size)) return &map;
#else
  (void)f, (void)path, (void)size, (void)opts;
#endif
  return nullptr;
}

/// Reserves the run's series for the whole file from what the first block held.
inline void reserve_from_sample(run& r, std::uint64_t read, std::uint64_t total) {
  if (!read || total <= read) return;
  const double scale = static_cast<double>(total) / static_cast<double>(read) * 1.1;
  for (series* s : {&r.train_loss, &r.lr, &r.epoch, &r.wall_time_s, &r.grad_norm})
    if (!s->empty()) s->reserve(static_cast<std::size_t>(static_cast<double>(s->size()) * scale) + 16);
}

inline run_builder make_jsonl_builder(const std::string& path, const read_options& opts) {
  return run_builder(source_info{path, "jsonl"}, opts.build);
}

inline void note_extra_dropped(jsonl_run_sink& sink) {
  auto& r = sink.builder.current();
  r.extra.clear();
  r.extra.shrink_to_fit();
  sink.diagnostics().add_issue({0, 0, "", "input larger than " + std::to_string(max_extra_input_bytes >> 20) +
                                              " MiB: numeric fields without a role were not kept as series"});
}

}  // namespace detail

/**
 * Reads a JSONL log held in memory. `input` must be followed by `detail::input_padding` readable
 * bytes (detail::make_padded / read_input give that); `path` names it in messages.
 * Errors: empty_input, malformed (no readable record; names the first bad line), no_usable_data
 * (no loss anywhere), or malformed at the first problem under bad_record_policy::fail.
 */
inline result<run> read_jsonl(const detail::padded_input& input, const std::string& path,
                              const read_options& opts = {}) {
  detail::jsonl_run_sink sink{detail::make_jsonl_builder(path, opts)};
  detail::jsonl_parser<detail::jsonl_run_sink> parser(sink, path, opts);
  const bool keep_extra = input.size <= max_extra_input_bytes;
  parser.keep_extra(keep_extra);
  parser.persistent_input(true);
  if (!keep_extra) detail::note_extra_dropped(sink);
  bool reserved = false;
  detail::parse_jsonl_buffer(parser, sink, input.data(), input.size, [&](std::uint64_t done) {
    if (!reserved && input.size > 4 * detail::jsonl_block_size) {
      reserved = true;
      detail::reserve_from_sample(sink.builder.current(), done, input.size);
    }
  });
  auto ok = detail::jsonl_outcome(parser.failed() ? &parser.failure() : nullptr, sink.diagnostics(),
                                  sink.builder.current().has_loss(), path);
  if (!ok) return unexpected(ok.error());
  return std::move(sink.builder).finish();
}

/**
 * Reads a JSONL log file (or standard input for "-") into a run, in bounded blocks: peak memory
 * is the run's series plus a few MiB, not the file. With opts.threads > 1, a file of more than a
 * few MiB is parsed by that many threads, block by block, merged in file order: the run (records,
 * counts, issues and their lines) is the one a single thread reads. Errors as read_jsonl, plus cannot_open for a
 * missing file, a directory or a FIFO, and io_error.
 */
inline result<run> read_jsonl_file(const std::string& path, const read_options& opts = {}) {
  std::uint64_t size = 0;
  auto f = detail::open_jsonl(path, size);
  if (!f) return unexpected(f.error());
  if (path != "-" && size == 0) return unexpected(detail::open_error(errc::empty_input, path, "empty file"));
  detail::jsonl_run_sink sink{detail::make_jsonl_builder(path, opts)};
  detail::mapped_file map;
  detail::mapped_file* mapped = detail::map_large_file(map, f->get(), path, size, opts);
  bool keep_extra = size <= max_extra_input_bytes;  // standard input: decided as it grows
  bool reserved = false;
  if (!keep_extra) detail::note_extra_dropped(sink);
  // Worth threads only past a few blocks; standard input is read by one (its size is not known).
  if (opts.threads > 1 && path != "-" && size > 4 * detail::jsonl_block_size) {
    auto read = detail::parse_jsonl_parallel(sink.builder, f->get(), path, opts, keep_extra, opts.threads, size,
                                             [&](std::uint64_t done) {
                                               if (!reserved) {
                                                 reserved = true;
                                                 detail::reserve_from_sample(sink.builder.current(), done, size);
                                               }
                                             },
                                             detail::jsonl_block_size, mapped);
    if (!read) return unexpected(read.error());
    auto ok = detail::jsonl_outcome(nullptr, sink.diagnostics(), sink.builder.current().has_loss(), path);
    if (!ok) return unexpected(ok.error());
    return std::move(sink.builder).finish();
  }
  detail::jsonl_parser<detail::jsonl_run_sink> parser(sink, path, opts);
  parser.keep_extra(keep_extra);
  auto read = detail::parse_jsonl_stream(parser, sink, f->get(), path, [&](std::uint64_t done) {
    if (!reserved && size > 4 * detail::jsonl_block_size) {
      reserved = true;
      detail::reserve_from_sample(sink.builder.current(), done, size);
    }
    if (keep_extra && done > max_extra_input_bytes) {
      keep_extra = false;
      parser.keep_extra(false);
      detail::note_extra_dropped(sink);
    }
  }, path == "-" ? UINT64_MAX : size, detail::jsonl_block_size, mapped);
  if (!read) return unexpected(read.error());
  auto ok = detail::jsonl_outcome(parser.failed() ? &parser.failure() : nullptr, sink.diagnostics(),
                                  sink.builder.current().has_loss(), path);
  if (!ok) return unexpected(ok.error());
  return std::move(sink.builder).finish();
}

/**
 * Streams a JSONL log ("-" for standard input): calls `on_record(const record&)` for each record,
 * in file order, in bounded memory. Views in the record are valid only during the call. If
 * on_record returns something convertible to bool, false stops reading. Returns the diagnostics
 * (records, skipped lines and values, non-finite values; no repeated-step or restart counts,
 * which belong to run collection). Errors as read_jsonl_file.
 */
template <class OnRecord>
result<read_diagnostics> for_each_jsonl_record(const std::string& path, OnRecord&& on_record,
                                               const read_options& opts = {}) {
  static_assert(std::is_invocable_v<OnRecord&, const record&>,
                "for_each_jsonl_record: on_record must be callable as on_record(const trainscope::record&)");
  std::uint64_t size = 0;
  auto f = detail::open_jsonl(path, size);
  if (!f) return unexpected(f.error());
  if (path != "-" && size == 0) return unexpected(detail::open_error(errc::empty_input, path, "empty file"));
  detail::jsonl_callback_sink<std::remove_reference_t<OnRecord>> sink{on_record, {}, {}, false};
  detail::jsonl_parser<decltype(sink)> parser(sink, path, opts);
  detail::mapped_file map;
  auto read = detail::parse_jsonl_stream(parser, sink, f->get(), path, [](std::uint64_t) {},
                                         path == "-" ? UINT64_MAX : size, detail::jsonl_block_size,
                                         detail::map_large_file(map, f->get(), path, size, opts));
  if (!read) return unexpected(read.error());
  auto ok = detail::jsonl_outcome(parser.failed() ? &parser.failure() : nullptr, sink.diag, sink.saw_loss, path);
  if (!ok) return unexpected(ok.error());
  return std::move(sink.diag);
}

}  // namespace trainscope::inline v1::io
