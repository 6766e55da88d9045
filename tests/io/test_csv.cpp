#include <doctest/doctest.h>

#include <cmath>

#include "io/reader_fixtures.hpp"
#include "trainscope/io/csv.hpp"

using namespace trainscope;
using fixtures::extra;

namespace {
result<run> read_csv_file(const std::string& path, const io::read_options& o = {}) {
  auto in = fixtures::load(path);
  return io::read_csv_log(in, path, o);
}
result<run> read_csv_text(std::string_view text, const io::read_options& o = {}) {
  return io::read_csv_log(io::detail::make_padded(text), "mem.csv", o);
}
}  // namespace

TEST_CASE("csv: Lightning metrics.csv — sparse rows merged per step, per-step train loss, lr-SGD is lr") {
  const auto path = fixtures::real_log("csv/lightning-resnet18-cifar10-onecycle-metrics.csv");
  REQUIRE_REAL_LOG(path);
  auto r = read_csv_file(path);
  REQUIRE(r.has_value());
  CHECK(r->source.format == "csv");
  // lr in its own rows every 50 steps: 55 points, OneCycle peak 0.09997 at step 849
  REQUIRE(r->lr.size() == 55);
  CHECK(fixtures::argmax_step(r->lr) == 849);
  CHECK(*r->lr.at(849) == doctest::Approx(0.09997232298068263));
  CHECK(r->lr.values.back() == doctest::Approx(1.5218789536947162e-05));
  // train_loss_step is the per-step train loss; the epoch variant stays in extra
  CHECK(r->train_loss.size() == 55);
  CHECK(*r->train_loss.at(49) == doctest::Approx(1.894094467163086));
  REQUIRE(extra(*r, "train_loss_epoch") != nullptr);
  CHECK(extra(*r, "train_loss_epoch")->size() == 35);
  CHECK(extra(*r, "train_loss_epoch")->values.back() == doctest::Approx(0.04803738370537758));
  // valid_loss: 35 epochs, 1.71 -> 0.40; the single test_loss row is not validation
  CHECK(r->val_loss_key == "val_loss");
  REQUIRE(r->val_loss.size() == 35);
  CHECK(r->val_loss.values.front() == doctest::Approx(1.7100218534469604));
  CHECK(r->val_loss.values.back() == doctest::Approx(0.3965543508529663));
  REQUIRE(extra(*r, "test_loss") != nullptr);
  CHECK(extra(*r, "test_loss")->size() == 1);
  // rows of one step are one record: no step is "repeated"
  CHECK(r->diagnostics.repeated_steps == 0);
  CHECK(r->diagnostics.skipped_values == 0);
}

TEST_CASE("csv: Keras CSVLogger — one row per epoch, step = epoch") {
  const auto path = fixtures::real_log("csv/keras-irfanet-csvlogger-55ep.log");
  REQUIRE_REAL_LOG(path);
  auto r = read_csv_file(path);
  REQUIRE(r.has_value());
  REQUIRE(r->train_loss.size() == 55);
  REQUIRE(r->val_loss.size() == 55);
  CHECK(r->val_loss.steps.front() == 0);
  CHECK(r->val_loss.steps.back() == 54);
  // overfitting: val_loss lowest at epoch 15 (0.686), then rises to about 1.76
  CHECK(fixtures::argmin_step(r->val_loss) == 15);
  CHECK(*r->val_loss.at(15) == doctest::Approx(0.685652570706));
  CHECK(r->val_loss.values.back() == doctest::Approx(1.76).epsilon(0.01));
  CHECK(r->train_loss.values.back() == doctest::Approx(0.029).epsilon(0.02));
  CHECK(r->lr.empty());
  CHECK(extra(*r, "val_acc") != nullptr);
}

TEST_CASE("csv: Keras speaker250 overfits from the first epoch") {
  const auto path = fixtures::real_log("csv/keras-speaker250-csvlogger-overfit.log");
  REQUIRE_REAL_LOG(path);
  auto r = read_csv_file(path);
  REQUIRE(r.has_value());
  CHECK(r->val_loss.size() == 50);
  CHECK(fixtures::argmin_step(r->val_loss) == 0);
  CHECK(r->val_loss.values.front() == doctest::Approx(4.21).epsilon(0.001));
  CHECK(r->train_loss.values.front() == doctest::Approx(4.88).epsilon(0.001));
  CHECK(r->train_loss.values.back() == doctest::Approx(1.66).epsilon(0.01));
}

TEST_CASE("csv: YOLO results.csv — loss is the sum of its components, labelled in config") {
  const auto path = fixtures::real_log("csv/yolo11-seg-gallstone-results.csv");
  REQUIRE_REAL_LOG(path);
  auto r = read_csv_file(path);
  REQUIRE(r.has_value());
  REQUIRE(r->train_loss.size() == 10);
  CHECK(r->train_loss.steps.front() == 1);  // YOLO counts epochs from 1
  CHECK(r->train_loss.values.front() == doctest::Approx(1.49295 + 2.32854 + 2.62821 + 1.20624));
  REQUIRE(r->config_value("train_loss_definition") != nullptr);
  CHECK(*r->config_value("train_loss_definition") ==
        "sum of train/box_loss+train/seg_loss+train/cls_loss+train/dfl_loss");
  REQUIRE(r->config_value("val_loss_definition") != nullptr);
  CHECK(r->val_loss.values.front() == doctest::Approx(1.2426 + 1.63945 + 3.58494 + 1.13346));
  // the components are kept, and all fall
  REQUIRE(extra(*r, "val/box_loss") != nullptr);
  CHECK(extra(*r, "train/box_loss")->values.back() < extra(*r, "train/box_loss")->values.front());
  // lr/pg0..pg2 are parameter groups; warmup to 0.00133 at epoch 3
  REQUIRE(r->lr_groups.size() == 3);
  CHECK(r->lr_groups[0].name == "pg0");
  CHECK(fixtures::argmax_step(r->lr) == 3);
  CHECK(r->lr.values[2] == doctest::Approx(0.00132938));
  CHECK(r->wall_time_s.size() == 10);
}

TEST_CASE("csv: YOLO's padded header names are trimmed") {
  auto r = read_csv_text(
      "                  epoch,      train/box_loss,      train/cls_loss,        val/box_loss,"
      "        val/cls_loss,               lr/pg0\n"
      "                      1,              1.5,             2.5,              1.25,             0.75,         0.01\n"
      "                      2,              1.0,             2.0,              1.0,             0.5,          0.02\n");
  REQUIRE(r.has_value());
  CHECK(r->train_loss.values == std::vector<double>{4.0, 3.0});
  CHECK(r->val_loss.values == std::vector<double>{2.0, 1.5});
  CHECK(r->lr.values == std::vector<double>{0.01, 0.02});
}

TEST_CASE("csv: RFC 4180 quoting, CRLF, NA / empty / nan (hand-made fixture)") {
  auto r = read_csv_file(fixtures::test_data("csv/quoted-crlf.csv"));
  REQUIRE(r.has_value());
  REQUIRE(r->train_loss.size() == 4);
  CHECK(r->train_loss.steps == std::vector<std::int64_t>{1, 2, 3, 4});
  CHECK(r->train_loss.values[0] == 2.5);  // a quoted number
  CHECK(r->train_loss.values[1] == 2.25);
  CHECK(std::isnan(r->train_loss.values[2]));  // nan is a value
  CHECK(r->train_loss.values[3] == 2.0);
  CHECK(r->lr.steps == std::vector<std::int64_t>{1, 2, 3});  // empty cell: missing
  CHECK(r->diagnostics.non_finite_values == 1);
  // text in the two text columns: "a, b", "multi\r\nline", "said ""hi""", "x", "y"
  CHECK(r->diagnostics.skipped_values == 5);
  REQUIRE(r->diagnostics.issues.size() == 5);
  CHECK(r->diagnostics.issues[0].field == "note, with comma");
  CHECK(r->diagnostics.issues[1].field == "val \"loss\" text");
  CHECK(r->diagnostics.issues[2].line == 3);  // the multi-line field's row starts on line 3
  CHECK(r->diagnostics.issues[3].line == 6);  // and the row after it on line 6
}

TEST_CASE("csv: a header without known columns is not a metrics CSV") {
  auto r = read_csv_text("name,colour\nx,red\n");
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == errc::malformed);
  auto e = read_csv_text("\n\n  \n");
  REQUIRE_FALSE(e.has_value());
  CHECK(e.error().code == errc::empty_input);
  auto n = read_csv_text("epoch,acc\n0,0.5\n1,0.6\n");
  REQUIRE_FALSE(n.has_value());
  CHECK(n.error().code == errc::no_usable_data);
}

TEST_CASE("csv: an explicit key mapping wins over detection") {
  io::read_options o;
  o.keys.train_loss = "objective";
  auto r = read_csv_text("step,loss,objective\n1,9,0.5\n2,8,0.4\n", o);
  REQUIRE(r.has_value());
  CHECK(r->train_loss.values == std::vector<double>{0.5, 0.4});
  REQUIRE(extra(*r, "loss") != nullptr);  // the detected alias is kept as a plain metric
}

TEST_CASE("csv: bad rows — skipped with their line, or an error under the fail policy") {
  const std::string text = "step,loss\n1,0.5\nbanana,0.4\n3,0.3\n";
  auto r = read_csv_text(text);
  REQUIRE(r.has_value());
  CHECK(r->diagnostics.skipped_values == 1);
  REQUIRE(r->diagnostics.issues.size() == 1);
  CHECK(r->diagnostics.issues[0].line == 3);
  CHECK(r->diagnostics.issues[0].field == "step");
  io::read_options fail;
  fail.on_bad_record = io::bad_record_policy::fail;
  auto f = read_csv_text(text, fail);
  REQUIRE_FALSE(f.has_value());
  CHECK(f.error().code == errc::malformed);
  CHECK(f.error().line == 3);
  CHECK(f.error().byte_offset == 16);
}

TEST_CASE("csv: a row cut off at the end of the input is read as far as it goes") {
  auto r = read_csv_text("step,loss,lr\n1,0.5,0.1\n2,0.4");
  REQUIRE(r.has_value());
  CHECK(r->train_loss.size() == 2);
  CHECK(r->diagnostics.truncated_last_line);
  auto q = read_csv_text("step,loss\n1,0.5\n2,\"0.4");
  REQUIRE(q.has_value());
  CHECK(q->train_loss.size() == 1);
  CHECK(q->diagnostics.truncated_last_line);
  CHECK(q->diagnostics.skipped_records == 1);
}

TEST_CASE("csv: Lightning's own-axis val_loss_step is kept apart from validation") {
  auto r = read_csv_text(
      "step,train_loss_step,val_loss_step,val_loss_epoch,epoch\n"
      "49,1.5,,,0\n"
      "0,,1.7,,0\n"
      "1,,1.6,,0\n"
      "78,,,1.65,0\n"
      "99,1.2,,,1\n");
  REQUIRE(r.has_value());
  CHECK(r->val_loss.steps == std::vector<std::int64_t>{78});
  REQUIRE(extra(*r, "val_loss_step") != nullptr);
  CHECK(extra(*r, "val_loss_step")->steps == std::vector<std::int64_t>{0, 1});
  CHECK(r->diagnostics.restarts == 0);  // the val counter does not restart the run
  CHECK(r->train_loss.steps == std::vector<std::int64_t>{49, 99});
}
