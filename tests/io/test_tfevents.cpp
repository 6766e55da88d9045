#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "io/reader_fixtures.hpp"
#include "io/tfrecord_builder.hpp"
#include "trainscope/io/csv.hpp"
#include "trainscope/io/tfevents.hpp"

using namespace trainscope;
using fixtures::extra;

namespace {
result<run> read_tf_file(const std::string& path, const io::read_options& o = {}) {
  auto in = fixtures::load(path);
  return io::read_tfevents(in, path, o);
}
result<run> read_tf_bytes(const std::string& bytes, const io::read_options& o = {}) {
  return io::read_tfevents(io::detail::make_padded(bytes), "mem.tfevents", o);
}
}  // namespace

TEST_CASE("tfevents: CRC32C and the TFRecord mask") {
  const std::string check = "123456789";
  // the CRC-32C check value (RFC 3720 B.4 / the CRC catalogue): 0xE3069283
  CHECK(io::detail::crc32c(reinterpret_cast<const unsigned char*>(check.data()), check.size()) == 0xE3069283u);
  const unsigned char zeros[32] = {};
  CHECK(io::detail::crc32c(zeros, 32) == 0x8A9136AAu);  // RFC 3720 B.4: 32 bytes of zeros
  CHECK(io::detail::mask_crc(0) == 0xa282ead8u);
  CHECK(io::detail::mask_crc(0x00008000u) == 0xa282ead9u);  // bit 15 rotates to bit 0
}

TEST_CASE("tfevents: Lightning cifar10 — lr-SGD, per-step train loss, val_loss_epoch, own-axis val_loss_step") {
  const auto path = fixtures::real_log("tfevents/lightning-cifar10-onecycle-lr-sgd.tfevents");
  REQUIRE_REAL_LOG(path);
  auto r = read_tf_file(path);
  REQUIRE(r.has_value());
  CHECK(r->source.format == "tfevents");
  CHECK(r->lr.size() == 117);
  CHECK(r->lr.values.front() == doctest::Approx(0.0148).epsilon(0.01));
  CHECK(r->lr.values.back() == doctest::Approx(0.0019).epsilon(0.03));
  CHECK(r->train_loss.size() == 117);
  CHECK(r->train_loss.steps.back() == 5849);
  REQUIRE(r->val_loss.size() == 30);
  CHECK(r->val_loss.values.front() == doctest::Approx(1.56).epsilon(0.01));
  CHECK(r->val_loss.values.back() == doctest::Approx(0.23).epsilon(0.02));
  REQUIRE(extra(*r, "train_loss_epoch") != nullptr);
  CHECK(extra(*r, "train_loss_epoch")->values.back() == doctest::Approx(0.05).epsilon(0.03));
  // val_loss_step counts validation batches 0..1199: its own axis, not validation, not a restart
  const series* own = extra(*r, "val_loss_step");
  REQUIRE(own != nullptr);
  CHECK(own->size() == 1200);
  CHECK(own->steps.front() == 0);
  CHECK(own->steps.back() == 1199);
  CHECK(r->diagnostics.restarts == 0);
  CHECK(r->diagnostics.repeated_steps == 0);
  CHECK(r->wall_time_s.size() > 0);
}

TEST_CASE("tfevents: Lightning fashion-mnist — a validation plateau") {
  const auto path = fixtures::real_log("tfevents/lightning-fashionmnist-35ep-plateau.tfevents");
  REQUIRE_REAL_LOG(path);
  auto r = read_tf_file(path);
  REQUIRE(r.has_value());
  CHECK(r->train_loss.size() == 525);
  CHECK(r->train_loss.steps.back() == 26249);
  REQUIRE(r->val_loss.size() == 35);
  CHECK(r->val_loss.values.front() == doctest::Approx(0.417).epsilon(0.001));
  CHECK(fixtures::argmin_step(r->val_loss) == 17249);
  CHECK(*r->val_loss.at(17249) == doctest::Approx(0.347).epsilon(0.002));
  CHECK(r->lr.empty());
}

TEST_CASE("tfevents: Keras TF1 file with a 2 MB graph — graph skipped, 55 epochs of loss and val_loss") {
  const auto path = fixtures::real_log("tfevents/keras-tf1-irfanet-overfit-with-graph.tfevents");
  REQUIRE_REAL_LOG(path);
  auto r = read_tf_file(path);
  REQUIRE(r.has_value());
  REQUIRE(r->train_loss.size() == 55);
  REQUIRE(r->val_loss.size() == 55);
  CHECK(r->val_loss.steps.front() == 0);
  CHECK(r->val_loss.steps.back() == 54);
  CHECK(fixtures::argmin_step(r->val_loss) == 15);
  CHECK(*r->val_loss.at(15) == doctest::Approx(0.686).epsilon(0.001));
  CHECK(r->diagnostics.skipped_records == 0);
}

TEST_CASE("tfevents: agreement — the irfanet Keras CSV and event file give the same series up to float32") {
  const auto csv_path = fixtures::real_log("csv/keras-irfanet-csvlogger-55ep.log");
  const auto tf_path = fixtures::real_log("tfevents/keras-tf1-irfanet-overfit-with-graph.tfevents");
  REQUIRE_REAL_LOG(csv_path);
  REQUIRE_REAL_LOG(tf_path);
  auto in_csv = fixtures::load(csv_path);
  auto c = io::read_csv_log(in_csv, csv_path);
  auto t = read_tf_file(tf_path);
  REQUIRE(c.has_value());
  REQUIRE(t.has_value());
  for (auto pick : {&run::train_loss, &run::val_loss}) {
    const series& a = (*c).*pick;
    const series& b = (*t).*pick;
    REQUIRE(a.size() == b.size());
    CHECK(a.steps == b.steps);
    for (std::size_t i = 0; i < a.size(); ++i) {
      // the event file stores float32; the CSV prints the same value with 12 digits
      CHECK(static_cast<float>(a.values[i]) == static_cast<float>(b.values[i]));
      CHECK(std::fabs(a.values[i] - b.values[i]) <= 1e-6 * std::fabs(a.values[i]));
    }
  }
}

TEST_CASE("tfevents: TF2 tensor scalars and the directory reader") {
  std::string file_a = pbw::frame(pbw::field_double(1, 0.5) + pbw::field_bytes(3, "brain.Event:2"));
  for (int s = 0; s < 4; ++s) file_a += pbw::frame(pbw::tensor_event(s, "epoch_loss", 2.0f - 0.25f * static_cast<float>(s)));
  std::string file_b;  // a resumed run: steps 2..5, later values win
  for (int s = 2; s < 6; ++s) file_b += pbw::frame(pbw::scalar_event(s, "epoch_loss", 1.0f - 0.125f * static_cast<float>(s)));

  auto one = read_tf_bytes(file_a);
  REQUIRE(one.has_value());
  CHECK(one->train_loss.values == std::vector<double>{2.0, 1.75, 1.5, 1.25});

  const auto dir = std::filesystem::temp_directory_path() / "trainscope_test_tfevents_dir";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "events.out.tfevents.100.host.1.0", std::ios::binary) << file_a;
  std::ofstream(dir / "events.out.tfevents.200.host.1.0", std::ios::binary) << file_b;
  std::ofstream(dir / "notes.txt") << "not an event file";
  auto both = io::read_tfevents_dir(dir.string());
  REQUIRE(both.has_value());
  CHECK(both->train_loss.steps == std::vector<std::int64_t>{0, 1, 2, 3, 4, 5});
  CHECK(both->train_loss.values[2] == 0.75);  // from the later file
  CHECK(both->diagnostics.repeated_steps == 4);  // steps 2 and 3, in the loss and the wall-time series
  std::filesystem::remove_all(dir);
  auto none = io::read_tfevents_dir(dir.string());
  REQUIRE_FALSE(none.has_value());
  CHECK(none.error().code == errc::cannot_open);
}

TEST_CASE("tfevents: a Keras TF2 log folder — train/ and validation/ subfolders of epoch_loss") {
  const auto dir = std::filesystem::temp_directory_path() / "trainscope_test_keras_tf2";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir / "train");
  std::filesystem::create_directories(dir / "validation");
  std::string train, val;
  for (int e = 0; e < 3; ++e) {
    train += pbw::frame(pbw::tensor_event(e, "epoch_loss", 1.0f - 0.25f * static_cast<float>(e)));
    train += pbw::frame(pbw::tensor_event(e, "epoch_learning_rate", 0.001f));
    val += pbw::frame(pbw::tensor_event(e, "epoch_loss", 1.5f - 0.125f * static_cast<float>(e)));
  }
  std::ofstream(dir / "train" / "events.out.tfevents.1.host.1.v2", std::ios::binary) << train;
  std::ofstream(dir / "validation" / "events.out.tfevents.1.host.1.v2", std::ios::binary) << val;
  auto r = io::read_tfevents_dir(dir.string());
  std::filesystem::remove_all(dir);
  REQUIRE(r.has_value());
  CHECK(r->train_loss.values == std::vector<double>{1.0, 0.75, 0.5});
  CHECK(r->val_loss.values == std::vector<double>{1.5, 1.375, 1.25});
  CHECK(r->lr.size() == 3);
  CHECK(r->diagnostics.restarts == 0);  // the validation file starts at 0 again, yet it is the same run
}

TEST_CASE("tfevents: a second run appended to the same file restarts the counter") {
  std::string bytes;
  for (int s = 1; s <= 5; ++s) bytes += pbw::frame(pbw::scalar_event(s, "train/loss", 3.0f - 0.25f * static_cast<float>(s)));
  for (int s = 1; s <= 3; ++s) bytes += pbw::frame(pbw::scalar_event(s, "train/loss", 9.0f));
  auto r = read_tf_bytes(bytes);
  REQUIRE(r.has_value());
  CHECK(r->diagnostics.restarts == 1);
  CHECK(r->train_loss.values == std::vector<double>{9.0, 9.0, 9.0});
  io::read_options merge;
  merge.build.on_restart = restart_policy::merge;
  auto m = read_tf_bytes(bytes, merge);
  REQUIRE(m.has_value());
  CHECK(m->diagnostics.restarts == 0);
  CHECK(m->train_loss.size() == 3);  // the later run replaced steps 1..5
}
