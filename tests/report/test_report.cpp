// The report on the bundled sample log: the seed's checkpoint table cell for cell, and none of its mistakes.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "trainscope/io/jsonl.hpp"
#include "trainscope/report/analysis.hpp"
#include "trainscope/report/analysis_json.hpp"
#include "trainscope/report/markdown.hpp"

using namespace trainscope;

namespace {

std::vector<std::vector<std::string>> read_csv_rows(const std::string& path) {
  std::ifstream f(path);
  std::vector<std::vector<std::string>> rows;
  std::string line;
  while (std::getline(f, line)) {
    std::vector<std::string> cells;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) cells.push_back(cell);
    rows.push_back(cells);
  }
  return rows;
}

std::vector<std::string> split_table_row(const std::string& line) {
  std::vector<std::string> cells;
  std::stringstream ss(line.substr(1));
  std::string cell;
  while (std::getline(ss, cell, '|')) {
    auto b = cell.find_first_not_of(' '), e = cell.find_last_not_of(' ');
    cells.push_back(b == std::string::npos ? "" : cell.substr(b, e - b + 1));
  }
  return cells;
}

const report::analysis& sample_analysis() {
  static const report::analysis a = [] {
    auto r = io::read_jsonl_file(std::string(TRAINSCOPE_SOURCE_DIR) + "/examples/data/training_log.jsonl");
    REQUIRE(r);
    return report::analyze(*r);
  }();
  return a;
}

}  // namespace

TEST_CASE("report: the checkpoint table reproduces the seed's 24 printed rows cell for cell") {
  const auto seed = read_csv_rows(std::string(TRAINSCOPE_SEED_DIR) + "/seed_checkpoints.csv");
  REQUIRE(seed.size() == 25);  // header + 24 rows
  const std::string md = report::to_markdown(sample_analysis());
  std::vector<std::vector<std::string>> table;
  std::stringstream ss(md);
  std::string line;
  bool in_table = false;
  while (std::getline(ss, line)) {
    if (line.rfind("| Step | Epoch |", 0) == 0) {
      in_table = true;
      std::getline(ss, line);  // the alignment row
      continue;
    }
    if (in_table && line.rfind("|", 0) == 0) table.push_back(split_table_row(line));
    else if (in_table) break;
  }
  REQUIRE(table.size() == 24);
  // seed columns: step,epoch,train_loss,val_loss,relative_gap,train_ppl,val_ppl; ours add the label after them
  for (std::size_t i = 0; i < 24; ++i) {
    CAPTURE(i);
    const auto& want = seed[i + 1];
    const auto& got = table[i];
    REQUIRE(got.size() >= 8);
    for (std::size_t c = 0; c < 7; ++c) CHECK(got[c] == want[c]);
  }
}

TEST_CASE("report: overview matches the seed and labels which loss is which") {
  const auto& a = sample_analysis();
  CHECK(a.last_step == 11760);
  REQUIRE(a.epochs);
  CHECK(*a.epochs == 3);
  REQUIRE(a.wall_time_s);
  CHECK(report::duration(*a.wall_time_s) == "4h 27m");
  CHECK(report::fixed(*a.train_first_loss, 4) == "11.1484");
  CHECK(report::fixed(*a.train_last_loss, 4) == "5.5078");
  const std::string md = report::to_markdown(a);
  CHECK(md.find("Last logged training loss (step 11760): 5.5078") != std::string::npos);
  CHECK(md.find("Final checkpoint (step 11760): training loss 5.4727, validation loss 5.4956") != std::string::npos);
  CHECK(md.find("**Model:** 24L, 16H, 1280D, ctx=1024, dropout=0.1") != std::string::npos);
}

TEST_CASE("report: none of the seed report's mistakes") {
  const auto& a = sample_analysis();
  const auto& d = a.diagnosis;
  CHECK((d.verdict == verdict::well_fit || d.verdict == verdict::under_trained));
  for (const auto& f : d.findings) {
    CHECK(f.kind.find("overfit") == std::string::npos);
    CHECK(f.kind.find("diverg") == std::string::npos);
  }
  REQUIRE(d.best_step);
  CHECK(*d.best_step == 11760);  // the final checkpoint is the best of the run
  CHECK_FALSE(d.divergence_step.has_value());
  CHECK_FALSE(d.overfit_onset_step.has_value());
  // still improving at the end, with a number
  REQUIRE(d.val_loss_at_2x);
  CHECK(*d.val_loss_at_2x < 5.4956);
  // the gap has no significant trend, and the report says so rather than claiming growing overfitting
  REQUIRE(a.gap);
  CHECK_FALSE(a.gap->significant());
  const std::string md = report::to_markdown(a);
  CHECK(md.find("no significant trend in the gap") != std::string::npos);
  CHECK(md.find("indicates increasing overfitting") == std::string::npos);
  // early checkpoints far from convergence are still learning, not well fit
  REQUIRE(!a.checkpoints.empty());
  CHECK(a.checkpoints.front().label == "still_learning");
  // the schedule section says the numbers were fitted, and how well
  REQUIRE(a.schedule.fitted);
  CHECK(a.schedule.fitted->family == "warmup_log_cosine");
  CHECK(md.find("Reconstructed from the logged learning rate") != std::string::npos);
  // no early-stopping advice from a false alarm
  for (const auto& r : d.recommendations) CHECK(r.find("early stopping") == std::string::npos);
}

TEST_CASE("report: the JSON document carries the schema's names") {
  const std::string json = report::to_json(sample_analysis());
  for (const char* key : {"\"schema_version\": 1", "\"source\"", "\"steps\"", "\"checkpoints\"", "\"diagnosis\"",
                          "\"verdict\"", "\"criteria\"", "\"schedule\"", "\"lr_at\"", "\"diagnostics\"",
                          "\"skipped_records\": 0", "\"format\": \"jsonl\""})
    CHECK(json.find(key) != std::string::npos);
  CHECK(json == report::to_json(sample_analysis()));  // deterministic
}
