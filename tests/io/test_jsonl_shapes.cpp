// Lines read by their learned shape (io/detail/jsonl_line_shape.hpp) give the records simdjson gives:
// same series bit for bit, counts, issues and their lines, and the same error under --strict. Each
// input is read with shapes and without, in memory and streamed in blocks, under both policies.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "io/jsonl_reads.hpp"
#include "io/reader_fixtures.hpp"
#include "io/run_equality.hpp"
#include "trainscope/io/jsonl.hpp"

using namespace trainscope;
namespace fs = std::filesystem;

namespace {

// The run sink without emit_values: every record is built as a `record` and goes to run_builder::add(record).
struct record_path_sink {
  static constexpr bool needs_line = false;
  run_builder builder;
  bool emit(const record& r) {
    builder.add(r);
    return true;
  }
  read_diagnostics& diagnostics() noexcept { return builder.diagnostics(); }
  model_shape* model() noexcept { return &builder.current().model; }
};

// read_jsonl's in-memory path, with line shapes on or off.
template <class Sink = io::detail::jsonl_run_sink>
result<run> read_memory(const std::string& text, const io::read_options& opts, bool shapes, bool keep_extra,
                        std::size_t* shaped = nullptr) {
  const auto input = io::detail::make_padded(text);
  Sink sink{run_builder(source_info{"log.jsonl", "jsonl"}, opts.build)};
  io::detail::jsonl_parser<Sink> parser(sink, "log.jsonl", opts);
  parser.line_shapes(shapes);
  parser.keep_extra(keep_extra);
  parser.persistent_input(true);
  io::detail::parse_jsonl_buffer(parser, sink, input.data(), input.size, [](std::uint64_t) {}, 256);
  if (shaped) *shaped = parser.shaped_records();
  auto ok = io::detail::jsonl_outcome(parser.failed() ? &parser.failure() : nullptr, sink.diagnostics(),
                                      sink.builder.current().has_loss(), "log.jsonl");
  if (!ok) return unexpected(ok.error());
  return std::move(sink.builder).finish();
}

// The streaming path (blocks reused, lines counted per block), in blocks of `block` bytes.
result<run> read_stream(const std::string& text, const io::read_options& opts, bool shapes, std::size_t block) {
  return trainscope_test::read_jsonl_streamed(text, opts, block, shapes);
}

void check_same(const result<run>& json_parser, const result<run>& shaped) {
  CHECK(trainscope_test::outcome_difference(json_parser, shaped) == "");
}

// Compares every way; returns how many records the default reading took by their shape.
std::size_t check_shapes_change_nothing(const std::string& text) {
  io::read_options skip, fail, few_columns;
  fail.on_bad_record = io::bad_record_policy::fail;
  few_columns.skip_columns = io::columns::epoch | io::columns::wall_time | io::columns::grad_norm | io::columns::extra;
  for (const io::read_options* opts : {&skip, &fail, &few_columns}) {
    CAPTURE(opts == &fail);
    CAPTURE(opts == &few_columns);
    for (bool keep_extra : {true, false}) check_same(read_memory(text, *opts, false, keep_extra), read_memory(text, *opts, true, keep_extra));
    for (std::size_t block : {std::size_t(64), std::size_t(1000)})
      check_same(read_stream(text, *opts, false, block), read_stream(text, *opts, true, block));
  }
  std::size_t shaped = 0;
  (void)read_memory(text, {}, true, true, &shaped);
  return shaped;
}

}  // namespace

TEST_CASE("line shapes: every real JSONL log and fuzz-corpus file reads the same as with simdjson alone") {
  std::size_t files = 0, shaped = 0;
  for (const fs::path& dir : {fs::path(TRAINSCOPE_REAL_LOGS_DIR) / "jsonl", fs::path(TRAINSCOPE_SOURCE_DIR) / "tests/fuzz/corpus/jsonl"}) {
    for (const auto& entry : fs::directory_iterator(dir)) {
      const std::string text = fixtures::slurp(entry.path().string());
      if (text.empty()) continue;
      CAPTURE(entry.path().string());
      shaped += check_shapes_change_nothing(text);
      ++files;
    }
  }
  CHECK(files >= 15);
  CHECK(shaped > 2000);  // the real logs' records are mostly read by shape: the comparison means something
}

TEST_CASE("plain records handed on as record_values build the run that whole records build") {
  // The reader passes a record of step and one-value roles to its sink as record_values (emit_values); a
  // sink without that takes every record whole, through run_builder::add(record). Both runs must agree.
  std::size_t files = 0;
  io::read_options skip, fail, merge;
  fail.on_bad_record = io::bad_record_policy::fail;
  merge.build.on_restart = restart_policy::merge;
  for (const fs::path& dir : {fs::path(TRAINSCOPE_REAL_LOGS_DIR) / "jsonl", fs::path(TRAINSCOPE_SOURCE_DIR) / "tests/fuzz/corpus/jsonl"}) {
    for (const auto& entry : fs::directory_iterator(dir)) {
      const std::string text = fixtures::slurp(entry.path().string());
      if (text.empty()) continue;
      CAPTURE(entry.path().string());
      for (const io::read_options* opts : {&skip, &fail, &merge})
        for (bool shapes : {true, false})
          check_same(read_memory<record_path_sink>(text, *opts, shapes, true), read_memory(text, *opts, shapes, true));
      ++files;
    }
  }
  CHECK(files >= 15);
}

TEST_CASE("line shapes: one shape, every kind of value in its number places") {
  // The first line teaches the shape; the others have its bytes around values that are numbers of
  // every form, numbers a slot cannot take, and things that are no number at all.
  const std::string head = "{\"step\": ";
  const std::vector<std::string> steps = {"1", "2", "1e3", "1500.0", "1600.5", "9000000000000001", "-5", "-0",
                                          "12345678901234567890123", "0", "07", "1.", "\"3\"", "null", "3.5e-1"};
  const std::vector<std::string> values = {"2.5", "-0.0", "1e400", "-1e400", "5e-324", "1e-400", "0.1",
                                           "11.178716368730319", "6e-07", "NaN", "Infinity", "\"2.5\"", "null",
                                           "true", "[1]", "1.2.3", "--1", "+1", "0x10", "1e", "123456789012345678901234567890123456789"};
  std::string text = "{\"step\": 0, \"loss\": 3.5, \"lr\": 0.001, \"tokens\": 12, \"epoch\": 0.5}\n";
  std::mt19937 rng(7);
  for (int n = 0; n < 3000; ++n) {
    const std::string& step = n % 5 == 0 ? steps[rng() % steps.size()] : std::to_string(n + 1);
    auto value = [&] { return rng() % 3 == 0 ? values[rng() % values.size()] : std::to_string(rng() % 1000) + ".25"; };
    text += head + step + ", \"loss\": " + value() + ", \"lr\": " + value() + ", \"tokens\": " + value() +
            ", \"epoch\": " + value() + "}";
    switch (rng() % 8) {
      case 0: text += "  "; break;  // trailing blanks
      case 1: text += "\r"; break;  // CRLF
      case 2: text += " {}"; break; // a second value on the line
      default: break;
    }
    text += "\n";
  }
  CHECK(check_shapes_change_nothing(text) > 500);  // a third of the lines hold only numbers
}

TEST_CASE("line shapes: shapes that change, repeat, alias, classify and run long") {
  std::string text;
  std::mt19937 rng(11);
  const std::vector<std::string> lines = {
      "{\"step\": S, \"loss\": V, \"lr\": V, \"grad_norm\": V, \"time\": V}",
      "{\"step\":S,\"loss\":V,\"lr\":V}",                                  // no blanks
      "{ \"step\" : S , \"loss\" : V }",                                   // blanks everywhere
      "{\t\"step\":\tS,\t\"train_loss\":\tV}",                             // tabs, an alias
      "{\"step\": S, \"val_loss\": V, \"train_loss\": V}",                 // an evaluation
      "{\"step\": S, \"eval_code_loss\": V, \"eval_math_loss\": V}",       // named validation sets
      "{\"type\": \"eval\", \"step\": S, \"loss\": V}",                    // an explicit kind
      "{\"type\": \"config\", \"step\": S, \"loss\": V}",                  // config: never shaped
      "{\"kind\": \"train\", \"step\": S, \"loss\": V, \"note\": \"ok\"}",  // a string nobody reads
      "{\"step\": S, \"loss\": V, \"loss\": V}",                           // a duplicate key
      "{\"step\": S, \"loss\": V, \"train/loss\": V}",                     // a second alias
      "{\"step\": S, \"loss\": V, \"lr/pg0\": V, \"lr/pg1\": V}",          // parameter groups
      "{\"step\": S, \"loss\": V, \"flag\": true, \"none\": null}",        // literals nobody reads
      "{\"step\": S, \"loss\": V, \"n_layer\": V}",                        // a model key with a loss
      "{\"n_layer\": 12, \"n_head\": 8}",                                  // config
      "{\"train_runtime\": V, \"train_loss\": V, \"step\": S}",           // summary
      "{\"step\": S, \"loss\": V, \"caf\\u00e9\": V}",                     // an escaped key: not shaped
      "{\"step\": S, \"loss\": V, \"pad\": \"" + std::string(600, 'p') + "\", \"lr\": V}",  // longer than the map
      "{\"step\": S, \"lr\": V}",                                          // no loss at all
      "   {\"step\": S, \"loss\": V}",                                     // leading blanks
      "{\"step\": S, \"loss\": V}   ",
      "",                                                                  // a blank line
      "{\"step\": S, \"loss\": V",                                         // unclosed
      "{\"step\": S,\n\"loss\": V}",                                       // an object over two lines
  };
  int step = 0;
  for (int n = 0; n < 4000; ++n) {
    std::string line = lines[n % 7 == 0 ? rng() % lines.size() : rng() % 3];
    std::string out;
    for (char c : line) {
      if (c == 'S') out += std::to_string(++step / 2);
      else if (c == 'V') out += std::to_string(static_cast<double>(rng() % 100000) / 7.0);
      else out += c;
    }
    text += out + "\n";
  }
  text += "{\"step\": 99999, \"loss\": 1.5}";  // the last line, without its newline
  CHECK(check_shapes_change_nothing(text) > 2000);
}

TEST_CASE("json numbers read right on both paths: many digits, and values too small for a double") {
  // simdjson 3.0.1's get_double reads the first as 1.27e-09; the reader converts numbers itself.
  const std::string text = "{\"step\": 1, \"loss\": 0.5502720475196837777777777778, \"lr\": 1e-400}\n"
                           "{\"step\": 2, \"loss\": 0.5502720475196837777777777778, \"lr\": -1e-400}\n"
                           "{\"step\": 3, \"loss\": 1e400, \"lr\": 2e-324}\n";
  const double long_number = std::strtod("0.5502720475196837777777777778", nullptr);
  for (bool shapes : {false, true}) {
    CAPTURE(shapes);
    auto r = read_memory(text, {}, shapes, true);
    REQUIRE(r);
    REQUIRE(r->train_loss.size() == 2);  // 1e400 is no double: skipped with an issue
    CHECK(r->train_loss.values[0] == long_number);
    CHECK(r->train_loss.values[1] == long_number);
    REQUIRE(r->lr.size() == 3);
    CHECK(r->lr.values[0] == 0.0);
    CHECK(std::signbit(r->lr.values[1]));  // -1e-400 rounds to -0
    CHECK(r->lr.values[2] == 0.0);         // below half the smallest subnormal
    REQUIRE(r->diagnostics.issues.size() == 1);
    CHECK(r->diagnostics.issues[0].line == 3);
    CHECK(r->diagnostics.issues[0].field == "loss");
  }
}

TEST_CASE("a record's offset is its object's first byte, wherever its line falls in a batch") {
  // Line 2 starts with blanks. Read in tiny blocks it opens a batch; in big ones it sits inside one;
  // alone (line shapes around it) it is a batch of its own. The issue's offset is the '{' every time.
  const std::string first = "{\"step\": 1, \"loss\": 1.5}\n";
  const std::string text = first + "  \t{\"step\": 2, \"loss\": \"x\"}\n{\"step\": 3, \"loss\": 1.25}\n";
  const std::uint64_t brace = first.size() + 3;
  for (std::size_t block : {std::size_t(16), std::size_t(4096)})
    for (bool shapes : {false, true}) {
      CAPTURE(block);
      CAPTURE(shapes);
      auto r = read_stream(text, {}, shapes, block);
      REQUIRE(r);
      REQUIRE(r->diagnostics.issues.size() == 1);
      CHECK(r->diagnostics.issues[0].line == 2);
      CHECK(r->diagnostics.issues[0].byte_offset == brace);
    }
}

TEST_CASE("records and issues handed to a callback carry their file line in every block layout") {
  // Blank lines, bad lines and evaluations between shaped lines; the line of each record and issue is
  // counted here from its byte offset, independently of the reader.
  std::string text;
  for (int i = 0; i < 3000; ++i) {
    text += "{\"step\": " + std::to_string(i) + ", \"loss\": " + std::to_string(1.0 + i * 0.001) + "}\n";
    if (i % 97 == 0) text += "\n";
    if (i % 131 == 0) text += "garbage\n";
    if (i % 50 == 0) text += "{\"step\": " + std::to_string(i) + ", \"val_loss\": 2.5}\n";
  }
  auto line_of = [&](std::uint64_t offset) {
    std::size_t line = 1;
    for (std::uint64_t k = 0; k < offset; ++k) line += text[k] == '\n';
    return line;
  };
  for (std::size_t block : {std::size_t(64), std::size_t(333), std::size_t(1) << 20})
    for (bool shapes : {false, true}) {
      CAPTURE(block);
      CAPTURE(shapes);
      std::size_t records = 0, wrong = 0;
      auto on_record = [&](const record& r) {
        ++records;
        wrong += r.line != line_of(r.byte_offset);
      };
      io::detail::jsonl_callback_sink<decltype(on_record)> sink{on_record, {}, {}, false};
      io::detail::jsonl_parser<decltype(sink)> parser(sink, "log.jsonl", {});
      parser.line_shapes(shapes);
      std::FILE* f = ::fmemopen(text.data(), text.size(), "rb");
      REQUIRE(f);
      REQUIRE(io::detail::parse_jsonl_stream(parser, sink, f, "log.jsonl", [](std::uint64_t) {}, text.size(), block));
      std::fclose(f);
      CHECK(records == 3060);
      CHECK(wrong == 0);
      REQUIRE(sink.diag.issues.size() == 23);
      for (const auto& issue : sink.diag.issues) CHECK(issue.line == line_of(issue.byte_offset));
    }
}
