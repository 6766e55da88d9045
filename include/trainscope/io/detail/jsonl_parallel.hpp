#pragma once
/**
 * Parallel JSONL file reading: the blocks the streaming reader would parse one after the other
 * are parsed by worker threads, and their records reach one run_builder in file order.
 *
 * Why the result is the single-threaded one, exactly: the blocks are cut where parse_jsonl_stream
 * cuts them (same buffer size, same growth for a long line), each worker's parser reads a block as
 * the streaming parser would, and the records, issues and counts of block k enter the builder only
 * after those of block k-1. Issues carry lines numbered from their block's start; the merge adds the
 * lines of the blocks before. Memory stays bounded: a ring of a few blocks is in flight.
 */
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "trainscope/core/record.hpp"
#include "trainscope/core/run.hpp"
#include "trainscope/core/run_builder.hpp"
#include "trainscope/io/detail/input.hpp"
#include "trainscope/io/detail/jsonl_parser.hpp"
#include "trainscope/result.hpp"

namespace trainscope::inline v1::io::detail {

/** One block's records as the builder will receive them, plus what the parser noted. */
struct jsonl_batch {
  struct stored_record {
    record_kind kind = record_kind::train;
    std::uint8_t present = 0;  // bit i: value i below was logged (step is bit 7)
    std::int64_t step = 0;
    double values[6] = {};  // loss, val_loss, lr, epoch, wall_time_s, grad_norm
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
    jsonl_batch::stored_record& s = b.records.emplace_back();
    s.kind = r.kind;
    const std::optional<double>* values[6] = {&r.loss, &r.val_loss, &r.lr, &r.epoch, &r.wall_time_s, &r.grad_norm};
    for (unsigned i = 0; i < 6; ++i)
      if (*values[i]) {
        s.present |= static_cast<std::uint8_t>(1u << i);
        s.values[i] = **values[i];
      }
    if (r.step) {
      s.present |= 1u << 7;
      s.step = *r.step;
    }
    b.named.insert(b.named.end(), r.named_val_losses.begin(), r.named_val_losses.end());
    b.groups.insert(b.groups.end(), r.lr_groups.begin(), r.lr_groups.end());
    b.extra.insert(b.extra.end(), r.extra.begin(), r.extra.end());
    for (const auto& [k, v] : r.fields) b.texts.emplace_back(k), b.texts.emplace_back(v);
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
    record r;
    r.kind = s.kind;
    std::optional<double>* values[6] = {&r.loss, &r.val_loss, &r.lr, &r.epoch, &r.wall_time_s, &r.grad_norm};
    for (unsigned i = 0; i < 6; ++i)
      if (s.present & (1u << i)) *values[i] = s.values[i];
    if (s.present & (1u << 7)) r.step = s.step;
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
 * Reads an open JSONL file with `threads` parser threads into `builder` (which notes a byte order
 * mark); `keep_extra` as jsonl_parser::keep_extra. Reads at most `limit` bytes. Returns the bytes read,
 * or the first error in file order (an I/O error, or the parser's under bad_record_policy::fail).
 * `on_block(bytes_merged)` runs on the calling thread after each block is merged.
 */
template <class OnBlock>
result<std::uint64_t> parse_jsonl_parallel(run_builder& builder, std::FILE* f, const std::string& path,
                                           const read_options& opts, bool keep_extra, unsigned threads,
                                           std::uint64_t limit, OnBlock&& on_block,
                                           std::size_t block = jsonl_block_size) {
  struct slot {
    std::unique_ptr<char[]> buf;
    std::size_t cap = 0;    // bytes of buf before its padding
    std::size_t size = 0;   // bytes to parse
    std::uint64_t offset = 0;
    bool last_line = false;  // no newline ends it: the input's last line
    enum class state { free, filled, parsing, parsed } st = state::free;
    jsonl_batch batch;
  };
  const std::size_t ring = 2 * static_cast<std::size_t>(threads) + 2;
  std::vector<slot> slots(ring);
  std::mutex mutex;
  std::condition_variable work_ready, batch_ready;
  std::size_t produced = 0, consumed = 0, next_to_parse = 0;
  bool done = false;
  std::exception_ptr worker_failure;

  auto worker = [&] {
    jsonl_batch_sink sink;
    jsonl_parser<jsonl_batch_sink> parser(sink, path, opts);
    parser.keep_extra(keep_extra);
    for (;;) {
      slot* s = nullptr;
      {
        std::unique_lock lock(mutex);
        work_ready.wait(lock, [&] { return done || next_to_parse < produced; });
        if (next_to_parse >= produced) return;  // done, nothing left
        s = &slots[next_to_parse++ % ring];
        s->st = slot::state::parsing;
      }
      try {
        s->batch.clear();
        sink.batch = &s->batch;
        parser.restart_lines();
        if (s->last_line) parser.parse_last_line(s->buf.get(), s->buf.get() + s->size, s->offset);
        else parser.parse(s->buf.get(), s->buf.get() + s->size, s->offset);
        s->batch.newlines = parser.line() - 1;
        if (parser.failed()) {
          s->batch.failed = true;
          s->batch.failure = parser.failure();
        }
      } catch (...) {  // out of memory: handed to the calling thread
        std::lock_guard lock(mutex);
        if (!worker_failure) worker_failure = std::current_exception();
        s->batch.failed = true;
      }
      {
        std::lock_guard lock(mutex);
        s->st = slot::state::parsed;
      }
      batch_ready.notify_one();
    }
  };

  std::vector<std::thread> workers;
  auto stop_workers = [&] {
    {
      std::lock_guard lock(mutex);
      done = true;
    }
    work_ready.notify_all();
    for (auto& t : workers) t.join();
  };
  try {
    for (unsigned i = 0; i < threads; ++i) workers.emplace_back(worker);
  } catch (const std::system_error&) {
    if (workers.empty()) return unexpected(open_error(errc::io_error, path, "cannot start a reader thread"));
  }

  std::size_t cap = block < 16 ? 16 : block;  // as parse_jsonl_stream: grows for a line longer than it
  std::uint64_t offset = 0;                   // input offset of the next block's first byte
  std::vector<char> carry;                    // the partial line after the last block
  bool eof = false, first = true;
  std::size_t line_base = 1;
  std::vector<text_field> field_views;
  std::optional<error> failure;

  // Fills `s` with the next block (the carried partial line, then new bytes): false at the end.
  auto fill = [&](slot& s) -> bool {
    for (;;) {
      if (s.cap < cap || !s.buf) {
        s.buf.reset(new char[cap + input_padding]);  // not zeroed: filled before use
        s.cap = cap;
      }
      std::size_t have = carry.size();
      if (have) std::memcpy(s.buf.get(), carry.data(), have);
      while (have < cap && !eof) {
        const std::uint64_t left = limit - std::min(limit, offset + have);
        if (left == 0) {
          eof = true;
          break;
        }
        const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(cap - have, left));
        const std::size_t got = std::fread(s.buf.get() + have, 1, want, f);
        have += got;
        if (got == 0) {
          if (std::ferror(f)) {
            failure = open_error(errc::io_error, path, "read error after " + std::to_string(offset + have) + " bytes");
            return false;
          }
          eof = true;
        }
      }
      if (first) {  // as parse_jsonl_stream, so that blocks end where they end there
        first = false;
        if (has_bom(s.buf.get(), have)) {
          builder.diagnostics().byte_order_mark = true;
          std::memmove(s.buf.get(), s.buf.get() + 3, have - 3);
          have -= 3;
          offset = 3;
        }
      }
      std::memset(s.buf.get() + have, 0, input_padding);
      const char* nl = last_newline(s.buf.get(), s.buf.get() + have);
      if (nl) {
        s.size = static_cast<std::size_t>(nl + 1 - s.buf.get());
        s.offset = offset;
        s.last_line = false;
        carry.assign(s.buf.get() + s.size, s.buf.get() + have);
        offset += s.size;
        return true;
      }
      if (eof) {
        carry.clear();
        if (!have) return false;
        s.size = have, s.offset = offset, s.last_line = true;
        offset += have;
        return true;
      }
      carry.assign(s.buf.get(), s.buf.get() + have);  // a line longer than the buffer: grow it
      cap *= 2;
    }
  };

  bool reading = true;
  std::unique_lock lock(mutex);
  while (!failure) {
    // Merge every parsed block that is next in file order.
    while (!worker_failure && consumed < produced && slots[consumed % ring].st == slot::state::parsed) {
      slot& s = slots[consumed % ring];
      lock.unlock();
      merge_jsonl_batch(builder, s.batch, line_base, field_views);
      if (s.batch.failed) {
        failure = s.batch.failure;
        if (failure->line) failure->line += line_base - 1;
      }
      line_base += s.batch.newlines;
      on_block(s.offset + s.size);
      lock.lock();
      s.st = slot::state::free;
      ++consumed;
      if (failure) break;
    }
    if (failure || worker_failure) break;
    if (reading && produced - consumed < ring) {
      slot& s = slots[produced % ring];
      lock.unlock();
      reading = fill(s);
      lock.lock();
      if (reading) {
        s.st = slot::state::filled;
        ++produced;
        work_ready.notify_one();
      }
      continue;
    }
    if (!reading && consumed == produced) break;
    batch_ready.wait(lock, [&] { return worker_failure || slots[consumed % ring].st == slot::state::parsed; });
  }
  lock.unlock();
  stop_workers();
  if (worker_failure) std::rethrow_exception(worker_failure);
  if (failure) return unexpected(std::move(*failure));
  return offset;
}

}  // namespace trainscope::inline v1::io::detail
