// analyze over a run read with epoch and wall-time summaries instead of those series (what the command line
// does for `analyze` and `check`): the JSON must not change by a byte.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "trainscope/io.hpp"
#include "trainscope/report/analysis.hpp"
#include "trainscope/report/analysis_json.hpp"

using namespace trainscope;

TEST_CASE("analyze: a run read with column summaries gives the JSON of the full run, on every real log") {
  std::vector<std::filesystem::path> logs;
  for (const char* dir : {TRAINSCOPE_REAL_LOGS_DIR, TRAINSCOPE_TEST_DATA_DIR}) {
    if (!std::filesystem::is_directory(dir)) continue;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir))
      if (entry.is_regular_file() && entry.path().extension() != ".md") logs.push_back(entry.path());
  }
  std::size_t compared = 0, with_epochs = 0, with_time = 0, resumed = 0;
  for (const auto& path : logs)
    for (auto policy : {restart_policy::last_run, restart_policy::merge}) {
      io::read_options full_options, summary_options;
      full_options.build.on_restart = summary_options.build.on_restart = policy;
      summary_options.build.summarize_epoch = summary_options.build.summarize_wall_time = true;
      auto full = io::read_log(path.string(), std::nullopt, full_options);
      auto summarized = io::read_log(path.string(), std::nullopt, summary_options);
      REQUIRE(full.has_value() == summarized.has_value());
      if (!full || !full->has_loss()) continue;
      CAPTURE(path.string());
      if (!summarized->epoch_summary.exact() || !summarized->wall_time_summary.exact()) {
        // A resume: only the series can say what it replaced (the command line reads such a log again).
        CHECK(full->diagnostics.repeated_steps > 0);
        ++resumed;
        continue;
      }
      CHECK(summarized->epoch.empty());
      report::analyze_options options;
      options.lr_at_steps = {10, 1000};
      CHECK(report::to_json(report::analyze(*summarized, options)) == report::to_json(report::analyze(*full, options)));
      ++compared;
      with_epochs += !full->epoch.empty();
      with_time += full->wall_time_s.size() >= 2;
    }
  CHECK(compared >= 40);
  CHECK(with_epochs >= 20);  // the epoch facts (count, last, each checkpoint's epoch) were compared
  CHECK(with_time >= 6);
  CHECK(resumed >= 1);       // and a resumed log was recognised as one
}
