#pragma once
/**
 * Parallel JSONL file reading: the blocks the streaming reader would parse one after the other
 * are parsed by worker threads, and their records reach one run_builder in file order.
 *
 * Why the result is the single-threaded one, exactly: the blocks are cut by the same
 * jsonl_block_cutter as parse_jsonl_stream's, each worker's parser reads a block as
 * the streaming parser would, and the records, issues and counts of block k enter the builder only
 * after those of block k-1. Issues carry lines numbered from their block's start; the merge adds the
 * lines of the blocks before. Memory stays bounded: a ring of a few blocks is in flight.
 */
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "trainscope/core/record.hpp"
#include "trainscope/core/run.hpp"
#include "trainscope/core/run_builder.hpp"
#include "trainscope/io/detail/input.hpp"
#include "trainscope/io/detail/jsonl_blocks.hpp"
#include "trainscope/io/detail/jsonl_parser.hpp"
#include "trainscope/result.hpp"

namespace trainscope::inline v1::io::detail {

/** One block's records as the builder will receive them, plus what the parser noted. */
struct jsonl_batch {
  struct stored_record {
    record_values values;
    std::uint32_t named_end = 0, groups_end = 0, extra_end = 0, fields_end = 0;  // ends in the lists below
  };
  std::vector<stored_record> records;
  std::vector<named_value> named, groups, extra;  // names view the worker's key cache: stable while it lives
  std::vector<std::string> texts;                 // config / summary fields: key, value, key, value...
  read_diagnostics diagnostics;                   // skipped records and values, issues (block-relative lines)
  model_shape model;                              // model fields the block's config records set
  std::size_t newlines = 0;
  bool failed = false;
  error failure;

  void clear() {
    records.clear(), named.clear(), groups.clear(), extra.clear(), texts.clear();
    diagnostics = {};
    model = {};
    newlines = 0;
    failed = false;
    failure = {};
  }
};

/** The parser's sink in a worker: stores records into the current block's batch. */
struct jsonl_batch_sink {
  static constexpr bool needs_line = false;
  jsonl_batch* batch = nullptr;

  bool emit(const record& r) {
    jsonl_batch& b = *batch;
    // Its lists first: the stored record then ends where they end.
    b.named.insert(b.named.end(), r.named_val_losses.begin(), r.named_val_losses.end());
    b.groups.insert(b.groups.end(), r.lr_groups.begin(), r.lr_groups.end());
    b.extra.insert(b.extra.end(), r.extra.begin(), r.extra.end());
    for (const auto& [k, v] : r.fields) b.texts.emplace_back(k), b.texts.emplace_back(v);
    return emit_values([&](record_values& v) { v = values_of(r); });
  }
  /// A record of step and one-value roles, written by `fill(record_values&)` straight into the batch (with
  /// whatever the lists hold past the previous record's ends).
  template <class Fill>
  bool emit_values(Fill&& fill) {
    jsonl_batch& b = *batch;
    jsonl_batch::stored_record& s = b.records.emplace_back();
    fill(s.values);
    s.named_end = static_cast<std::uint32_t>(b.named.size());
    s.groups_end = static_cast<std::uint32_t>(b.groups.size());
    s.extra_end = static_cast<std::uint32_t>(b.extra.size());
    s.fields_end = static_cast<std::uint32_t>(b.texts.size() / 2);
    return true;
  }
  read_diagnostics& diagnostics() noexcept { return batch->diagnostics; }
  model_shape* model() noexcept { return &batch->model; }
};

/** Feeds a batch to the builder in record order; `line_base` is the 1-based line the block starts at. */
inline void merge_jsonl_batch(run_builder& builder, const jsonl_batch& b, std::size_t line_base,
                              std::vector<text_field>& field_views) {
  std::uint32_t named = 0, groups = 0, extra = 0, fields = 0;
  for (const auto& s : b.records) {
    if (s.named_end == named && s.groups_end == groups && s.extra_end == extra && s.fields_end == fields) {
      builder.add(s.values);  // step and one-value roles only (most records)
      continue;
    }
    record r;
    set_values(r, s.values);
    r.named_val_losses = std::span(b.named).subspan(named, s.named_end - named);
    r.lr_groups = std::span(b.groups).subspan(groups, s.groups_end - groups);
    r.extra = std::span(b.extra).subspan(extra, s.extra_end - extra);
    if (s.fields_end != fields) {
      field_views.clear();
      for (std::uint32_t i = fields; i < s.fields_end; ++i) field_views.emplace_back(b.texts[2 * i], b.texts[2 * i + 1]);
      r.fields = field_views;
    }
    named = s.named_end, groups = s.groups_end, extra = s.extra_end, fields = s.fields_end;
    builder.add(r);
  }
  read_diagnostics& d = builder.diagnostics();
  d.skipped_records += b.diagnostics.skipped_records;
  d.skipped_values += b.diagnostics.skipped_values;
  d.truncated_last_line |= b.diagnostics.truncated_last_line;
  for (read_issue issue : b.diagnostics.issues) {
    if (issue.line) issue.line += line_base - 1;
    d.add_issue(std::move(issue));
  }
  model_shape& m = builder.current().model;
  if (b.model.n_layer) m.n_layer = b.model.n_layer;
  if (b.model.n_head) m.n_head = b.model.n_head;
  if (b.model.n_embd) m.n_embd = b.model.n_embd;
  if (b.model.block_size) m.block_size = b.model.block_size;
  if (b.model.dropout) m.dropout = b.model.dropout;
}

/**
 * Reads an open JSONL file with `threads` threads (the calling one and threads - 1 more) into
 * `builder` (which notes a byte order mark); `keep_extra` as jsonl_parser::keep_extra. Reads at
 * most `limit` bytes. Returns the bytes read, or the first error in file order (an I/O error, or
 * the parser's under bad_record_policy::fail). `on_block(bytes_merged)` runs after each block is
 * merged, on whichever thread merged it, never on two at once. With `map` (the file mapped), blocks
 * are parsed where the map has them and released once merged (jsonl_block_cutter, mapped_file).
 *
 * Every thread does whatever is next: merge the parsed blocks that come next in file order (one
 * thread at a time), or read the next block (one at a time, since a block ends at the last newline
 * of the bytes after the previous one) and parse it. No thread only waits while another works.
 */
template <class OnBlock>
result<std::uint64_t> parse_jsonl_parallel(run_builder& builder, std::FILE* f, const std::string& path,
                                           const read_options& opts, bool keep_extra, unsigned threads,
                                           std::uint64_t limit, OnBlock&& on_block,
                                           std::size_t block = jsonl_block_size, mapped_file* map = nullptr) {
  struct slot {
    jsonl_block_buffer block;
    bool parsed = false;
    jsonl_batch batch;
  };
  if (threads < 1) threads = 1;
  // Blocks in flight: one per thread and one more, so one can be merged or read while all parse.
  const std::size_t ring = static_cast<std::size_t>(threads) + 1;
  std::vector<slot> slots(ring);
  std::mutex mutex;
  std::condition_variable changed;
  std::size_t produced = 0, consumed = 0;  // blocks read so far, blocks merged so far
  bool reading = false, merging = false, input_done = false, stop = false;
  std::exception_ptr thread_failure;
  std::optional<error> failure;

  // Touched only by the thread holding the `reading` role.
  jsonl_block_cutter cutter(f, path, limit, block, map);
  // Merging state: touched only by the thread holding the `merging` role.
  std::size_t line_base = 1;
  std::vector<text_field> field_views;

  // Parsers live until every thread is done: batches name keys by views into their key caches.
  struct block_parser {
    jsonl_batch_sink sink;
    jsonl_parser<jsonl_batch_sink> parser;
    block_parser(const std::string& path, const read_options& opts) : parser(sink, path, opts) {}
  };
  std::vector<std::unique_ptr<block_parser>> parsers;  // guarded by `mutex`

  auto work = [&] {
    block_parser* p = nullptr;  // made on first use: a thread may only merge
    std::unique_lock lock(mutex);
    try {
      while (!stop) {
        if (!merging && consumed < produced && slots[consumed % ring].parsed) {
          merging = true;
          while (!stop && consumed < produced && slots[consumed % ring].parsed) {
            slot& s = slots[consumed % ring];
            lock.unlock();
            merge_jsonl_batch(builder, s.batch, line_base, field_views);
            std::optional<error> failed;
            if (s.batch.failed) {
              failed = s.batch.failure;
              if (failed->line) failed->line += line_base - 1;
            }
            line_base += s.batch.newlines;
            // Batches do not point into the input, and blocks merge in file order: what is behind is done.
            if (map) map->release_before(s.block.offset + s.block.size);
            on_block(s.block.offset + s.block.size);
            lock.lock();
            s.parsed = false;
            ++consumed;
            if (failed) {
              failure = std::move(failed);
              stop = true;
            }
          }
          merging = false;
          changed.notify_all();
          continue;
        }
        if (!reading && !input_done && produced - consumed < ring) {
          reading = true;
          slot& s = slots[produced % ring];
          const bool first_block = produced == 0;
          lock.unlock();
          const bool got = cutter.next(s.block);
          // No block is counted as read yet, so no merge runs: the builder is this thread's.
          if (first_block && cutter.byte_order_mark()) builder.diagnostics().byte_order_mark = true;
          lock.lock();
          reading = false;
          if (!got) {
            input_done = true;
            if (cutter.failure()) {
              failure = cutter.failure();
              stop = true;
            }
            changed.notify_all();
            continue;
          }
          ++produced;
          changed.notify_all();  // another thread may read the next block now
          if (!p) {
            p = parsers.emplace_back(std::make_unique<block_parser>(path, opts)).get();
            p->parser.keep_extra(keep_extra);
          }
          lock.unlock();
          s.batch.clear();
          p->sink.batch = &s.batch;
          p->parser.restart_lines();
          const jsonl_block_buffer& b = s.block;
          if (b.last_line) p->parser.parse_last_line(b.data(), b.data() + b.size, b.offset);
          else p->parser.parse(b.data(), b.data() + b.size, b.offset);
          s.batch.newlines = p->parser.line() - 1;
          if (p->parser.failed()) {  // a parser stops for good at its first failure: the next block gets a new one
            s.batch.failed = true;
            s.batch.failure = p->parser.failure();
            p = nullptr;
          }
          lock.lock();
          s.parsed = true;
          changed.notify_all();
          continue;
        }
        if (input_done && consumed == produced) break;
        changed.wait(lock);
      }
    } catch (...) {  // out of memory: handed to the calling thread
      if (!lock.owns_lock()) lock.lock();
      if (!thread_failure) thread_failure = std::current_exception();
      stop = true;
    }
    changed.notify_all();
  };

  std::vector<std::thread> helpers;
  try {
    for (unsigned i = 1; i < threads; ++i) helpers.emplace_back(work);
  } catch (const std::system_error&) {  // fewer threads than asked: the ones there do the work
  }
  work();
  for (auto& t : helpers) t.join();
  if (thread_failure) std::rethrow_exception(thread_failure);
  if (failure) return unexpected(std::move(*failure));
  return cutter.offset();
}

}  // namespace trainscope::inline v1::io::detail
