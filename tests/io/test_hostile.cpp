// Hostile input: every reader either returns a clear error (code + place) or a run whose
// diagnostics say what was wrong; never a crash, a hang or an allocation sized by the input's claims.
// docs/hostile-input.md tabulates the behaviour these tests pin down.
#include <doctest/doctest.h>

#include <cstdint>
#include <random>
#include <string>

#include "io/reader_fixtures.hpp"
#include "io/tfrecord_builder.hpp"
#include "trainscope/io/csv.hpp"
#include "trainscope/io/hf_trainer_state.hpp"
#include "trainscope/io/text_log.hpp"
#include "trainscope/io/tfevents.hpp"

using namespace trainscope;

namespace {
using reader_fn = result<run> (*)(const io::detail::padded_input&, const std::string&, const io::read_options&);
struct named_reader {
  const char* name;
  reader_fn read;
};
const named_reader readers[] = {
    {"csv", &io::read_csv_log},
    {"hf", &io::read_hf_trainer_state},
    {"tfevents", &io::read_tfevents},
    {"text", &io::read_text_log},
};
result<run> feed(reader_fn f, std::string_view bytes, const io::read_options& o = {}) {
  return f(io::detail::make_padded(bytes), "hostile", o);
}
// A run, or an error that says what and where: never an error with no code or message.
void check_clean(const result<run>& r) {
  if (r) return;
  CHECK(r.error().code != errc::none);
  CHECK_FALSE(r.error().message.empty());
  CHECK(r.error().file == "hostile");
}
std::string scalar_file(int n, const char* tag = "loss") {
  std::string out = pbw::frame(pbw::field_double(1, 0.5) + pbw::field_bytes(3, "brain.Event:2"));
  for (int s = 0; s < n; ++s) out += pbw::frame(pbw::scalar_event(s, tag, 1.0f / static_cast<float>(s + 1)));
  return out;
}
}  // namespace

TEST_CASE("hostile: a 0-byte input is empty_input for every reader") {
  for (const auto& r : readers) {
    CAPTURE(r.name);
    auto res = feed(r.read, "");
    REQUIRE_FALSE(res.has_value());
    CHECK(res.error().code == errc::empty_input);
  }
}

TEST_CASE("hostile: random bytes and every reader's truncations never crash") {
  std::mt19937 rng(20261126);
  for (int trial = 0; trial < 200; ++trial) {
    std::string junk(static_cast<std::size_t>(rng() % 512), '\0');
    for (auto& c : junk) c = static_cast<char>(rng());
    for (const auto& r : readers) check_clean(feed(r.read, junk));
  }
  const std::pair<const char*, reader_fn> files[] = {
      {"csv/lightning-resnet18-cifar10-onecycle-metrics.csv", &io::read_csv_log},
      {"hf-trainer-state/whisper-large-v2-ja-evalloss-rising.json", &io::read_hf_trainer_state},
      {"tfevents/lightning-fashionmnist-35ep-plateau.tfevents", &io::read_tfevents},
      {"text/llmc-gpt2-124m-stdout-warmup.log", &io::read_text_log},
  };
  for (const auto& [file_name, read] : files) {
    const std::string file = file_name;  // a copy: clang 14 cannot capture structured bindings
    const auto path = fixtures::real_log(file);
    REQUIRE_REAL_LOG(path);
    const std::string bytes = fixtures::slurp(path);
    for (std::size_t cut = 0; cut < bytes.size(); cut += 1 + bytes.size() / 97) {
      CAPTURE(file);
      CAPTURE(cut);
      check_clean(feed(read, std::string_view(bytes).substr(0, cut)));
    }
  }
}

TEST_CASE("hostile tfevents: a file cut mid-record is read up to the cut") {
  const std::string whole = scalar_file(10);
  auto full = feed(&io::read_tfevents, whole);
  REQUIRE(full.has_value());
  CHECK(full->train_loss.size() == 10);
  auto cut = feed(&io::read_tfevents, std::string_view(whole).substr(0, whole.size() - 7));
  REQUIRE(cut.has_value());
  CHECK(cut->train_loss.size() == 9);
  CHECK(cut->diagnostics.truncated_last_line);
  REQUIRE_FALSE(cut->diagnostics.issues.empty());
  CHECK(cut->diagnostics.issues[0].byte_offset > 0);
}

TEST_CASE("hostile tfevents: a bad data CRC skips that record; a bad length CRC stops framing") {
  const std::string good = scalar_file(5);
  const std::size_t first_scalar = pbw::frame(pbw::field_double(1, 0.5) + pbw::field_bytes(3, "brain.Event:2")).size();
  std::string bad_data = good;
  bad_data[first_scalar + 14] ^= 0x40;  // a byte inside the first scalar record's data
  auto r = feed(&io::read_tfevents, bad_data);
  REQUIRE(r.has_value());
  CHECK(r->train_loss.size() == 4);
  CHECK(r->diagnostics.skipped_records == 1);
  REQUIRE(r->diagnostics.issues.size() == 1);
  CHECK(r->diagnostics.issues[0].byte_offset == first_scalar);
  io::read_options fail;
  fail.on_bad_record = io::bad_record_policy::fail;
  auto f = feed(&io::read_tfevents, bad_data, fail);
  REQUIRE_FALSE(f.has_value());
  CHECK(f.error().code == errc::malformed);
  CHECK(f.error().byte_offset == first_scalar);

  std::string bad_len = good;
  bad_len[first_scalar + 9] ^= 0x01;  // the length's CRC of the first scalar record
  auto s = feed(&io::read_tfevents, bad_len);
  REQUIRE_FALSE(s.has_value());  // nothing framed after the version record: no loss at all
  CHECK(s.error().code == errc::no_usable_data);
  std::string bad_first = good;
  bad_first[8] ^= 0x01;
  auto b = feed(&io::read_tfevents, bad_first);
  REQUIRE_FALSE(b.has_value());
  CHECK(b.error().code == errc::malformed);
  CHECK(b.error().byte_offset == 0);
}

TEST_CASE("hostile tfevents: a length of 2^60 with a valid CRC is refused before any allocation") {
  const std::string len = pbw::le(std::uint64_t(1) << 60, 8);
  const auto crc = io::detail::masked_crc32c(reinterpret_cast<const unsigned char*>(len.data()), 8);
  const std::string huge = len + pbw::le(crc, 4) + "tiny";
  const std::string good = scalar_file(3);
  auto r = feed(&io::read_tfevents, good + huge);
  REQUIRE(r.has_value());
  CHECK(r->train_loss.size() == 3);
  CHECK(r->diagnostics.truncated_last_line);
  REQUIRE(r->diagnostics.issues.size() == 1);
  CHECK(r->diagnostics.issues[0].byte_offset == good.size());
  // the same inside protobuf: a length-delimited field claiming 2^60 bytes
  const std::string event = pbw::field_varint(2, 7) + pbw::key(5, 2) + pbw::varint(std::uint64_t(1) << 60) + "xx";
  auto p = feed(&io::read_tfevents, good + pbw::frame(event));
  REQUIRE(p.has_value());
  CHECK(p->diagnostics.skipped_records == 1);
}

TEST_CASE("hostile tfevents: deep and malformed protobuf") {
  const std::string good = scalar_file(2);
  // 2000 levels of nested length-delimited fields: the decoder's depth is fixed by the schema
  std::string nested = pbw::field_float(2, 1.0f);
  for (int i = 0; i < 2000; ++i) nested = pbw::field_bytes(1, nested);
  std::string deep = pbw::field_varint(2, 5) + pbw::field_bytes(5, nested);
  // an overlong varint, a group wire type, field number 0, a fixed64 cut short
  const std::string bad[] = {
      pbw::field_varint(2, 1) + std::string(11, '\xff'),
      pbw::key(2, 3) + "abc",
      std::string("\x00\x01", 2),
      pbw::key(1, 1) + "abc",
  };
  auto r = feed(&io::read_tfevents, good + pbw::frame(deep));
  REQUIRE(r.has_value());
  CHECK(r->train_loss.size() == 2);
  for (const auto& b : bad) {
    auto m = feed(&io::read_tfevents, good + pbw::frame(b));
    REQUIRE(m.has_value());
    CHECK(m->train_loss.size() == 2);
    CHECK(m->diagnostics.skipped_records == 1);
  }
  // a tensor claiming a huge shape is not a scalar, and allocates nothing
  const std::string dim = pbw::field_bytes(2, pbw::field_varint(1, std::uint64_t(1) << 62));
  const std::string tensor = pbw::field_varint(1, 1) + pbw::field_bytes(2, dim) + pbw::field_bytes(4, "abcd");
  const std::string value = pbw::field_bytes(1, "loss") + pbw::field_bytes(8, tensor);
  auto t = feed(&io::read_tfevents, good + pbw::frame(pbw::field_varint(2, 9) + pbw::field_bytes(5, pbw::field_bytes(1, value))));
  REQUIRE(t.has_value());
  CHECK(t->train_loss.size() == 2);
}

TEST_CASE("hostile: non-UTF-8 bytes") {
  auto c = feed(&io::read_csv_log, "step,loss,\xff\xfe\n1,0.5,\xc3\x28\n2,0.4,\x80\n");
  REQUIRE(c.has_value());
  CHECK(c->train_loss.size() == 2);
  CHECK(c->diagnostics.skipped_values == 2);
  auto t = feed(&io::read_text_log, "\xff\xfe garbage \x80\ns:1 trl:2.5 lr:0.1 norm:1\n\xc3\x28\n");
  REQUIRE(t.has_value());
  CHECK(t->train_loss.size() == 1);
  // JSON must be UTF-8: simdjson refuses, and the error says so
  auto h = feed(&io::read_hf_trainer_state, "{\"log_history\": [{\"loss\": 1, \"step\": 1, \"note\": \"\xff\"}]}");
  REQUIRE_FALSE(h.has_value());
  CHECK(h.error().code == errc::malformed);
  CHECK(h.error().message.find("UTF") != std::string::npos);
}

TEST_CASE("hostile: a multi-megabyte line") {
  const std::string big(4u << 20, 'x');
  auto c = feed(&io::read_csv_log, "step,loss,note\n1,0.5," + big + "\n2,0.4,y\n");
  REQUIRE(c.has_value());
  CHECK(c->train_loss.size() == 2);
  auto t = feed(&io::read_text_log, "s:1 trl:2.5 lr:0.1 norm:1\n" + big + "\ns:2 trl:2.4 lr:0.1 norm:1\n");
  REQUIRE(t.has_value());
  CHECK(t->train_loss.size() == 2);
  auto h = feed(&io::read_hf_trainer_state, "{\"note\": \"" + big + "\", \"log_history\": [{\"loss\": 1, \"step\": 1}]}");
  REQUIRE(h.has_value());
  CHECK(h->train_loss.size() == 1);
  auto tf = feed(&io::read_tfevents, scalar_file(2) + pbw::frame(pbw::field_bytes(4, big)));  // a 4 MB graph_def
  REQUIRE(tf.has_value());
  CHECK(tf->train_loss.size() == 2);
}

TEST_CASE("hostile: truncated JSON is a malformed error; a cut-off text or CSV log is a run") {
  const std::string json = R"({"log_history": [{"loss": 1.5, "step": 1}, {"loss": 1.4, "st)";
  auto h = feed(&io::read_hf_trainer_state, json);
  REQUIRE_FALSE(h.has_value());
  CHECK(h.error().code == errc::malformed);
  auto t = feed(&io::read_text_log, "step    1/10 | loss 2.0 (+1z)| norm 1.0 (+1z)| lr 1e-4 | 5 ms\nstep    2/10 | loss 1.9 (+");
  REQUIRE(t.has_value());
  CHECK(t->train_loss.size() == 2);
  CHECK(t->diagnostics.truncated_last_line);
}

TEST_CASE("hostile: 20000 columns or tags cost linear time (named series are indexed, rows cost what they hold)") {
  std::string csv = "step,loss";
  for (int c = 0; c < 20000; ++c) csv += ",metric_" + std::to_string(c);
  csv += "\n";
  for (int r = 0; r < 20; ++r) {
    csv += std::to_string(r) + ",1";
    for (int c = 0; c < 20000; ++c) csv += ",0.5";
    csv += "\n";
  }
  for (int r = 20; r < 2000; ++r) csv += std::to_string(r) + ",1\n";  // short rows under a wide header
  auto c = feed(&io::read_csv_log, csv);
  REQUIRE(c.has_value());
  CHECK(c->extra.size() == 20000);
  CHECK(c->train_loss.size() == 2000);
  std::string tf;
  for (int t = 0; t < 20000; ++t) tf += pbw::frame(pbw::scalar_event(t % 7, "val_m" + std::to_string(t) + "_step", 1.0f));
  tf += pbw::frame(pbw::scalar_event(1, "loss", 1.0f));
  auto e = feed(&io::read_tfevents, tf);
  REQUIRE(e.has_value());
  CHECK(e->extra.size() == 20000);
}
