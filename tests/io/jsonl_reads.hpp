#pragma once
// The ways of reading one JSONL text that must give one result: the streaming reader (one thread, blocks
// of a chosen size, with or without line shapes) and the parallel reader, each from a copy of the bytes
// or from a memory map of a file holding them. Shared by the io tests and the JSONL fuzzer, which compare
// them with outcome_difference (run_equality.hpp).
#include <stdio.h>  // fmemopen (POSIX)
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>

#include "trainscope/io/detail/mapped_file.hpp"
#include "trainscope/io/jsonl.hpp"

namespace trainscope_test {

/// A scratch file holding `text`, removed when it goes.
struct scratch_file {
  std::string path;
  explicit scratch_file(std::string_view text) {
    static std::atomic<unsigned> count{0};
    path = (std::filesystem::temp_directory_path() /
            ("trainscope_test_" + std::to_string(::getpid()) + "_" + std::to_string(count++) + ".jsonl"))
               .string();
    std::ofstream(path, std::ios::binary).write(text.data(), static_cast<std::streamsize>(text.size()));
  }
  scratch_file(const scratch_file&) = delete;
  scratch_file& operator=(const scratch_file&) = delete;
  ~scratch_file() { std::remove(path.c_str()); }
};

/// Where a reader takes its bytes from: the bytes copied out of a stream (fmemopen), or a memory map of
/// a file holding them (the bytes after each block are then the file's next ones, not zeros).
enum class byte_source { copied, mapped };

/// `text` as an open stream, and its map when `source` is mapped (nullptr if it could not be made).
struct opened_text {
  std::unique_ptr<scratch_file> file;
  std::FILE* f = nullptr;
  trainscope::io::detail::mapped_file map;
  opened_text(std::string_view text, byte_source source) {
    if (source == byte_source::copied) {
      f = ::fmemopen(const_cast<char*>(text.data()), text.size(), "rb");
      return;
    }
    file = std::make_unique<scratch_file>(text);
    f = std::fopen(file->path.c_str(), "rb");
    if (f) (void)map.map(::fileno(f), text.size());
  }
  opened_text(const opened_text&) = delete;
  opened_text& operator=(const opened_text&) = delete;
  ~opened_text() {
    if (f) std::fclose(f);
  }
  trainscope::io::detail::mapped_file* mapped() { return map ? &map : nullptr; }
};

/// The streaming reader (read_jsonl_file's one-thread path) over `text` in blocks of `block` bytes.
inline trainscope::result<trainscope::run> read_jsonl_streamed(std::string_view text,
                                                                const trainscope::io::read_options& opts,
                                                                std::size_t block, bool line_shapes = true,
                                                                byte_source source = byte_source::copied) {
  namespace io = trainscope::io;
  opened_text in(text, source);
  if (!in.f || (source == byte_source::mapped && !text.empty() && !in.mapped()))
    return trainscope::unexpected(io::detail::open_error(trainscope::errc::cannot_open, "log.jsonl", "cannot open"));
  io::detail::jsonl_run_sink sink{trainscope::run_builder(trainscope::source_info{"log.jsonl", "jsonl"}, opts.build)};
  io::detail::jsonl_parser<io::detail::jsonl_run_sink> parser(sink, "log.jsonl", opts);
  parser.line_shapes(line_shapes);
  auto read = io::detail::parse_jsonl_stream(parser, sink, in.f, "log.jsonl", [](std::uint64_t) {}, text.size(), block,
                                             in.mapped());
  if (!read) return trainscope::unexpected(read.error());
  auto ok = io::detail::jsonl_outcome(parser.failed() ? &parser.failure() : nullptr, sink.diagnostics(),
                                      sink.builder.current().has_loss(), "log.jsonl");
  if (!ok) return trainscope::unexpected(ok.error());
  return std::move(sink.builder).finish();
}

/// The same text parsed by `threads` threads in blocks of `block` bytes, merged in file order;
/// `bytes_read` (if given) receives what the reader says it read.
inline trainscope::result<trainscope::run> read_jsonl_in_parallel(std::string_view text,
                                                                   const trainscope::io::read_options& opts,
                                                                   std::size_t block, unsigned threads,
                                                                   std::uint64_t* bytes_read = nullptr,
                                                                   byte_source source = byte_source::copied) {
  namespace io = trainscope::io;
  opened_text in(text, source);
  if (!in.f || (source == byte_source::mapped && !text.empty() && !in.mapped()))
    return trainscope::unexpected(io::detail::open_error(trainscope::errc::cannot_open, "log.jsonl", "cannot open"));
  trainscope::run_builder builder(trainscope::source_info{"log.jsonl", "jsonl"}, opts.build);
  auto read = io::detail::parse_jsonl_parallel(builder, in.f, "log.jsonl", opts, true, threads, text.size(),
                                               [](std::uint64_t) {}, block, in.mapped());
  if (!read) return trainscope::unexpected(read.error());
  if (bytes_read) *bytes_read = *read;
  auto ok = io::detail::jsonl_outcome(nullptr, builder.diagnostics(), builder.current().has_loss(), "log.jsonl");
  if (!ok) return trainscope::unexpected(ok.error());
  return std::move(builder).finish();
}

}  // namespace trainscope_test
