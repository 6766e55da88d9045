#pragma once
/** Opening a log: refuse what is not a regular file, read up to the size seen at open, pad. */
#include <sys/stat.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "trainscope/result.hpp"

namespace trainscope::inline v1::io::detail {

/// Zero bytes kept after the data: simdjson needs 64 (SIMDJSON_PADDING); other readers rely on a terminator.
inline constexpr std::size_t input_padding = 64;

/** A whole input in memory, followed by `input_padding` zero bytes. */
struct padded_input {
  std::unique_ptr<char[]> bytes;
  std::size_t size = 0;
  std::size_t capacity = 0;  ///< size + padding
  std::string_view view() const noexcept { return {bytes.get(), size}; }
  const char* data() const noexcept { return bytes.get(); }
};

inline error open_error(errc code, const std::string& path, std::string message) {
  error e;
  e.code = code;
  e.file = path;
  e.message = std::move(message);
  return e;
}

/** Copies `data` into a padded buffer (for tests, fuzzers and in-memory logs). */
inline padded_input make_padded(std::string_view data) {
  padded_input in;
  in.size = data.size();
  in.capacity = data.size() + input_padding;
  in.bytes = std::make_unique<char[]>(in.capacity);  // value-initialised: the padding is zero
  if (!data.empty()) std::memcpy(in.bytes.get(), data.data(), data.size());
  return in;
}

/**
 * Reads standard input to its end into a padded buffer.
 * Grows geometrically: the size of a pipe is not known ahead.
 */
inline result<padded_input> read_stdin(std::FILE* stream = stdin) {
  std::size_t cap = 1 << 16, size = 0;
  auto buf = std::make_unique<char[]>(cap + input_padding);
  for (;;) {
    if (size == cap) {
      std::size_t next = cap * 2;
      auto bigger = std::make_unique<char[]>(next + input_padding);
      std::memcpy(bigger.get(), buf.get(), size);
      buf = std::move(bigger);
      cap = next;
    }
    std::size_t got = std::fread(buf.get() + size, 1, cap - size, stream);
    size += got;
    if (got == 0) {
      if (std::ferror(stream)) return unexpected(open_error(errc::io_error, "-", "read error on standard input"));
      break;
    }
  }
  std::memset(buf.get() + size, 0, input_padding);
  padded_input in;
  in.bytes = std::move(buf);
  in.size = size;
  in.capacity = size + input_padding;
  return in;
}

/** Checks that `path` names a regular file we may read; returns its size at open. */
inline result<std::uint64_t> regular_file_size(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return unexpected(open_error(errc::cannot_open, path, std::string("cannot open: ") + std::strerror(errno)));
  if (S_ISDIR(st.st_mode))
    return unexpected(open_error(errc::cannot_open, path, "is a directory, not a log file"));
  if (!S_ISREG(st.st_mode))
    return unexpected(open_error(errc::cannot_open, path,
                                 "is not a regular file (FIFO, socket or device); pipe it to standard input as '-'"));
  return static_cast<std::uint64_t>(st.st_size);
}

/**
 * Reads a whole regular file, or standard input for "-", into a padded buffer.
 * A file that grows while being read is read up to the size it had at open.
 */
inline result<padded_input> read_input(const std::string& path) {
  if (path == "-") return read_stdin();
  auto size = regular_file_size(path);
  if (!size) return unexpected(size.error());
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) return unexpected(open_error(errc::cannot_open, path, std::string("cannot open: ") + std::strerror(errno)));
  padded_input in;
  in.size = static_cast<std::size_t>(*size);
  in.capacity = in.size + input_padding;
  in.bytes = std::unique_ptr<char[]>(new char[in.capacity]);  // not zeroed: the data part is overwritten
  std::size_t got = in.size ? std::fread(in.bytes.get(), 1, in.size, f.get()) : 0;
  if (got != in.size && std::ferror(f.get()))
    return unexpected(open_error(errc::io_error, path, "read error after " + std::to_string(got) + " bytes"));
  in.size = got;  // the file shrank while we read: keep what was there
  std::memset(in.bytes.get() + in.size, 0, input_padding);
  return in;
}

}  // namespace trainscope::inline v1::io::detail
