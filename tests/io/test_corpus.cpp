// Every reader over every file of the fuzzers' seed corpora (and so over the other formats' files too):
// each call returns a run or an error with a message, never a crash. Built a second time under ASan+UBSan
// (test_io_sanitized) so a memory error here fails the suite.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>

#include "trainscope/io.hpp"
#include "trainscope/io/jsonl.hpp"

using namespace trainscope;

TEST_CASE("corpus: every reader reads every seed-corpus file without crashing") {
  const std::filesystem::path root = std::filesystem::path(TRAINSCOPE_SOURCE_DIR) / "tests/fuzz/corpus";
  REQUIRE(std::filesystem::is_directory(root));
  std::size_t files = 0, runs = 0, errors = 0;
  std::map<std::string, std::size_t> own_reader_runs;  // corpus folder -> files its own reader read as a run
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream f(entry.path(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    const auto input = io::detail::make_padded(bytes);
    const std::string name = entry.path().filename().string();
    ++files;
    auto tally = [&](const result<run>& r) {
      if (r) ++runs;
      else {
        ++errors;
        CHECK_FALSE(r.error().message.empty());
      }
    };
    const std::string folder = entry.path().parent_path().filename().string();
    auto own = [&](const char* reader_folder, const result<run>& r) {
      if (folder == reader_folder && r) ++own_reader_runs[folder];
      tally(r);
    };
    own("jsonl", io::read_jsonl(input, name));
    own("hf", io::read_hf_trainer_state(input, name));
    own("csv", io::read_csv_log(input, name));
    own("tfevents", io::read_tfevents(input, name));
    // the tfevents harness takes a mode byte first (odd: the rest is an event file as is)
    if (!bytes.empty()) own("tfevents", io::read_tfevents(io::detail::make_padded(std::string_view(bytes).substr(1)), name));
    own("text", io::read_text_log(input, name));
  }
  CHECK(files >= 5);
  // the corpora hold damaged seeds on purpose, but each folder has at least one file its reader reads
  for (const char* folder : {"jsonl", "hf", "csv", "tfevents", "text"}) {
    CAPTURE(folder);
    CHECK(own_reader_runs[folder] >= 1);
  }
  MESSAGE(files << " corpus files, " << runs << " runs, " << errors << " errors");
}
