#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "io/reader_fixtures.hpp"
#include "io/tfrecord_builder.hpp"
#include "trainscope/io/detect.hpp"
#include "trainscope/io/read_log.hpp"

using namespace trainscope;

namespace {
io::log_format detect_file(const std::string& path) {
  const std::string bytes = fixtures::slurp(path);
  return io::detect_format(std::string_view(bytes).substr(0, io::detect_head_bytes));
}
}  // namespace

TEST_CASE("detect: every real log by content, whatever its name") {
  const auto dir = fixtures::real_log("");
  REQUIRE_REAL_LOG(dir + "SOURCES.md");
  const std::pair<const char*, io::log_format> cases[] = {
      {"hf-trainer-state/whisper-large-v2-ja-evalloss-rising.json", io::log_format::hf_trainer_state},
      {"hf-trainer-state/tinyllama-lora-sft-trl.json", io::log_format::hf_trainer_state},
      {"hf-trainer-state/multi-evalset-constant-lr-overfit.json", io::log_format::hf_trainer_state},
      {"jsonl/detr-r50-custom-epoch-log.jsonl", io::log_format::jsonl},
      {"jsonl/nmt-transformer-step-and-epoch.jsonl", io::log_format::jsonl},
      {"jsonl/lora-medqa-hf-callback-metrics.jsonl", io::log_format::jsonl},
      {"csv/lightning-resnet18-cifar10-onecycle-metrics.csv", io::log_format::csv},
      {"csv/yolo11-seg-gallstone-results.csv", io::log_format::csv},
      {"csv/keras-speaker250-csvlogger-overfit.log", io::log_format::csv},  // .log, yet CSV
      {"csv/keras-irfanet-csvlogger-55ep.log", io::log_format::csv},
      {"tfevents/lightning-cifar10-onecycle-lr-sgd.tfevents", io::log_format::tfevents},
      {"tfevents/lightning-fashionmnist-35ep-plateau.tfevents", io::log_format::tfevents},
      {"tfevents/keras-tf1-irfanet-overfit-with-graph.tfevents", io::log_format::tfevents},
      {"text/llmc-gpt2-124m-fineweb10b-main.log", io::log_format::text_llmc},
      {"text/llmc-gpt2-124m-stdout-warmup.log", io::log_format::text_llmc},
      {"text/llmc-gpt2-124m-stdout-nan-from-step1.log", io::log_format::text_llmc},
  };
  for (const auto& c : cases) {
    CAPTURE(c.first);
    CHECK(detect_file(dir + c.first) == c.second);
  }
}

TEST_CASE("detect: small inputs and near misses") {
  CHECK(io::detect_format("") == io::log_format::unknown);
  CHECK(io::detect_format("\xEF\xBB\xBF{\"step\": 1, \"loss\": 2}\n") == io::log_format::jsonl);
  CHECK(io::detect_format("{\n  \"log_history\": [\n") == io::log_format::hf_trainer_state);
  CHECK(io::detect_format("{\"log_history\": 1, \"step\": 2}\n{\"step\": 3}\n") == io::log_format::jsonl);
  CHECK(io::detect_format("epoch,loss,val_loss\r\n0,1,2\r\n") == io::log_format::csv);
  CHECK(io::detect_format("name,colour\nx,red\n") == io::log_format::unknown);
  CHECK(io::detect_format("s:0 trl:11.0 lr:0.1 norm:1\n") == io::log_format::text_llmc);
  CHECK(io::detect_format("banner\nstep   12/100 | loss 3.0 (+1z)| norm 1\n") == io::log_format::text_llmc);
  CHECK(io::detect_format("step 12 of 100\n") == io::log_format::unknown);
  // twelve bytes that only look like a header: the length CRC must check
  CHECK(io::detect_format(std::string(12, '\0')) == io::log_format::unknown);
  CHECK(io::detect_format(pbw::frame(pbw::scalar_event(1, "loss", 1.0f))) == io::log_format::tfevents);
}

TEST_CASE("detect: format names round-trip") {
  for (auto f : {io::log_format::jsonl, io::log_format::hf_trainer_state, io::log_format::csv, io::log_format::tfevents,
                 io::log_format::text_llmc})
    CHECK(io::parse_format_name(io::to_string(f)) == f);
  CHECK(io::parse_format_name("TensorBoard") == io::log_format::tfevents);
  CHECK(io::parse_format_name("xml") == io::log_format::unknown);
}

TEST_CASE("read_log: dispatch by content, forced formats, directories, errors") {
  const auto csv = fixtures::real_log("csv/keras-irfanet-csvlogger-55ep.log");
  REQUIRE_REAL_LOG(csv);
  auto r = io::read_log(csv);
  REQUIRE(r.has_value());
  CHECK(r->source.format == "csv");
  CHECK(r->val_loss.size() == 55);
  auto t = io::read_log(fixtures::real_log("tfevents/lightning-fashionmnist-35ep-plateau.tfevents"));
  REQUIRE(t.has_value());
  CHECK(t->source.format == "tfevents");
  auto h = io::read_log(fixtures::real_log("hf-trainer-state/tinyllama-lora-sft-trl.json"));
  REQUIRE(h.has_value());
  CHECK(h->source.format == "hf_trainer_state");
  auto l = io::read_log(fixtures::real_log("text/llmc-gpt2-124m-stdout-warmup.log"));
  REQUIRE(l.has_value());
  CHECK(l->source.format == "llmc_text");
  // forcing the wrong reader gives that reader's error, not a guess
  auto wrong = io::read_log(csv, io::log_format::tfevents);
  REQUIRE_FALSE(wrong.has_value());
  CHECK(wrong.error().code == errc::malformed);

  const auto dir = std::filesystem::temp_directory_path() / "trainscope_test_read_log_dir";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(fixtures::real_log("tfevents/lightning-fashionmnist-35ep-plateau.tfevents"),
                             dir / "events.out.tfevents.1679944252.host.7812.1");
  auto d = io::read_log(dir.string());
  REQUIRE(d.has_value());
  CHECK(d->val_loss.size() == 35);
  auto forced_dir = io::read_log(dir.string(), io::log_format::csv);
  REQUIRE_FALSE(forced_dir.has_value());
  CHECK(forced_dir.error().code == errc::invalid_argument);
  std::ofstream(dir / "unknown.txt") << "hello\n";
  auto u = io::read_log((dir / "unknown.txt").string());
  REQUIRE_FALSE(u.has_value());
  CHECK(u.error().code == errc::unsupported);
  std::ofstream(dir / "empty.log");
  auto e = io::read_log((dir / "empty.log").string());
  REQUIRE_FALSE(e.has_value());
  CHECK(e.error().code == errc::empty_input);
  auto missing = io::read_log((dir / "missing.log").string());
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().code == errc::cannot_open);
  std::filesystem::remove_all(dir);
}
