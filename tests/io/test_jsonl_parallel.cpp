// Parallel JSONL reading gives the run a single thread reads: same series, counts, issues and lines,
// and the same error under bad_record_policy::fail, whatever the block size and number of threads.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "io/jsonl_reads.hpp"
#include "io/run_equality.hpp"
#include "trainscope/io/jsonl.hpp"

using namespace trainscope;
namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

result<run> read_single(const std::string& text, const io::read_options& opts, std::size_t block) {
  return trainscope_test::read_jsonl_streamed(text, opts, block);
}

// The same input parsed by `threads` threads, merged in file order; it says it read every byte.
result<run> read_parallel(const std::string& text, const io::read_options& opts, std::size_t block,
                          unsigned threads) {
  std::uint64_t read = 0;
  auto r = trainscope_test::read_jsonl_in_parallel(text, opts, block, threads, &read);
  if (r) CHECK(read == text.size());
  return r;
}

void check_same(const result<run>& single, const result<run>& parallel) {
  CHECK(trainscope_test::outcome_difference(single, parallel) == "");
}

// Both policies, several block sizes (so block boundaries fall everywhere) and thread counts; the bytes
// copied into the reader's buffers, or parsed where a memory map of a file has them.
void check_all_ways(const std::string& text) {
  using trainscope_test::byte_source;
  io::read_options skip, fail;
  fail.on_bad_record = io::bad_record_policy::fail;
  for (const io::read_options* opts : {&skip, &fail})
    for (std::size_t block : {std::size_t(64), std::size_t(333), std::size_t(4096)}) {
      CAPTURE(block);
      CAPTURE(opts == &fail);
      const auto single = read_single(text, *opts, block);
      for (unsigned threads : {2u, 3u}) {
        CAPTURE(threads);
        check_same(single, read_parallel(text, *opts, block, threads));
      }
      check_same(single, trainscope_test::read_jsonl_streamed(text, *opts, block, true, byte_source::mapped));
      check_same(single, trainscope_test::read_jsonl_in_parallel(text, *opts, block, 2, nullptr, byte_source::mapped));
    }
}

using temp_file = trainscope_test::scratch_file;

}  // namespace

TEST_CASE("parallel jsonl: every real JSONL log reads the same with threads as with one") {
  std::size_t files = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(TRAINSCOPE_REAL_LOGS_DIR) / "jsonl")) {
    CAPTURE(entry.path().string());
    check_all_ways(slurp(entry.path()));
    ++files;
  }
  CHECK(files >= 3);
}

TEST_CASE("parallel jsonl: damaged inputs of the fuzz corpus read the same, issues on the same lines") {
  std::size_t files = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(TRAINSCOPE_SOURCE_DIR) / "tests/fuzz/corpus/jsonl")) {
    const std::string text = slurp(entry.path());
    if (text.empty()) continue;
    CAPTURE(entry.path().string());
    check_all_ways(text);
    ++files;
  }
  CHECK(files >= 10);
}

TEST_CASE("parallel jsonl: a messy log: BOM, bad lines, a long line, config, restart, resume, cut-off end") {
  std::string text = "\xEF\xBB\xBF{\"type\": \"config\", \"n_layer\": 12, \"lr_schedule\": \"cosine\"}\n";
  for (int step = 1; step <= 300; ++step) {
    text += "{\"step\": " + std::to_string(step) + ", \"loss\": " + std::to_string(3.0 - step * 0.001) +
            ", \"lr\": 0.001, \"lr/pg1\": 0.002, \"tokens\": " + std::to_string(step * 10) + "}\n";
    if (step % 37 == 0) text += "{\"step\": " + std::to_string(step) + ", \"loss\": }\n";   // bad line
    if (step % 53 == 0) text += "not json at all\n";
    if (step % 50 == 0) text += "{\"step\": " + std::to_string(step) + ", \"val_loss\": 2.5, \"eval_code_loss\": 2.7}\n";
    if (step == 120) text += "{\"step\": 100, \"loss\": 9.5}\n";  // a resume: replaces 100..120
    if (step == 200) text += "{\"note\": \"" + std::string(9000, 'x') + "\", \"step\": 200, \"loss\": 1}\n";
  }
  text += "{\"step\": 1, \"loss\": 3.3}\n";  // a second run in the same file
  text += "{\"step\": 2, \"loss\": 3.2";     // cut off
  check_all_ways(text);
  // and the reading itself is right: line numbers count from the file's first line
  auto r = read_parallel(text, {}, 333, 2);
  REQUIRE(r);
  CHECK(r->diagnostics.byte_order_mark);
  CHECK(r->diagnostics.truncated_last_line);
  CHECK(r->diagnostics.restarts == 1);
  REQUIRE(r->diagnostics.issues.size() >= 2);
  CHECK(r->diagnostics.issues.front().line == 39);  // config + 37 steps, then the bad line
}

TEST_CASE("parallel jsonl: read_jsonl_file with two threads reads a 6 MB log as one thread does") {
  std::string text;
  for (int step = 1; step <= 40000; ++step) {
    text += "{\"step\": " + std::to_string(step) + ", \"epoch\": " + std::to_string(step / 10000.0) +
            ", \"loss\": " + std::to_string(4.0 / (1 + step * 1e-4)) + ", \"lr\": 0.0003, \"grad_norm\": 1.25, "
            "\"tokens_per_sec\": 15234.5, \"time\": " + std::to_string(1.7e9 + step) + "}\n";
    if (step % 500 == 0) text += "{\"step\": " + std::to_string(step) + ", \"val_loss\": 3.1, \"train_loss\": 3.0}\n";
    if (step % 7919 == 0) text += "{\"step\": oops}\n";
  }
  REQUIRE(text.size() > 4 * io::detail::jsonl_block_size);  // large enough for the parallel path
  temp_file file(text);
  io::read_options one, two;
  two.threads = 2;
  auto a = io::read_jsonl_file(file.path, one), b = io::read_jsonl_file(file.path, two);
  REQUIRE(a);
  REQUIRE(b);
  CHECK(trainscope_test::run_difference(*a, *b) == "");
  // through a memory map (as the CLI reads), with one thread and two
  io::read_options one_mapped = one, two_mapped = two;
  one_mapped.map_input = two_mapped.map_input = true;
  auto am = io::read_jsonl_file(file.path, one_mapped), bm = io::read_jsonl_file(file.path, two_mapped);
  REQUIRE(am);
  REQUIRE(bm);
  CHECK(trainscope_test::run_difference(*a, *am) == "");
  CHECK(trainscope_test::run_difference(*a, *bm) == "");
  CHECK(a->train_loss.size() == 40000);
  CHECK(a->diagnostics.skipped_records == 5);
  // the fifth bad line is after 7919 * 5 steps and 79 evaluations
  CHECK(b->diagnostics.issues.back().line == 7919 * 5 + 79 + 5);
}

TEST_CASE("a mapped file is cut into the blocks a copying reader cuts, and no block is read past the file") {
  using trainscope_test::byte_source;
  // Each text ends where the bytes after its last block are not the file's: at a page's end (a map has
  // nothing readable after it), one byte short of it, with and without a newline, after a byte order mark.
  std::vector<std::string> texts;
  std::string lines;
  for (int step = 1; lines.size() < 3 * 4096; ++step)
    lines += "{\"step\": " + std::to_string(step) + ", \"loss\": " + std::to_string(2.0 + 1.0 / step) + "}\n";
  for (std::size_t size : {std::size_t(8192), std::size_t(8191), std::size_t(4096 + 100)}) {
    std::string t = lines.substr(0, size);
    t.back() = '\n';
    texts.push_back(t);
    t.back() = '}';  // no newline after the last line
    texts.push_back(t);
  }
  texts.push_back("\xEF\xBB\xBF" + lines.substr(0, 8189));
  texts.push_back(lines.substr(0, 300) + std::string(5000, ' ') + "\n" + lines.substr(0, 3000));  // a long line
  for (const auto& entry : fs::directory_iterator(fs::path(TRAINSCOPE_REAL_LOGS_DIR) / "jsonl"))
    texts.push_back(slurp(entry.path()));
  for (const std::string& text : texts) {
    for (std::size_t block : {std::size_t(16), std::size_t(100), std::size_t(1000), std::size_t(4096)}) {
      CAPTURE(text.size());
      CAPTURE(block);
      trainscope_test::opened_text copied(text, byte_source::copied), mapped(text, byte_source::mapped);
      REQUIRE(mapped.mapped());
      io::detail::jsonl_block_cutter copying(copied.f, "log", text.size(), block);
      io::detail::jsonl_block_cutter mapping(mapped.f, "log", text.size(), block, mapped.mapped());
      io::detail::jsonl_block_buffer a, b;
      std::size_t blocks = 0, in_map = 0;
      for (;;) {
        const bool got_a = copying.next(a), got_b = mapping.next(b);
        REQUIRE(got_a == got_b);
        if (!got_a) break;
        ++blocks;
        CHECK(a.offset == b.offset);
        CHECK(a.last_line == b.last_line);
        REQUIRE(std::string_view(a.data(), a.size) == std::string_view(b.data(), b.size));
        // parsed in place exactly when the padding's worth of the file follows the block
        CHECK((b.mapped != nullptr) == (b.offset + b.size + io::detail::input_padding <= text.size()));
        if (b.mapped) {
          ++in_map;
          CHECK(b.mapped == mapped.map.data() + b.offset);
        } else {
          CHECK(std::string(b.data() + b.size, io::detail::input_padding) == std::string(io::detail::input_padding, '\0'));
        }
      }
      CHECK(copying.offset() == mapping.offset());
      CHECK(copying.byte_order_mark() == mapping.byte_order_mark());
      CHECK(blocks >= 1);
      if (text.size() > 100 * block) CHECK(in_map * 2 >= blocks);  // the real logs: most blocks are not copied
      // and the runs read from both are the same
      check_same(trainscope_test::read_jsonl_streamed(text, {}, block),
                 trainscope_test::read_jsonl_streamed(text, {}, block, true, byte_source::mapped));
    }
  }
}
