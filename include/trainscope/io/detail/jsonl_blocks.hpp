#pragma once
/**
 * Cuts a JSONL stream into the blocks the readers parse: up to `block` bytes ending at a newline,
 * the capacity doubled for a line longer than that, and the input's last line alone when no newline
 * ends it. The streaming and the parallel reader both cut with this one class, so they parse the very
 * same blocks (the parallel reader's equality with the single-threaded one rests on it).
 */
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "trainscope/io/detail/input.hpp"
#include "trainscope/io/detail/jsonl_parser.hpp"
#include "trainscope/io/detail/mapped_file.hpp"
#include "trainscope/result.hpp"

namespace trainscope::inline v1::io::detail {

/**
 * A block's bytes, followed by `input_padding` readable bytes: in the caller's buffer, or where a
 * mapped file has them (`mapped`; the bytes after the block are then the file's next ones).
 */
struct jsonl_block_buffer {
  std::unique_ptr<char[]> bytes;
  std::size_t capacity = 0;         // bytes before the padding
  const char* mapped = nullptr;     // the block in a mapped file, or nullptr: it is in `bytes`
  std::size_t size = 0;             // bytes of the block
  std::uint64_t offset = 0;         // input offset of data()[0]
  bool last_line = false;           // no newline ends it: the input's last line
  const char* data() const noexcept { return mapped ? mapped : bytes.get(); }
};

class jsonl_block_cutter {
 public:
  /// Reads `f` up to `limit` bytes (the size at open: a growing file is read that far). With `map`
  /// (the same file, mapped to at least `limit` bytes) blocks are cut where the map has them, not copied;
  /// the cuts are the same.
  jsonl_block_cutter(std::FILE* f, std::string path, std::uint64_t limit, std::size_t block = jsonl_block_size,
                     mapped_file* map = nullptr)
      : f_(f), path_(std::move(path)), limit_(limit), cap_(block < 16 ? 16 : block), map_(map) {
    if (map_ && map_->size() < limit_) map_ = nullptr;
  }

  /// Fills `b` with the next block: false at the end of the input or on a read error (see failure()).
  bool next(jsonl_block_buffer& b) {
    if (map_) return next_mapped(b);
    b.mapped = nullptr;
    for (;;) {
      if (b.capacity < cap_ || !b.bytes) {
        b.bytes.reset(new char[cap_ + input_padding]);  // not zeroed: filled before use
        b.capacity = cap_;
      }
      std::size_t have = carry_.size();
      if (have) std::memcpy(b.bytes.get(), carry_.data(), have);
      while (have < cap_ && !eof_) {
        const std::uint64_t left = limit_ - std::min(limit_, offset_ + have);
        if (left == 0) {
          eof_ = true;
          break;
        }
        const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(cap_ - have, left));
        const std::size_t got = std::fread(b.bytes.get() + have, 1, want, f_);
        have += got;
        if (got == 0) {
          if (std::ferror(f_)) {
            failure_ = open_error(errc::io_error, path_, "read error after " + std::to_string(offset_ + have) + " bytes");
            return false;
          }
          eof_ = true;
        }
      }
      if (first_) {
        first_ = false;
        if (has_bom(b.bytes.get(), have)) {
          byte_order_mark_ = true;
          std::memmove(b.bytes.get(), b.bytes.get() + 3, have - 3);
          have -= 3;
          offset_ = 3;
        }
      }
      std::memset(b.bytes.get() + have, 0, input_padding);
      if (const char* nl = last_newline(b.bytes.get(), b.bytes.get() + have)) {
        b.size = static_cast<std::size_t>(nl + 1 - b.bytes.get());
        b.offset = offset_;
        b.last_line = false;
        carry_.assign(b.bytes.get() + b.size, b.bytes.get() + have);
        offset_ += b.size;
        return true;
      }
      if (eof_) {
        carry_.clear();
        if (!have) return false;
        b.size = have, b.offset = offset_, b.last_line = true;
        offset_ += have;
        return true;
      }
      carry_.assign(b.bytes.get(), b.bytes.get() + have);  // a line longer than the buffer: grow it
      cap_ *= 2;
    }
  }

  /// next() in a mapped file: the block is the map's bytes when the `input_padding` bytes after it are the
  /// file's too; else (the end of the file) it is copied and padded with zeros, as next() would.
  bool next_mapped(jsonl_block_buffer& b) {
    const char* file = map_->data();
    if (first_) {
      first_ = false;
      if (has_bom(file, static_cast<std::size_t>(std::min<std::uint64_t>(limit_, 3)))) {
        byte_order_mark_ = true;
        offset_ = 3;
      }
    }
    // next()'s first fill read cap_ bytes and then dropped the mark: that window is 3 bytes shorter.
    std::size_t bom_window = byte_order_mark_ && offset_ == 3 ? 3 : 0;
    for (;;) {
      const std::uint64_t left = limit_ - std::min(limit_, offset_);
      if (left == 0) return false;
      // next() fills cap_ bytes, the partial line carried over included: the same window.
      const std::size_t have = static_cast<std::size_t>(std::min<std::uint64_t>(cap_ - bom_window, left));
      bom_window = 0;
      const char* p = file + offset_;
      std::size_t size = 0;
      if (const char* nl = last_newline(p, p + have)) {
        size = static_cast<std::size_t>(nl + 1 - p);
        b.last_line = false;
      } else if (have == left) {
        size = have;
        b.last_line = true;
      } else {
        cap_ *= 2;  // a line longer than the window
        continue;
      }
      if (offset_ + size + input_padding <= limit_) {
        b.mapped = p;
        map_->prefetch(offset_, size);
      } else {
        if (b.capacity < size || !b.bytes) {
          b.bytes.reset(new char[size + input_padding]);
          b.capacity = size;
        }
        std::memcpy(b.bytes.get(), p, size);
        std::memset(b.bytes.get() + size, 0, input_padding);
        b.mapped = nullptr;
      }
      b.size = size;
      b.offset = offset_;
      offset_ += size;
      return true;
    }
  }

  /// Bytes handed out in blocks so far (a byte order mark counts).
  std::uint64_t offset() const noexcept { return offset_; }
  /// True once the first block was read and began with a UTF-8 byte order mark (not handed out).
  bool byte_order_mark() const noexcept { return byte_order_mark_; }
  const std::optional<error>& failure() const noexcept { return failure_; }

 private:
  std::FILE* f_;
  std::string path_;
  std::uint64_t limit_;
  std::size_t cap_;
  mapped_file* map_;
  std::uint64_t offset_ = 0;  // input offset of the next block's first byte
  std::vector<char> carry_;   // the partial line after the last block
  bool eof_ = false, first_ = true, byte_order_mark_ = false;
  std::optional<error> failure_;
};

}  // namespace trainscope::inline v1::io::detail
