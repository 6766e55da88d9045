// Reader throughput on generated logs of realistic shape, each against a baseline measured in the
// same run on the same bytes, so the ratio survives a different machine:
//   csv, text: a newline count (memchr), the least a line reader must do;
//   hf: simdjson's DOM parse of the same document without building a run;
//   tfevents: a plain read of the file's bytes (read_input), and a CRC32C pass over them.
// Run: build with -DTRAINSCOPE_BUILD_BENCHMARKS=ON, then build/benchmarks/bench_readers [scale]
#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "trainscope/io/csv.hpp"
#include "trainscope/io/hf_trainer_state.hpp"
#include "trainscope/io/text_log.hpp"
#include "trainscope/io/tfevents.hpp"

using namespace trainscope;

namespace {

double best_seconds(const std::function<void()>& f, int reps = 5) {
  double best = 1e300;
  for (int i = 0; i < reps; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return best;
}

// Noisy decaying loss and a warmup-cosine lr: the shape of a real run.
double loss_at(int s) { return 2.0 + 8.0 * std::exp(-s / 3000.0) + 0.05 * std::sin(s * 12.9898); }
double lr_at(int s, int n) {
  return s < 700 ? 6e-4 * s / 700 : 3e-4 * (1 + std::cos(3.141592653589793 * (s - 700) / (n - 700)));
}

std::string make_csv(int n) {
  std::string out = "step,train_loss_step,lr-AdamW,grad_norm,epoch,val_loss\n";
  char buf[160];
  for (int s = 1; s <= n; ++s) {
    const int k = s % 500 == 0 ? std::snprintf(buf, sizeof buf, "%d,%.9g,%.9g,%.6g,%d,%.9g\n", s, loss_at(s),
                                               lr_at(s, n), 0.3 + 0.01 * (s % 7), s / 1000, loss_at(s) + 0.1)
                               : std::snprintf(buf, sizeof buf, "%d,%.9g,%.9g,%.6g,%d,\n", s, loss_at(s),
                                               lr_at(s, n), 0.3 + 0.01 * (s % 7), s / 1000);
    out.append(buf, static_cast<std::size_t>(k));
  }
  return out;
}

std::string make_llmc(int n) {
  std::string out;
  char buf[200];
  for (int s = 0; s < n; ++s) {
    if (s % 250 == 0) out += "s:" + std::to_string(s) + " tel:" + std::to_string(loss_at(s) + 0.05) + "\n";
    const int k = std::snprintf(buf, sizeof buf, "s:%d trl:%.4f lr:%.6f norm:%.2f\n", s, loss_at(s), lr_at(s, n),
                                0.3 + 0.01 * (s % 7));
    out.append(buf, static_cast<std::size_t>(k));
  }
  return out;
}

std::string make_hf(int n) {
  std::string out = "{\n  \"best_metric\": null,\n  \"global_step\": " + std::to_string(n) + ",\n  \"log_history\": [\n";
  char buf[400];
  for (int s = 1; s <= n; ++s) {
    const int k = std::snprintf(buf, sizeof buf,
                                "    {\n      \"epoch\": %.6f,\n      \"grad_norm\": %.9g,\n      \"learning_rate\": %.9g,\n"
                                "      \"loss\": %.4f,\n      \"step\": %d\n    },\n",
                                s / 1000.0, 0.3 + 0.01 * (s % 7), lr_at(s, n), loss_at(s), s);
    out.append(buf, static_cast<std::size_t>(k));
    if (s % 500 == 0)
      out += "    {\n      \"epoch\": " + std::to_string(s / 1000.0) + ",\n      \"eval_loss\": " +
             std::to_string(loss_at(s) + 0.1) + ",\n      \"eval_runtime\": 12.5,\n      \"step\": " + std::to_string(s) +
             "\n    },\n";
  }
  out += "    {\n      \"step\": " + std::to_string(n) + ",\n      \"total_flos\": 1e18,\n      \"train_loss\": 2.5\n    }\n";
  out += "  ],\n  \"max_steps\": " + std::to_string(n) + "\n}\n";
  return out;
}

// TFRecord frames written with the library's CRC (the reader checks it, so the bytes must be right).
void put_le(std::string& out, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}
void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}
void put_frame(std::string& out, const std::string& data) {
  std::string len;
  put_le(len, data.size(), 8);
  out += len;
  put_le(out, io::detail::masked_crc32c(reinterpret_cast<const unsigned char*>(len.data()), 8), 4);
  out += data;
  put_le(out, io::detail::masked_crc32c(reinterpret_cast<const unsigned char*>(data.data()), data.size()), 4);
}
std::string scalar_event(int step, const char* tag, float v, double wall) {
  std::string value;
  value += '\x0a';
  put_varint(value, std::strlen(tag));
  value += tag;
  value += '\x15';
  std::uint32_t bits;
  std::memcpy(&bits, &v, 4);
  put_le(value, bits, 4);
  std::string summary = "\x0a";
  put_varint(summary, value.size());
  summary += value;
  std::string ev = "\x09";
  std::uint64_t wbits;
  std::memcpy(&wbits, &wall, 8);
  put_le(ev, wbits, 8);
  ev += '\x10';
  put_varint(ev, static_cast<std::uint64_t>(step));
  ev += '\x2a';
  put_varint(ev, summary.size());
  ev += summary;
  return ev;
}
std::string make_tfevents(int n) {
  std::string out;
  put_frame(out, std::string(4u << 20, 'g').insert(0, "\x22\x80\x80\x80\x02", 5));  // a 4 MB graph_def record
  for (int s = 0; s < n; ++s) {
    put_frame(out, scalar_event(s, "train_loss_step", static_cast<float>(loss_at(s)), 1.7e9 + s));
    put_frame(out, scalar_event(s, "lr-AdamW", static_cast<float>(lr_at(s, n)), 1.7e9 + s));
    if (s % 500 == 0) put_frame(out, scalar_event(s, "val_loss", static_cast<float>(loss_at(s) + 0.1), 1.7e9 + s));
  }
  return out;
}

std::string write_temp(const std::string& name, const std::string& bytes) {
  const auto path = (std::filesystem::temp_directory_path() / name).string();
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

void report(const char* what, std::size_t bytes, double reader_s, const char* baseline, double base_s) {
  const double mb = static_cast<double>(bytes) / 1e6;
  std::printf("%-10s %7.1f MB  reader %8.1f MB/s   %-26s %8.1f MB/s   reader/baseline time %5.2fx\n", what, mb,
              mb / reader_s, baseline, mb / base_s, reader_s / base_s);
}

template <class Reader>
void bench_text_format(const char* what, const std::string& bytes, Reader read) {
  const auto path = write_temp(std::string("trainscope_bench.") + what, bytes);
  auto in = io::detail::read_input(path);
  if (!in) std::abort();
  std::size_t sink = 0;
  const double r = best_seconds([&] {
    auto run = read(*in, path, io::read_options{});
    if (!run) std::abort();
    sink += run->train_loss.size();
  });
  const double b = best_seconds([&] {
    const char* p = in->data();
    const char* end = p + in->size;
    while ((p = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p))))) ++p, ++sink;
  });
  report(what, in->size, r, "baseline: memchr lines", b);
  std::remove(path.c_str());
  if (sink == 42) std::puts("");
}

}  // namespace

int main(int argc, char** argv) {
  const int scale = argc > 1 ? std::atoi(argv[1]) : 1;
  std::printf("trainscope reader throughput (best of 5; generated logs; scale %d)\n", scale);
  bench_text_format("csv", make_csv(200000 * scale), &io::read_csv_log);
  bench_text_format("llmc-text", make_llmc(200000 * scale), &io::read_text_log);

  {
    const std::string doc = make_hf(60000 * scale);
    const auto path = write_temp("trainscope_bench.json", doc);
    auto in = io::detail::read_input(path);
    if (!in) return 1;
    std::size_t sink = 0;
    const double r = best_seconds([&] {
      auto run = io::read_hf_trainer_state(*in, path);
      if (!run) std::abort();
      sink += run->train_loss.size();
    });
    simdjson::dom::parser parser;
    const double b = best_seconds([&] {
      simdjson::dom::element e;
      if (parser.parse(reinterpret_cast<const std::uint8_t*>(in->data()), in->size, false).get(e)) std::abort();
      sink += e.is_object();
    });
    report("hf", in->size, r, "baseline: simdjson DOM parse", b);
    std::remove(path.c_str());
  }
  {
    const std::string bytes = make_tfevents(150000 * scale);
    const auto path = write_temp("trainscope_bench.tfevents", bytes);
    std::size_t sink = 0;
    const double r = best_seconds([&] {
      auto in = io::detail::read_input(path);
      auto run = io::read_tfevents(*in, path);
      if (!run) std::abort();
      sink += run->train_loss.size();
    });
    const double b = best_seconds([&] {
      auto in = io::detail::read_input(path);
      sink += in->size;
    });
    auto in = io::detail::read_input(path);
    const double c = best_seconds([&] {
      sink += io::detail::crc32c(reinterpret_cast<const unsigned char*>(in->data()), in->size);
    });
    report("tfevents", bytes.size(), r, "baseline: plain read", b);
    std::printf("%-10s %7s     (CRC32C alone over the bytes: %.1f MB/s)\n", "", "", static_cast<double>(bytes.size()) / 1e6 / c);
    std::remove(path.c_str());
  }
  return 0;
}
