// The bundled sample log (examples/data/training_log.jsonl) is the run the seed report describes: these tests
// check every fact the seed states (shared/seed/README.md beside the repository) and every printed cell of its checkpoint table.
// The log is parsed with a tiny flat-object scanner so this test depends on no reader under test.
#include <doctest/doctest.h>

#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <numbers>
#include <sstream>
#include <string>
#include <vector>

namespace {

const std::string sample_log_path = std::string(TRAINSCOPE_SOURCE_DIR) + "/examples/data/training_log.jsonl";

std::string read_all(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

/** One JSON object of scalars, as raw value text by key (strings without their quotes). */
using flat_object = std::map<std::string, std::string>;

/// Scans `{"k":v,...}` with scalar values only (what the sample log writes); returns false on anything else.
bool parse_flat(const std::string& line, flat_object& out) {
  out.clear();
  std::size_t i = 0;
  auto skip_ws = [&] {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
  };
  skip_ws();
  if (i >= line.size() || line[i++] != '{') return false;
  while (true) {
    skip_ws();
    if (i >= line.size() || line[i++] != '"') return false;
    const std::size_t key_end = line.find('"', i);
    if (key_end == std::string::npos) return false;
    std::string key = line.substr(i, key_end - i);
    i = key_end + 1;
    skip_ws();
    if (i >= line.size() || line[i++] != ':') return false;
    skip_ws();
    std::string value;
    if (i < line.size() && line[i] == '"') {
      const std::size_t end = line.find('"', i + 1);
      if (end == std::string::npos) return false;
      value = line.substr(i + 1, end - i - 1);
      i = end + 1;
    } else {
      const std::size_t end = line.find_first_of(",}", i);
      if (end == std::string::npos) return false;
      value = line.substr(i, end - i);
      while (!value.empty() && value.back() == ' ') value.pop_back();
      i = end;
    }
    out[key] = value;
    skip_ws();
    if (i >= line.size()) return false;
    if (line[i] == '}') return i + 1 == line.size();
    if (line[i++] != ',') return false;
  }
}

double number(const std::string& text) {
  double v = std::nan("");
  const char* b = text.data();
  if (!text.empty() && *b == '+') ++b;
  auto [p, ec] = std::from_chars(b, text.data() + text.size(), v);
  return ec == std::errc() && p == text.data() + text.size() ? v : std::nan("");
}

/// `v` rounded to `decimals` as printf("%.Nf") in the C locale prints it; '+' on non-negatives when `sign`.
std::string fixed(double v, int decimals, bool sign = false) {
  std::array<char, 64> buf{};
  auto [p, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v, std::chars_format::fixed, decimals);
  std::string s(buf.data(), p);
  if (sign && s[0] != '-') s.insert(s.begin(), '+');
  return s;
}

struct sample_log {
  flat_object config;
  std::vector<flat_object> steps;  // training records in file order
  std::vector<flat_object> evals;
  std::vector<std::string> step_lines;
  std::size_t bad_lines = 0;
  std::size_t config_line = 0;  // 1-based line of the config record
};

const sample_log& load() {
  static const sample_log log = [] {
    sample_log out;
    std::istringstream in(read_all(sample_log_path));
    std::string line;
    std::size_t n = 0;
    flat_object obj;
    while (std::getline(in, line)) {
      ++n;
      if (!parse_flat(line, obj)) {
        ++out.bad_lines;
        continue;
      }
      const auto type = obj.find("type");
      if (type == obj.end()) {
        out.steps.push_back(obj);
        out.step_lines.push_back(line);
      } else if (type->second == "eval") {
        out.evals.push_back(obj);
      } else if (type->second == "config") {
        out.config = obj;
        out.config_line = n;
      } else {
        ++out.bad_lines;
      }
    }
    return out;
  }();
  return log;
}

/**
 * DeepSpeed WarmupCosineLR.get_lr_ratio() (deepspeed/runtime/lr_schedules.py), log warmup, warmup_min_ratio 0,
 * cos_min_ratio 0, of the scheduler's last_batch_iteration i, which is N - 1 after the N-th optimizer step.
 */
double deepspeed_warmup_cosine_ratio(std::int64_t i, std::int64_t warmup, std::int64_t total) {
  if (i < warmup) return std::log(static_cast<double>(i) + 1.0) / std::log(static_cast<double>(warmup));
  const double progress = std::min(1.0, static_cast<double>(i - warmup + 1) / static_cast<double>(total - warmup));
  return std::max(0.0, (1.0 + std::cos(std::numbers::pi * progress)) / 2.0);
}

}  // namespace

TEST_CASE("sample log: a config line, then only training and evaluation records") {
  const auto& log = load();
  CHECK(log.bad_lines == 0);
  CHECK(log.config_line == 1);
  const auto& c = log.config;
  CHECK(c.at("n_layer") == "24");
  CHECK(c.at("n_head") == "16");
  CHECK(c.at("n_embd") == "1280");
  CHECK(c.at("block_size") == "1024");
  CHECK(number(c.at("dropout")) == 0.1);
  CHECK(c.at("lr_schedule") == "WarmupCosineLR");
  CHECK(c.at("warmup_num_steps") == "500");
  CHECK(c.at("total_num_steps") == "11763");
  CHECK(c.at("warmup_type") == "log");
  CHECK(number(c.at("warmup_min_ratio")) == 0.0);
  CHECK(number(c.at("cos_min_ratio")) == 0.0);
  CHECK(number(c.at("peak_lr")) > 0.0);
  CHECK(c.at("steps_per_epoch") == "3920");
}

TEST_CASE("sample log: 11760 training steps in 3 epochs of 3920") {
  const auto& log = load();
  REQUIRE(log.steps.size() == 11760);
  for (std::size_t k = 0; k < log.steps.size(); ++k) {
    const auto& r = log.steps[k];
    const auto step = static_cast<std::int64_t>(k) + 1;
    INFO("step ", step);
    REQUIRE(r.size() == 7);
    REQUIRE(r.at("step") == std::to_string(step));
    REQUIRE(r.at("epoch") == std::to_string((step - 1) / 3920));
    for (const char* key : {"loss", "lr", "grad_norm", "tokens_per_sec", "time"}) REQUIRE(std::isfinite(number(r.at(key))));
    REQUIRE(number(r.at("grad_norm")) > 0.0);
    REQUIRE(number(r.at("tokens_per_sec")) > 0.0);
  }
  CHECK(log.steps.back().at("epoch") == "2");
}

TEST_CASE("sample log: first and last logged training loss as the seed report prints them") {
  const auto& log = load();
  REQUIRE(log.steps.size() == 11760);
  CHECK(log.steps.front().at("loss") == "11.1484");
  CHECK(log.steps.back().at("loss") == "5.5078");
}

TEST_CASE("sample log: wall clock about 4 h 27 min, never going backwards") {
  const auto& log = load();
  REQUIRE(!log.steps.empty());
  double previous = 0.0;
  bool monotone = true;
  for (const auto& r : log.steps) {
    const double t = number(r.at("time"));
    monotone = monotone && t > previous;
    previous = t;
  }
  CHECK(monotone);
  CHECK(previous >= 4 * 3600 + 26 * 60);
  CHECK(previous <= 4 * 3600 + 28 * 60);
}

TEST_CASE("sample log: the learning rate is DeepSpeed's WarmupCosineLR with log warmup at every step") {
  const auto& log = load();
  REQUIRE(log.steps.size() == 11760);
  const double peak = number(log.config.at("peak_lr"));
  std::size_t mismatches = 0;
  for (std::size_t k = 0; k < log.steps.size(); ++k) {
    const auto step = static_cast<std::int64_t>(k) + 1;
    const double expected = peak * deepspeed_warmup_cosine_ratio(step - 1, 500, 11763);
    const double logged = number(log.steps[k].at("lr"));
    // 12 significant digits are printed
    if (std::abs(logged - expected) > 1e-11 * expected + 1e-300) {
      ++mismatches;
      if (mismatches < 5) MESSAGE("step ", step, ": lr ", logged, " expected ", expected);
    }
  }
  CHECK(mismatches == 0);
  CHECK(number(log.steps[0].at("lr")) == 0.0);  // log(0 + 1) = 0
  CHECK(number(log.steps[499].at("lr")) == peak);  // the last warmup iteration reaches the peak
  CHECK(number(log.steps[500].at("lr")) < peak);
  CHECK(number(log.steps.back().at("lr")) < 1e-6 * peak);  // 3 iterations before the end of the cosine
}

TEST_CASE("sample log: 24 evaluations every 500 steps and at the last step, 7 / 8 / 9 per epoch") {
  const auto& log = load();
  REQUIRE(log.evals.size() == 24);
  std::array<int, 3> per_epoch{};
  for (std::size_t k = 0; k < log.evals.size(); ++k) {
    const auto& e = log.evals[k];
    const std::int64_t step = k + 1 < log.evals.size() ? 500 * static_cast<std::int64_t>(k + 1) : 11760;
    CHECK(e.at("step") == std::to_string(step));
    CHECK(e.at("epoch") == std::to_string((step - 1) / 3920));
    const auto epoch = static_cast<std::size_t>(number(e.at("epoch")));
    if (epoch < per_epoch.size()) ++per_epoch[epoch];
  }
  CHECK(per_epoch == std::array<int, 3>{7, 8, 9});
}

TEST_CASE("sample log: an evaluation's train_loss is the mean of the last 100 logged step losses") {
  const auto& log = load();
  REQUIRE(log.steps.size() == 11760);
  REQUIRE(!log.evals.empty());
  for (const auto& e : log.evals) {
    const auto step = static_cast<std::size_t>(number(e.at("step")));
    REQUIRE(step >= 100);
    REQUIRE(step <= log.steps.size());
    double sum = 0.0;
    for (std::size_t s = step - 99; s <= step; ++s) sum += number(log.steps[s - 1].at("loss"));
    INFO("step ", step);
    CHECK(std::abs(sum / 100.0 - number(e.at("train_loss"))) < 1e-9);
  }
}

TEST_CASE("sample log: per-step noise is realistic around the checkpoint curve") {
  // Late in training a GPT-2-size run's per-step loss scatters by a few hundredths: neither a clean curve
  // (which would make noise-model tests trivial) nor spikes (which would make the run look unstable).
  const auto& log = load();
  REQUIRE(log.steps.size() == 11760);
  for (const std::size_t end : {std::size_t{3500}, std::size_t{7500}, std::size_t{11500}}) {
    double sum = 0.0, sq = 0.0;
    for (std::size_t s = end - 199; s <= end; ++s) {
      const double d = number(log.steps[s - 1].at("loss")) - number(log.steps[s - 2].at("loss"));
      sum += d;
      sq += d * d;
    }
    const double sd_diff = std::sqrt(sq / 200.0 - (sum / 200.0) * (sum / 200.0));
    INFO("window ending at ", end);
    CHECK(sd_diff > 0.02);
    CHECK(sd_diff < 0.15);
  }
  double worst_jump = 0.0;
  for (std::size_t s = 1000; s < log.steps.size(); ++s)
    worst_jump = std::max(worst_jump, number(log.steps[s].at("loss")) - number(log.steps[s - 1].at("loss")));
  CHECK(worst_jump < 0.5);
}

TEST_CASE("sample log: every printed cell of the seed checkpoint table is reproduced") {
  const std::string csv_path = std::string(TRAINSCOPE_SEED_DIR) + "/seed_checkpoints.csv";
  if (!std::filesystem::exists(csv_path)) {
    MESSAGE("seed table not found at ", csv_path, "; skipped");
    return;
  }
  std::istringstream csv(read_all(csv_path));
  std::string line;
  std::getline(csv, line);
  REQUIRE(line == "step,epoch,train_loss,val_loss,relative_gap,train_ppl,val_ppl");
  std::vector<std::vector<std::string>> rows;
  while (std::getline(csv, line)) {
    if (line.empty()) continue;
    std::vector<std::string> cells;
    std::istringstream cs(line);
    std::string cell;
    while (std::getline(cs, cell, ',')) cells.push_back(cell);
    rows.push_back(cells);
  }
  const auto& log = load();
  REQUIRE(rows.size() == 24);
  REQUIRE(log.evals.size() == rows.size());
  for (std::size_t k = 0; k < rows.size(); ++k) {
    const auto& row = rows[k];
    const auto& e = log.evals[k];
    REQUIRE(row.size() == 7);
    const double train = number(e.at("train_loss"));
    const double val = number(e.at("val_loss"));
    INFO("checkpoint at step ", row[0]);
    CHECK(e.at("step") == row[0]);
    CHECK(e.at("epoch") == row[1]);
    CHECK(fixed(train, 4) == row[2]);
    CHECK(fixed(val, 4) == row[3]);
    CHECK(fixed((val - train) / train, 4, true) == row[4]);
    CHECK(fixed(std::exp(train), 2) == row[5]);
    CHECK(fixed(std::exp(val), 2) == row[6]);
  }
  // The example of the seed README: 4 decimals are not enough to print 2275.25.
  CHECK(fixed(std::exp(7.7298), 2) == "2275.15");
}

#ifdef TRAINSCOPE_SAMPLE_LOG_GENERATOR
TEST_CASE("sample log: the generator reproduces the checked-in file byte for byte") {
  // unique per process: the g++ and clang builds' test runs may overlap
  const auto tag = std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
  const auto out = std::filesystem::temp_directory_path() / ("trainscope_test_sample_log_" + tag + ".jsonl");
  std::filesystem::remove(out);
  const std::string command = std::string("\"") + TRAINSCOPE_SAMPLE_LOG_GENERATOR + "\" \"" + out.string() + "\"";
  REQUIRE(std::system(command.c_str()) == 0);
  const std::string regenerated = read_all(out.string());
  const std::string checked_in = read_all(sample_log_path);
  CHECK(regenerated.size() == checked_in.size());
  CHECK(regenerated == checked_in);
  std::filesystem::remove(out);
}
#endif
