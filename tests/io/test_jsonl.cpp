#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "io/jsonl_reads.hpp"
#include "io/run_equality.hpp"
#include "trainscope/io/jsonl.hpp"

using namespace trainscope;
namespace fs = std::filesystem;

namespace {

const std::string data_dir = std::string(TRAINSCOPE_TEST_DATA_DIR) + "/jsonl/";
const std::string real_dir = std::string(TRAINSCOPE_REAL_LOGS_DIR) + "/jsonl/";

/// A scratch file removed when the test ends.
struct temp_file {
  std::string path;
  explicit temp_file(const std::string& text, const std::string& name = "log.jsonl") {
    auto dir = fs::temp_directory_path() / ("trainscope_jsonl_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    path = (dir / name).string();
    std::ofstream(path, std::ios::binary) << text;
  }
  ~temp_file() { std::remove(path.c_str()); }
};

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// Reads `text` from memory and from a file: both paths must agree; returns the file's run.
result<run> read_both(const std::string& text, const io::read_options& opts = {}) {
  temp_file f(text);
  auto mem = io::read_jsonl(io::detail::make_padded(text), f.path, opts);
  auto file = io::read_jsonl_file(f.path, opts);
  REQUIRE(mem.has_value() == file.has_value());
  if (!mem) {
    CHECK(mem.error().code == file.error().code);
    CHECK(mem.error().line == file.error().line);
    CHECK(mem.error().byte_offset == file.error().byte_offset);
    return file;
  }
  const auto& a = mem->diagnostics;
  const auto& b = file->diagnostics;
  CHECK(a.records == b.records);
  CHECK(a.skipped_records == b.skipped_records);
  CHECK(a.skipped_values == b.skipped_values);
  CHECK(a.non_finite_values == b.non_finite_values);
  CHECK(a.repeated_steps == b.repeated_steps);
  CHECK(a.truncated_last_line == b.truncated_last_line);
  CHECK(a.byte_order_mark == b.byte_order_mark);
  REQUIRE(a.issues.size() == b.issues.size());
  for (std::size_t i = 0; i < a.issues.size(); ++i) {
    CHECK(a.issues[i].line == b.issues[i].line);
    CHECK(a.issues[i].byte_offset == b.issues[i].byte_offset);
  }
  CHECK(mem->train_loss.steps == file->train_loss.steps);
  CHECK(mem->val_loss.steps == file->val_loss.steps);
  return file;
}

std::string step_line(long step, double loss) {
  return "{\"step\": " + std::to_string(step) + ", \"loss\": " + std::to_string(loss) + ", \"lr\": 0.0003}\n";
}

/// `n` train lines, steps 1..n, loss 10/step, with `bad` (1-based) replaced by `bad_text`.
std::string many_lines(long n, long bad, const std::string& bad_text) {
  std::string s;
  s.reserve(static_cast<std::size_t>(n) * 48);
  for (long i = 1; i <= n; ++i) s += i == bad ? bad_text + "\n" : step_line(i, 10.0 / static_cast<double>(i));
  return s;
}

std::size_t offset_of_line(const std::string& text, std::size_t line) {
  std::size_t off = 0;
  for (std::size_t l = 1; l < line; ++l) off = text.find('\n', off) + 1;
  return off;
}

}  // namespace

TEST_CASE("jsonl: a small log gives config, train and eval series") {
  auto r = io::read_jsonl_file(data_dir + "small.jsonl");
  REQUIRE(r);
  CHECK(r->source.format == "jsonl");
  CHECK(r->diagnostics.records == 13);
  CHECK(r->train_loss.size() == 10);
  CHECK(r->train_loss.at(1) == doctest::Approx(4.2));
  CHECK(r->lr.at(2) == doctest::Approx(0.001));
  CHECK(r->grad_norm.at(10) == doctest::Approx(0.6));
  REQUIRE(r->val_loss.size() == 2);
  CHECK(r->val_loss.steps == std::vector<std::int64_t>{5, 10});
  CHECK(r->val_loss.values[1] == doctest::Approx(3.1));
  CHECK(r->val_loss_key == "val_loss");
  // train_loss in an evaluation record is the checkpoint's training loss, not a train step
  CHECK(r->checkpoint_train_loss.steps == std::vector<std::int64_t>{5, 10});
  CHECK(r->diagnostics.repeated_steps == 0);
  // the config record: model shape and every scalar field as text
  CHECK(r->model.n_layer == 2);
  CHECK(r->model.n_embd == 64);
  CHECK(r->model.block_size == 128);
  CHECK(r->model.dropout == doctest::Approx(0.1));
  REQUIRE(r->config_value("lr_schedule"));
  CHECK(*r->config_value("lr_schedule") == "WarmupCosineLR");
  REQUIRE(r->config_value("warmup_num_steps"));
  CHECK(*r->config_value("warmup_num_steps") == "2");
}

TEST_CASE("jsonl: records are classified before their keys are read") {
  const std::string text =
      R"({"lr_schedule": "WarmupCosineLR", "warmup_num_steps": 500, "seed": 1})" "\n"          // no metric key: config
      R"({"d_model": 512, "num_layers": 6, "max_seq_len": 1024, "lr": 0.0003})" "\n"          // model keys, no loss: config
      R"({"step": 10, "loss": 3.0, "lr/pg0": 0.001, "lr/pg1": 0.002, "tokens": 5})" "\n"      // train, lr groups
      R"({"step": 20, "loss": 2.9, "lr-AdamW/pg0": 0.0009, "lr-AdamW/pg1": 0.0018})" "\n"
      R"({"step": 20, "train_loss": 2.95, "eval_loss": 3.2})" "\n"                            // eval
      R"({"train_loss": 2.8, "step": 30, "eval_squad_loss": 3.1, "eval_mnli_loss": 2.7})" "\n"  // named sets
      R"({"step": 30, "loss": 2.7, "type": "eval"})" "\n"                    // explicit type after the keys
      R"({"kind": "summary", "step": 30, "loss": 2.6})" "\n"                 // explicit kind
      R"({"step": 30, "train_runtime": 100.5, "train_loss": 2.9, "total_flos": 1e15})" "\n";  // HF summary
  auto r = read_both(text);
  REQUIRE(r);
  CHECK(r->diagnostics.records == 9);
  REQUIRE(r->config_value("warmup_num_steps"));
  CHECK(*r->config_value("warmup_num_steps") == "500");
  CHECK(*r->config_value("lr_schedule") == "WarmupCosineLR");
  CHECK(r->model.n_embd == 512);
  CHECK(r->model.n_layer == 6);
  CHECK(r->model.block_size == 1024);
  REQUIRE(r->config_value("lr"));  // an lr in a config record is a setting, not a sample
  CHECK(r->train_loss.steps == std::vector<std::int64_t>{10, 20});
  REQUIRE(r->lr_groups.size() == 4);  // lr/pg0, lr/pg1, lr-AdamW/pg0, lr-AdamW/pg1 by key
  CHECK(r->lr_groups[0].name == "lr/pg0");
  CHECK(r->lr.at(10) == doctest::Approx(0.001));  // no plain lr: the first group stands in
  CHECK(r->val_loss.at(20) == doctest::Approx(3.2));
  CHECK(r->checkpoint_train_loss.at(20) == doctest::Approx(2.95));
  CHECK(r->checkpoint_train_loss.at(30) == doctest::Approx(2.7));  // "type":"eval" read after "loss"
  REQUIRE(r->named_val_loss.size() == 2);
  CHECK(r->named_val_loss[0].name == "squad");
  CHECK(r->named_val_loss[1].at(30) == doctest::Approx(2.7));
  // summaries feed no series: their train_loss is a run average
  CHECK(r->train_loss.size() == 2);
  bool summary_loss = false;
  for (const auto& [k, v] : r->summary) summary_loss |= k == "train_loss" && v == "2.9";
  CHECK(summary_loss);
  CHECK(r->summary.size() == 3 + 4);
  // extra numbers of train records
  REQUIRE(r->extra.size() == 1);
  CHECK(r->extra[0].name == "tokens");
}

TEST_CASE("jsonl: columns left unread, and config text with escapes") {
  const std::string text =
      R"({"type": "config", "run_name": "tab\there \"quoted\" caf\u00e9 \ud83d\ude00", "n_head": 8, "dropout": 0.1})" "\n"
      R"({"step": 1, "epoch": 0.5, "loss": 2.0, "lr": 0.1, "grad_norm": 1.5, "time": 10.25, "tps": 99, "lr/pg1": 0.2})" "\n"
      R"({"step": 2, "epoch": 1.0, "loss": 1.5, "lr": 0.05, "grad_norm": 1.25, "time": 20.5, "tps": 98, "lr/pg1": 0.1})" "\n"
      R"({"step": 2, "val_loss": 1.75, "epoch": 1.0})" "\n";
  auto all = read_both(text);
  REQUIRE(all);
  REQUIRE(all->config_value("run_name"));
  CHECK(*all->config_value("run_name") == "tab\there \"quoted\" caf\xc3\xa9 \xf0\x9f\x98\x80");
  CHECK(all->model.n_head == 8);
  CHECK(all->epoch.size() == 2);  // the eval record's epoch at step 2 repeats the train record's: no resume
  CHECK(all->diagnostics.repeated_steps == 0);
  CHECK(all->grad_norm.at(2) == doctest::Approx(1.25));
  CHECK(all->wall_time_s.at(1) == doctest::Approx(10.25));
  CHECK(all->extra.size() == 1);
  CHECK(all->lr_groups.size() == 1);
  io::read_options lean;
  lean.skip_columns = io::columns::epoch | io::columns::wall_time | io::columns::grad_norm | io::columns::extra |
                      io::columns::lr_groups;
  auto few = read_both(text, lean);
  REQUIRE(few);
  CHECK(few->train_loss.values == all->train_loss.values);
  CHECK(few->lr.values == all->lr.values);
  CHECK(few->val_loss.values == all->val_loss.values);
  CHECK(few->epoch.empty());
  CHECK(few->grad_norm.empty());
  CHECK(few->wall_time_s.empty());
  CHECK(few->extra.empty());
  CHECK(few->lr_groups.empty());
  CHECK(*few->config_value("run_name") == *all->config_value("run_name"));  // config keeps every field
  CHECK(few->model.dropout == doctest::Approx(0.1));
}

TEST_CASE("jsonl: an explicit key mapping overrides detection") {
  const std::string text = "{\"it\": 1, \"objective\": 5.0, \"loss\": 99}\n"
                           "{\"it\": 2, \"objective\": 4.0, \"loss\": 98}\n"
                           "{\"it\": 2, \"val_ce\": 6.0}\n";
  io::read_options opts;
  opts.keys.step = "it";
  opts.keys.train_loss = "objective";
  opts.keys.val_loss = "val_ce";
  auto r = read_both(text, opts);
  REQUIRE(r);
  CHECK(r->train_loss.steps == std::vector<std::int64_t>{1, 2});
  CHECK(r->train_loss.values == std::vector<double>{5.0, 4.0});  // "loss" is no longer the train loss
  CHECK(r->val_loss.at(2) == doctest::Approx(6.0));
  REQUIRE(r->extra.size() == 1);
  CHECK(r->extra[0].name == "loss");
}

TEST_CASE("jsonl: bare NaN and Infinity tokens are non-finite values, not errors") {
  auto r = io::read_jsonl_file(data_dir + "nan_tokens.jsonl");
  REQUIRE(r);
  CHECK(r->diagnostics.skipped_records == 0);
  CHECK(r->diagnostics.skipped_values == 0);
  CHECK(r->diagnostics.non_finite_values == 3);
  REQUIRE(r->train_loss.size() == 4);
  CHECK(std::isnan(*r->train_loss.at(2)));
  CHECK(*r->train_loss.at(3) == HUGE_VAL);
  CHECK(*r->grad_norm.at(3) == -HUGE_VAL);
  CHECK(r->train_loss.at(4) == doctest::Approx(2.25));
}

TEST_CASE("jsonl: byte order mark and CRLF line ends") {
  auto r = io::read_jsonl_file(data_dir + "bom_crlf.jsonl");
  REQUIRE(r);
  CHECK(r->diagnostics.byte_order_mark);
  CHECK(r->diagnostics.skipped_records == 0);
  CHECK(r->train_loss.steps == std::vector<std::int64_t>{1, 2, 3});
  auto same = read_both(slurp(data_dir + "bom_crlf.jsonl"));
  REQUIRE(same);
  CHECK(same->diagnostics.byte_order_mark);
}

TEST_CASE("jsonl: a bad line in the middle of a large block costs only itself") {
  const long n = 100000, bad = 50000;
  SUBCASE("missing brace: it would swallow the next line") {
    const std::string text = many_lines(n, bad, R"({"step": 50000, "loss": [1.0, 2.0)");
    auto r = read_both(text);
    REQUIRE(r);
    CHECK(r->diagnostics.records == n - 1);
    CHECK(r->diagnostics.skipped_records == 1);
    REQUIRE(r->diagnostics.issues.size() == 1);
    CHECK(r->diagnostics.issues[0].line == bad);
    CHECK(r->diagnostics.issues[0].byte_offset == offset_of_line(text, bad));
    CHECK(r->train_loss.size() == n - 1);
    CHECK(r->train_loss.at(bad - 1) == doctest::Approx(10.0 / (bad - 1)));
    CHECK_FALSE(r->train_loss.at(bad).has_value());
    CHECK(r->train_loss.at(bad + 1) == doctest::Approx(10.0 / (bad + 1)));
  }
  SUBCASE("invalid UTF-8: simdjson fails the whole batch") {
    auto r = read_both(many_lines(n, bad, "{\"step\": 50000, \"note\": \"\xff\xfe\", \"loss\": 1.0}"));
    REQUIRE(r);
    CHECK(r->diagnostics.records == n - 1);
    CHECK(r->diagnostics.skipped_records == 1);
    REQUIRE(r->diagnostics.issues.size() == 1);
    CHECK(r->diagnostics.issues[0].line == bad);
    CHECK(r->train_loss.at(bad + 1).has_value());
  }
  SUBCASE("unclosed string, then a line of plain text") {
    std::string text = many_lines(n, bad, R"({"step": 50000, "loss": "1.0)");
    text += "not json at all\n" + step_line(n + 1, 0.5);
    auto r = read_both(text);
    REQUIRE(r);
    CHECK(r->diagnostics.records == n);
    CHECK(r->diagnostics.skipped_records == 2);
    REQUIRE(r->diagnostics.issues.size() == 2);
    CHECK(r->diagnostics.issues[0].line == bad);
    CHECK(r->diagnostics.issues[1].line == n + 1);
    CHECK(r->train_loss.at(n + 1) == doctest::Approx(0.5));
  }
  SUBCASE("the last line of a block, where stage 1 would drop an incomplete document") {
    std::string text = many_lines(n, 0, "");
    const std::size_t nl = text.rfind('\n', (std::size_t(1) << 20) - 1);  // end of the first 1 MiB block
    const std::size_t start = text.rfind('\n', nl - 1) + 1;
    std::string broken = R"({"step": 1, "loss": [1)";
    broken.resize(nl - start, ' ');
    text.replace(start, nl - start, broken);
    const auto line = static_cast<std::size_t>(std::count(text.begin(), text.begin() + static_cast<long>(start), '\n')) + 1;
    std::string tail_broken = text + R"({"step": 0, "a": 4 2.3})" "\n";  // and the file's last line
    auto r = read_both(tail_broken);
    REQUIRE(r);
    CHECK(r->diagnostics.records == n - 1);
    CHECK(r->diagnostics.skipped_records == 2);
    REQUIRE(r->diagnostics.issues.size() == 2);
    CHECK(r->diagnostics.issues[0].line == line);
    CHECK(r->diagnostics.issues[1].line == n + 1);
    CHECK_FALSE(r->diagnostics.truncated_last_line);
    CHECK(r->train_loss.at(static_cast<std::int64_t>(line) + 1).has_value());
  }
  SUBCASE("an object broken over two lines is two bad lines, read in a stream or alone") {
    const std::string text = step_line(1, 2.0) + "{\"step\": 2,\n \"loss\": 1.9}\n" + step_line(3, 1.8);
    for (const std::string& t : {text, "\xff\n" + text}) {
      auto r = read_both(t);
      REQUIRE(r);
      CHECK(r->train_loss.steps == std::vector<std::int64_t>{1, 3});
      CHECK(r->diagnostics.skipped_records == (t == text ? 2u : 3u));
    }
  }
  SUBCASE("a broken line before a block's cut last line: the lines between are read") {
    std::string text = many_lines(10, 5, "{]") + R"({"step": 11, "a": 4 2.3})" "\n";
    auto r = read_both(text);
    REQUIRE(r);
    CHECK(r->diagnostics.records == 9);
    CHECK(r->diagnostics.skipped_records == 2);
    CHECK(r->train_loss.steps == std::vector<std::int64_t>{1, 2, 3, 4, 6, 7, 8, 9, 10});
  }
  SUBCASE("an object followed on its line by a byte that is not UTF-8 and a brace is a bad line in every block layout") {
    // In a stream, stage 1 cannot index the bytes after the brace: the object looked like the last
    // document, and the stray '}' at the line's end like its closing brace (the fuzzer found it).
    for (const char* after : {"\xff}", "\xff", "\x7f}", " }"}) {
      CAPTURE(after);
      const std::string bad_line = std::string(R"({"step": 2, "loss": 1.9})") + after;
      const std::string text = step_line(1, 2.0) + bad_line + "\n" + step_line(3, 1.8);
      const std::string alone = bad_line + "\n";
      for (const std::string& t : {text, alone, many_lines(1000, 500, bad_line)}) {
        auto whole = read_both(t);
        if (t == alone) {
          REQUIRE_FALSE(whole);  // no record in the file: nothing is read from the line
          CHECK(whole.error().code == errc::malformed);
        } else {
          REQUIRE(whole);
          CHECK(whole->diagnostics.skipped_records == 1);
          CHECK_FALSE(whole->train_loss.at(t == text ? 2 : 500).has_value());
        }
        for (std::size_t block : {std::size_t(16), std::size_t(40), std::size_t(100), std::size_t(4096)}) {
          CAPTURE(block);
          auto streamed = trainscope_test::read_jsonl_streamed(t, {}, block);
          auto shapeless = trainscope_test::read_jsonl_streamed(t, {}, block, false);
          CHECK(trainscope_test::outcome_difference(whole, streamed) == "");
          CHECK(trainscope_test::outcome_difference(whole, shapeless) == "");
        }
      }
    }
  }
  SUBCASE("a broken line, a lone brace, two objects on one line") {
    std::string text = many_lines(1000, 500, "{]");
    text += "{\n" + step_line(1001, 0.5) + R"({"step": 1002, "loss": 0.4}{"step": 1003, "loss": 0.3})" "\n";
    auto r = read_both(text);
    REQUIRE(r);
    REQUIRE(r->diagnostics.issues.size() == 3);
    CHECK(r->diagnostics.issues[0].line == 500);
    CHECK(r->diagnostics.issues[1].line == 1001);
    CHECK(r->train_loss.at(1001) == doctest::Approx(0.5));
    // a line holding two objects is a bad line: neither is taken for the other's record
    CHECK_FALSE(r->train_loss.at(1002).has_value());
    CHECK_FALSE(r->train_loss.at(1003).has_value());
    CHECK(r->diagnostics.skipped_records == 3);
    CHECK(r->diagnostics.issues[2].line == 1003);
    // the same when the block is read line by line (a bad UTF-8 line fails the whole batch)
    auto l = read_both("\xff\n" + text);
    REQUIRE(l);
    CHECK(l->diagnostics.skipped_records == 4);
    CHECK(l->diagnostics.records == r->diagnostics.records);
    CHECK(l->train_loss.values == r->train_loss.values);
  }
}

TEST_CASE("jsonl: a line longer than the batch, and a multi-megabyte line, are read") {
  std::string text = step_line(1, 2.0);
  std::string big(3 << 20, 'x');
  text += R"({"step": 2, "loss": 1.5, "note": ")" + big + "\"}\n";
  std::string array = "[";
  for (int i = 0; i < 400000; ++i) array += "1.5,";
  array += "2]";
  text += R"({"step": 3, "hist": )" + array + R"(, "loss": 1.25})" "\n";
  text += step_line(4, 1.0);
  auto r = read_both(text);
  REQUIRE(r);
  CHECK(r->diagnostics.skipped_records == 0);
  CHECK(r->train_loss.steps == std::vector<std::int64_t>{1, 2, 3, 4});
  CHECK(r->train_loss.at(3) == doctest::Approx(1.25));
}

TEST_CASE("jsonl: nesting of any depth is skipped over, never a crash") {
  // ondemand skips values it is not asked for by counting brackets, without recursion
  std::string deep = R"({"step": 2, "x": )" + std::string(100000, '[') + std::string(100000, ']') + R"(, "loss": 1.0})";
  std::string text = step_line(1, 1.1) + deep + "\n" + step_line(4, 0.8);
  auto r = read_both(text);
  REQUIRE(r);
  CHECK(r->diagnostics.skipped_records == 0);
  CHECK(r->train_loss.steps == std::vector<std::int64_t>{1, 2, 4});
  CHECK(r->train_loss.at(2) == doctest::Approx(1.0));
  // unbalanced deep nesting is a bad line, and only that
  std::string broken = R"({"step": 2, "x": )" + std::string(100000, '[') + R"(, "loss": 1.0})";
  auto b = read_both(step_line(1, 1.1) + broken + "\n" + step_line(4, 0.8));
  REQUIRE(b);
  CHECK(b->diagnostics.skipped_records == 1);
  CHECK(b->train_loss.steps == std::vector<std::int64_t>{1, 4});
}

TEST_CASE("jsonl: a truncated last line is diagnosed and skipped") {
  auto r = io::read_jsonl_file(data_dir + "truncated_last_line.jsonl");
  REQUIRE(r);
  CHECK(r->diagnostics.truncated_last_line);
  CHECK(r->diagnostics.skipped_records == 1);
  REQUIRE(r->diagnostics.issues.size() == 1);
  CHECK(r->diagnostics.issues[0].line == 3);
  CHECK(r->train_loss.steps == std::vector<std::int64_t>{1, 2});
  // a complete last line without newline is just a record
  auto whole = read_both("{\"step\": 1, \"loss\": 2}\n{\"step\": 2, \"loss\": 1}");
  REQUIRE(whole);
  CHECK_FALSE(whole->diagnostics.truncated_last_line);
  CHECK(whole->train_loss.size() == 2);
}

TEST_CASE("jsonl: a non-numeric loss is skipped alone, with line and field") {
  auto r = io::read_jsonl_file(data_dir + "non_numeric_loss.jsonl");
  REQUIRE(r);
  CHECK(r->diagnostics.records == 3);
  CHECK(r->diagnostics.skipped_values == 1);
  REQUIRE(r->diagnostics.issues.size() == 1);
  CHECK(r->diagnostics.issues[0].line == 2);
  CHECK(r->diagnostics.issues[0].field == "loss");
  CHECK(r->diagnostics.issues[0].byte_offset == 25);
  CHECK(r->train_loss.steps == std::vector<std::int64_t>{1, 3});
  CHECK(r->lr.at(2) == doctest::Approx(0.1));  // the rest of the record is kept
  // a record whose step is unusable cannot be placed: skipped whole, with the field named
  auto st = read_both("{\"step\": 1, \"loss\": 2}\n{\"step\": 1.5, \"loss\": 1.9}\n{\"step\": true, \"loss\": 1.8}\n");
  REQUIRE(st);
  CHECK(st->diagnostics.skipped_records == 2);
  REQUIRE(st->diagnostics.issues.size() == 2);
  CHECK(st->diagnostics.issues[1].line == 3);
  CHECK(st->diagnostics.issues[1].field == "step");
  CHECK(st->train_loss.steps == std::vector<std::int64_t>{1});
  // numbers written as strings are numbers
  auto s = read_both(R"({"step": "7", "loss": "1.5", "val_loss": "nan"})" "\n");
  REQUIRE(s);
  CHECK(s->checkpoint_train_loss.at(7) == doctest::Approx(1.5));
  CHECK(s->diagnostics.non_finite_values == 1);
}

TEST_CASE("jsonl: a step must be a whole number a double holds exactly, else the record is skipped") {
  // 1e3 and 2.0 are whole; 1.5 is not; 9000000000000001 is whole but past 9e15, where doubles skip integers.
  const std::string text =
      "{\"step\": 1e3, \"loss\": 3.0}\n"
      "{\"step\": 1500.0, \"loss\": 2.9}\n"
      "{\"step\": 1600.5, \"loss\": 2.8}\n"
      "{\"step\": 9000000000000001, \"loss\": 2.7}\n"
      "{\"step\": 9000000000000000, \"loss\": 2.6}\n"
      "{\"loss\": 2.5, \"step\": -3}\n";
  auto r = read_both(text);
  REQUIRE(r);
  CHECK(r->train_loss.steps == std::vector<std::int64_t>{-3});  // -3 resumes before every earlier step
  CHECK(r->diagnostics.repeated_steps == 3);
  CHECK(r->diagnostics.skipped_records == 2);
  REQUIRE(r->diagnostics.issues.size() == 2);
  CHECK(r->diagnostics.issues[0].line == 3);
  CHECK(r->diagnostics.issues[0].field == "step");
  CHECK(r->diagnostics.issues[0].message == "step is not a whole number, record skipped: 1600.5");
  CHECK(r->diagnostics.issues[1].line == 4);
  CHECK(r->diagnostics.issues[1].message == "step is not a whole number, record skipped: 9000000000000001");
}

TEST_CASE("jsonl: under bad_record_policy::fail the first problem is an error naming file, line and field") {
  io::read_options strict;
  strict.on_bad_record = io::bad_record_policy::fail;
  auto v = io::read_jsonl_file(data_dir + "non_numeric_loss.jsonl", strict);
  REQUIRE_FALSE(v);
  CHECK(v.error().code == errc::malformed);
  CHECK(v.error().file == data_dir + "non_numeric_loss.jsonl");
  CHECK(v.error().line == 2);
  CHECK(v.error().field == "loss");
  auto t = read_both(many_lines(5000, 4321, "{oops"), strict);
  REQUIRE_FALSE(t);
  CHECK(t.error().line == 4321);
  CHECK(to_string(t.error()).find(":4321:") != std::string::npos);
}

TEST_CASE("jsonl: inputs that give no run are errors") {
  SUBCASE("empty file, blank lines, a lone byte order mark") {
    auto e = io::read_jsonl_file(data_dir + "empty.jsonl");
    REQUIRE_FALSE(e);
    CHECK(e.error().code == errc::empty_input);
    auto blank = read_both("\n  \n\r\n");
    REQUIRE_FALSE(blank);
    CHECK(blank.error().code == errc::empty_input);
    auto bom = read_both("\xef\xbb\xbf");
    REQUIRE_FALSE(bom);
    CHECK(bom.error().code == errc::empty_input);
  }
  SUBCASE("binary garbage") {
    auto g = io::read_jsonl_file(data_dir + "binary_garbage.jsonl");
    REQUIRE_FALSE(g);
    CHECK(g.error().code == errc::malformed);
    CHECK(g.error().line == 1);
    auto csv = read_both("step,loss\n1,2.5\n2,2.4\n");
    REQUIRE_FALSE(csv);
    CHECK(csv.error().code == errc::malformed);
  }
  SUBCASE("well-formed JSON without any loss") {
    auto n = read_both(R"({"step": 1, "accuracy": 0.5})" "\n" R"({"step": 2, "accuracy": 0.6})" "\n");
    REQUIRE_FALSE(n);
    CHECK(n.error().code == errc::no_usable_data);
  }
  SUBCASE("missing file, directory, FIFO") {
    auto m = io::read_jsonl_file(data_dir + "no_such_file.jsonl");
    REQUIRE_FALSE(m);
    CHECK(m.error().code == errc::cannot_open);
    auto d = io::read_jsonl_file(data_dir);
    REQUIRE_FALSE(d);
    CHECK(d.error().code == errc::cannot_open);
    const std::string fifo = (fs::temp_directory_path() / ("trainscope_fifo_" + std::to_string(::getpid()))).string();
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    auto f = io::read_jsonl_file(fifo);  // must not block
    std::remove(fifo.c_str());
    REQUIRE_FALSE(f);
    CHECK(f.error().code == errc::cannot_open);
  }
}

TEST_CASE("jsonl: repeated steps after a resume: the later record wins and is counted") {
  auto r = io::read_jsonl_file(data_dir + "resumed.jsonl");
  REQUIRE(r);
  CHECK(r->diagnostics.restarts == 0);
  CHECK(r->diagnostics.repeated_steps == 2);
  CHECK(r->train_loss.steps == std::vector<std::int64_t>{1, 2, 3, 4});
  CHECK(r->train_loss.values == std::vector<double>{2.0, 1.95, 1.85, 1.7});
}

TEST_CASE("jsonl: per-epoch logs without a step counter") {
  auto r = read_both(R"({"epoch": 0, "train_loss": 3.0, "val_loss": 3.3})" "\n"
                     R"({"epoch": 1, "train_loss": 2.0, "val_loss": 2.5})" "\n"
                     R"({"epoch": 2, "train_loss": 1.5, "val_loss": 2.4})" "\n");
  REQUIRE(r);
  CHECK(r->val_loss.steps == std::vector<std::int64_t>{0, 1, 2});
  CHECK(r->checkpoint_train_loss.values == std::vector<double>{3.0, 2.0, 1.5});
}

TEST_CASE("jsonl: standard input is read with '-'") {
  temp_file f(slurp(data_dir + "small.jsonl"), "stdin.jsonl");
  REQUIRE(std::freopen(f.path.c_str(), "rb", stdin));
  auto r = io::read_jsonl_file("-");
  REQUIRE(r);
  CHECK(r->source.path == "-");
  CHECK(r->train_loss.size() == 10);
  CHECK(r->val_loss.size() == 2);
}

TEST_CASE("jsonl: streaming hands each record with its line, in bounded memory") {
  std::vector<std::size_t> lines;
  std::vector<record_kind> kinds;
  std::size_t extra = 0;
  auto d = io::for_each_jsonl_record(data_dir + "small.jsonl", [&](const record& r) {
    lines.push_back(r.line);
    kinds.push_back(r.kind);
    extra += r.extra.size();
  });
  REQUIRE(d);
  CHECK(d->records == 13);
  REQUIRE(lines.size() == 13);
  CHECK(lines.front() == 1);
  CHECK(lines.back() == 13);
  CHECK(kinds[0] == record_kind::config);
  CHECK(kinds[1] == record_kind::train);
  CHECK(kinds[6] == record_kind::eval);
  CHECK(extra == 0);
  // returning false stops the reading
  std::size_t seen = 0;
  auto stopped = io::for_each_jsonl_record(data_dir + "small.jsonl", [&](const record&) { return ++seen < 3; });
  REQUIRE(stopped);
  CHECK(seen == 3);
  // the diagnostics are those of the file
  auto nan = io::for_each_jsonl_record(data_dir + "nan_tokens.jsonl", [](const record&) {});
  REQUIRE(nan);
  CHECK(nan->non_finite_values == 3);
  auto missing = io::for_each_jsonl_record(data_dir + "nope.jsonl", [](const record&) {});
  CHECK_FALSE(missing);
}

// ---- real logs (see real-logs/SOURCES.md) ----

TEST_CASE("jsonl real log: LoRA MedQA HF callback metrics") {
  const std::string path = real_dir + "lora-medqa-hf-callback-metrics.jsonl";
  if (!fs::exists(path)) return;
  auto r = read_both(slurp(path));
  REQUIRE(r);
  const auto& d = r->diagnostics;
  CHECK(d.records == 80);
  CHECK(d.skipped_records == 0);
  CHECK(d.restarts == 0);
  REQUIRE(r->train_loss.size() == 77);
  CHECK(r->train_loss.steps.front() == 10);
  CHECK(r->train_loss.steps.back() == 770);
  CHECK(r->train_loss.values.front() == doctest::Approx(2.0655645370483398));
  CHECK(r->lr.size() == 77);
  CHECK(r->lr.at(10) == doctest::Approx(7.500000000000001e-05));
  CHECK(r->grad_norm.size() == 77);
  // evaluations at 389 and 778; the summary (also at step 778) feeds no series
  CHECK(r->val_loss.steps == std::vector<std::int64_t>{389, 778});
  CHECK(r->val_loss.values[0] == doctest::Approx(1.1333630084991455));
  CHECK(r->val_loss.values[1] == doctest::Approx(1.1094789505004883));
  CHECK(r->val_loss_key == "val_loss");
  CHECK(r->checkpoint_train_loss.empty());
  CHECK(r->epoch.size() == 79);  // 77 train + 2 eval records
  // the file has no duplicate line (SOURCES.md says the 778 eval appears twice; it appears once,
  // the second step-778 line is the summary): nothing is replaced
  CHECK(d.repeated_steps == 0);
  bool avg = false, runtime = false;
  for (const auto& [k, v] : r->summary) {
    avg |= k == "train_loss" && v == "1.1678760683015563";
    runtime |= k == "train_runtime" && v == "6406.1054";
  }
  CHECK(avg);
  CHECK(runtime);
  CHECK(r->train_loss.at(778) == std::nullopt);
}

TEST_CASE("jsonl real log: NMT transformer, step and epoch records mixed") {
  const std::string path = real_dir + "nmt-transformer-step-and-epoch.jsonl";
  if (!fs::exists(path)) return;
  auto r = read_both(slurp(path));
  REQUIRE(r);
  const auto& d = r->diagnostics;
  CHECK(d.records == 1992);  // 1989 step records + 3 epoch records
  CHECK(d.skipped_records == 0);
  // step 65900 is logged twice in a row (lines 1320-1321): the later record wins for loss and lr
  CHECK(d.repeated_steps == 2);
  CHECK(r->train_loss.size() == 1988);
  CHECK(r->train_loss.at(65900) == doctest::Approx(2.56784));
  CHECK(r->train_loss.steps.front() == 50);
  CHECK(r->train_loss.steps.back() == 99400);
  REQUIRE(r->val_loss.size() == 3);
  CHECK(r->val_loss.steps == std::vector<std::int64_t>{32926, 65852, 98778});
  CHECK(r->val_loss.values[0] == doctest::Approx(2.69912));
  CHECK(r->val_loss.values[1] == doctest::Approx(2.41916));
  CHECK(r->val_loss.values[2] == doctest::Approx(2.32165));
  CHECK(r->checkpoint_train_loss.values == std::vector<double>{4.0042, 2.67636, 2.47416});
  CHECK(r->lr.at(99400) == doctest::Approx(7.31e-06));
  REQUIRE(r->extra.size() == 1);
  CHECK(r->extra[0].name == "val_chrf");
  CHECK(r->extra[0].size() == 3);
}

TEST_CASE("jsonl real log: DETR per-epoch log with a restart") {
  const std::string path = real_dir + "detr-r50-custom-epoch-log.jsonl";
  if (!fs::exists(path)) return;
  auto r = read_both(slurp(path));
  REQUIRE(r);
  const auto& d = r->diagnostics;
  CHECK(d.records == 61);
  CHECK(d.restarts == 1);
  CHECK(d.dropped_records_before_restart == 10);
  // the later run: epochs 0..50, test_loss is the validation loss, train_loss the checkpoint's train loss
  REQUIRE(r->val_loss.size() == 51);
  CHECK(r->val_loss.steps.front() == 0);
  CHECK(r->val_loss.steps.back() == 50);
  CHECK(r->val_loss.values.front() == doctest::Approx(22.43142567405218));
  CHECK(r->val_loss.values.back() == doctest::Approx(10.559565399266496));
  CHECK(r->checkpoint_train_loss.size() == 51);
  CHECK(r->checkpoint_train_loss.values.front() == doctest::Approx(26.532448797514945));
  CHECK(r->train_loss.empty());
  REQUIRE(r->lr.size() == 51);
  for (double lr : r->lr.values) CHECK(lr == doctest::Approx(1e-4));
  // the loss components are kept as extra series; the nested coco list is not a number
  CHECK(r->extra.size() == 89);
  CHECK(d.skipped_values == 0);
}

TEST_CASE("jsonl: a file that grows while it is read is read up to the size it had at open") {
  // What read_jsonl_file does with the size from stat: bytes appended after that are not read.
  const std::string at_open = "{\"step\":1,\"loss\":2.0}\n{\"step\":2,\"loss\":1.9}\n";
  const std::string grown = at_open + "{\"step\":3,\"loss\":1.8}\n";
  std::FILE* f = ::fmemopen(const_cast<char*>(grown.data()), grown.size(), "rb");
  REQUIRE(f);
  io::read_options opts;
  io::detail::jsonl_run_sink sink{run_builder(source_info{"growing.jsonl", "jsonl"})};
  io::detail::jsonl_parser<io::detail::jsonl_run_sink> parser(sink, "growing.jsonl", opts);
  auto read = io::detail::parse_jsonl_stream(parser, sink, f, "growing.jsonl", [](std::uint64_t) {}, at_open.size());
  std::fclose(f);
  REQUIRE(read);
  run r = std::move(sink.builder).finish();
  CHECK(r.train_loss.steps == std::vector<std::int64_t>{1, 2});
  CHECK(r.diagnostics.skipped_records == 0);
  // the same through a memory map of the grown file: the map holds the new bytes, the reader stops at the old size
  trainscope_test::opened_text mapped(grown, trainscope_test::byte_source::mapped);
  REQUIRE(mapped.mapped());
  io::detail::jsonl_run_sink sink2{run_builder(source_info{"growing.jsonl", "jsonl"})};
  io::detail::jsonl_parser<io::detail::jsonl_run_sink> parser2(sink2, "growing.jsonl", opts);
  REQUIRE(io::detail::parse_jsonl_stream(parser2, sink2, mapped.f, "growing.jsonl", [](std::uint64_t) {}, at_open.size(),
                                         io::detail::jsonl_block_size, mapped.mapped()));
  run r2 = std::move(sink2.builder).finish();
  CHECK(r2.train_loss.steps == std::vector<std::int64_t>{1, 2});
  CHECK(r2.diagnostics.skipped_records == 0);
}
