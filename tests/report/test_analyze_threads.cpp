// analyze with a second thread for the schedule section: the JSON must not change by a byte.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "trainscope/io.hpp"
#include "trainscope/report/analysis.hpp"
#include "trainscope/report/analysis_json.hpp"

using namespace trainscope;

TEST_CASE("analyze: threads = 2 gives the single-threaded JSON on every real log") {
  if (!std::filesystem::is_directory(TRAINSCOPE_REAL_LOGS_DIR)) return;
  std::size_t compared = 0, with_schedule = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(TRAINSCOPE_REAL_LOGS_DIR)) {
    if (!entry.is_regular_file() || entry.path().extension() == ".md") continue;
    auto r = io::read_log(entry.path().string());
    if (!r) continue;
    report::analyze_options one, two;
    two.threads = 2;
    one.lr_at_steps = two.lr_at_steps = {10, 1000};
    const std::string single = report::to_json(report::analyze(*r, one));
    CHECK_MESSAGE(report::to_json(report::analyze(*r, two)) == single, entry.path().string());
    ++compared;
    with_schedule += r->lr.size() >= 2;
  }
  CHECK(compared >= 10);
  CHECK(with_schedule >= 5);  // the threaded path actually ran
}
