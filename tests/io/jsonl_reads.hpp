#pragma once
// The ways of reading one JSONL text that must give one result: the streaming reader (one thread, blocks
// of a chosen size, with or without line shapes) and the parallel reader. Shared by the io tests and the
// JSONL fuzzer, which compare them with outcome_difference (run_equality.hpp).
#include <stdio.h>  // fmemopen (POSIX)

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "trainscope/io/jsonl.hpp"

namespace trainscope_test {

/// The streaming reader (read_jsonl_file's one-thread path) over `text` in blocks of `block` bytes.
inline trainscope::result<trainscope::run> read_jsonl_streamed(std::string_view text,
                                                                const trainscope::io::read_options& opts,
                                                                std::size_t block, bool line_shapes = true) {
  namespace io = trainscope::io;
  std::FILE* f = ::fmemopen(const_cast<char*>(text.data()), text.size(), "rb");
  if (!f) return trainscope::unexpected(io::detail::open_error(trainscope::errc::cannot_open, "log.jsonl", "fmemopen"));
  io::detail::jsonl_run_sink sink{trainscope::run_builder(trainscope::source_info{"log.jsonl", "jsonl"}, opts.build)};
  io::detail::jsonl_parser<io::detail::jsonl_run_sink> parser(sink, "log.jsonl", opts);
  parser.line_shapes(line_shapes);
  auto read = io::detail::parse_jsonl_stream(parser, sink, f, "log.jsonl", [](std::uint64_t) {}, text.size(), block);
  std::fclose(f);
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
                                                                   std::uint64_t* bytes_read = nullptr) {
  namespace io = trainscope::io;
  std::FILE* f = ::fmemopen(const_cast<char*>(text.data()), text.size(), "rb");
  if (!f) return trainscope::unexpected(io::detail::open_error(trainscope::errc::cannot_open, "log.jsonl", "fmemopen"));
  trainscope::run_builder builder(trainscope::source_info{"log.jsonl", "jsonl"}, opts.build);
  auto read = io::detail::parse_jsonl_parallel(builder, f, "log.jsonl", opts, true, threads, text.size(),
                                               [](std::uint64_t) {}, block);
  std::fclose(f);
  if (!read) return trainscope::unexpected(read.error());
  if (bytes_read) *bytes_read = *read;
  auto ok = io::detail::jsonl_outcome(nullptr, builder.diagnostics(), builder.current().has_loss(), "log.jsonl");
  if (!ok) return trainscope::unexpected(ok.error());
  return std::move(builder).finish();
}

}  // namespace trainscope_test
