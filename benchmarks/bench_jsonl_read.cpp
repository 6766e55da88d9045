// JSONL reader throughput and memory, against a plain simdjson program in the same run.
//
//   bench_jsonl_read [--mb N] [--repeat R]         in memory: reader vs baseline, single-threaded
//   bench_jsonl_read --file PATH [--mb N]          writes a seed-shaped log of N MB to PATH, reads it in
//                                                  child processes (reader on one thread and on all cores,
//                                                  copying blocks and through a memory map; baseline),
//                                                  reports time and peak RSS of each, then
//                                                  deletes PATH
//
// Baseline: what a person would write with simdjson alone: load the whole input, iterate_many,
// pick step / loss / lr / val_loss by key into vectors (reserved ahead like the reader).
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "baseline_reader.hpp"
#include "seed_log_generator.hpp"
#include "trainscope/io/jsonl.hpp"

using namespace trainscope;
using clock_type = std::chrono::steady_clock;

namespace {

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

long peak_rss_children_kib() {
  rusage ru{};
  getrusage(RUSAGE_CHILDREN, &ru);
  return ru.ru_maxrss;
}

int in_memory(std::uint64_t mb, int repeat) {
  bench::seed_log_options o;
  o.steps = bench::seed_log_steps_for_bytes(mb << 20);
  const std::string text = bench::seed_log(o);
  const auto input = io::detail::make_padded(text);
  const double mib = static_cast<double>(text.size()) / (1 << 20);
  std::printf("in memory: %.1f MiB, %llu steps, single-threaded, best of %d\n", mib,
              static_cast<unsigned long long>(o.steps), repeat);

  io::read_options same_columns;  // what the baseline reads: step, losses, lr
  same_columns.skip_columns =
      io::columns::epoch | io::columns::wall_time | io::columns::grad_norm | io::columns::lr_groups | io::columns::extra;
  io::read_options cli_columns;  // what `trainscope analyze` reads: no extra metrics, epoch and time summarized
  cli_columns.skip_columns = io::columns::extra;
  cli_columns.build.summarize_epoch = cli_columns.build.summarize_wall_time = true;
  io::read_options report_columns;  // what `trainscope report` reads: everything but the extra metrics
  report_columns.skip_columns = io::columns::extra;
  double best_base = 1e30, best_reader = 1e30, best_same = 1e30, best_cli = 1e30, best_report = 1e30;
  std::size_t base_records = 0, reader_records = 0, base_train = 0, reader_train = 0;
  // Interleaved, so drift on a shared machine hits all alike; each result is freed before the next read
  // is timed, so every read starts from the same allocator state (a run still held would make the next
  // read fault in fresh pages the one before it did not).
  for (int i = 0; i < repeat; ++i) {
    {
      baseline_columns c;
      auto t0 = clock_type::now();
      base_records = baseline_read(input.data(), input.size, c);
      best_base = std::min(best_base, seconds_since(t0));
      base_train = c.loss.size();
    }
    {
      auto t0 = clock_type::now();
      auto r = io::read_jsonl(input, "bench");
      best_reader = std::min(best_reader, seconds_since(t0));
      if (!r) {
        std::fprintf(stderr, "reader failed: %s\n", to_string(r.error()).c_str());
        return 1;
      }
      reader_records = r->diagnostics.records;
      reader_train = r->train_loss.size();
    }
    {
      auto t0 = clock_type::now();
      auto same = io::read_jsonl(input, "bench", same_columns);
      best_same = std::min(best_same, seconds_since(t0));
      if (!same || same->train_loss.size() != reader_train || !same->epoch.empty()) {
        std::fprintf(stderr, "reader with the baseline's columns failed\n");
        return 1;
      }
    }
    {
      auto t0 = clock_type::now();
      auto cli = io::read_jsonl(input, "bench", cli_columns);
      best_cli = std::min(best_cli, seconds_since(t0));
      if (!cli || cli->train_loss.size() != reader_train || cli->epoch_summary.count != reader_train ||
          !cli->epoch.empty() || !cli->extra.empty()) {
        std::fprintf(stderr, "reader with analyze's columns failed\n");
        return 1;
      }
    }
    {
      auto t0 = clock_type::now();
      auto rep = io::read_jsonl(input, "bench", report_columns);
      best_report = std::min(best_report, seconds_since(t0));
      if (!rep || rep->train_loss.size() != reader_train || rep->epoch.empty() || !rep->extra.empty()) {
        std::fprintf(stderr, "reader with report's columns failed\n");
        return 1;
      }
    }
  }
  if (base_records != reader_records || base_train != reader_train) {
    std::fprintf(stderr, "mismatch: baseline %zu records %zu train, reader %zu records %zu train\n", base_records,
                 base_train, reader_records, reader_train);
    return 1;
  }
  std::printf("  baseline (iterate_many, 4 columns)    %8.1f MiB/s\n", mib / best_base);
  std::printf("  read_jsonl, baseline's columns        %8.1f MiB/s   ratio %.2f\n", mib / best_same,
              best_base / best_same);
  std::printf("  read_jsonl, analyze's (4 + 2 summaries) %6.1f MiB/s   ratio %.2f\n", mib / best_cli,
              best_base / best_cli);
  std::printf("  read_jsonl, report's columns (6)       %8.1f MiB/s   ratio %.2f\n", mib / best_report,
              best_base / best_report);
  std::printf("  read_jsonl, all columns (6 + extra)   %8.1f MiB/s   ratio %.2f\n", mib / best_reader,
              best_base / best_reader);
  return 0;
}

template <class F>
double run_child(const char* what, F&& f, long& rss_kib) {
  const long before = peak_rss_children_kib();
  std::fflush(stdout);  // or the child prints the parent's buffered lines again
  auto t0 = clock_type::now();
  pid_t pid = fork();
  if (pid == 0) std::_Exit(f() ? 0 : 1);
  int status = 0;
  waitpid(pid, &status, 0);
  const double s = seconds_since(t0);
  rss_kib = peak_rss_children_kib();
  if (rss_kib <= before) std::printf("  (%s: peak RSS not above an earlier child's; shown as the maximum so far)\n", what);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) std::printf("  %s failed\n", what);
  return s;
}

int from_file(const std::string& path, std::uint64_t mb) {
  bench::seed_log_options o;
  o.steps = bench::seed_log_steps_for_bytes(mb << 20);
  const std::uint64_t size = bench::write_seed_log(path, o);
  if (!size) {
    std::fprintf(stderr, "cannot write %s\n", path.c_str());
    return 1;
  }
  const double mib = static_cast<double>(size) / (1 << 20);
  std::printf("file: %s, %.1f MiB, %llu steps\n", path.c_str(), mib, static_cast<unsigned long long>(o.steps));
  long reader_rss = 0, parallel_rss = 0, base_rss = 0;
  // The reader first: RUSAGE_CHILDREN keeps the maximum over children, so the smaller one goes first.
  const double tr = run_child("read_jsonl_file", [&] {
    auto r = io::read_jsonl_file(path);
    if (r) std::printf("  reader: %zu records, %zu train steps, %zu val\n", r->diagnostics.records,
                       r->train_loss.size(), r->val_loss.size());
    std::fflush(stdout);
    return r.has_value();
  }, reader_rss);
  long mapped_rss = 0, parallel_mapped_rss = 0;
  const double tm = run_child("read_jsonl_file, mapped", [&] {
    io::read_options o;
    o.map_input = true;
    return io::read_jsonl_file(path, o).has_value();
  }, mapped_rss);
  const unsigned threads = std::max(2u, std::thread::hardware_concurrency());
  const double tp = run_child("read_jsonl_file, threads", [&] {
    io::read_options o;
    o.threads = threads;
    return io::read_jsonl_file(path, o).has_value();
  }, parallel_rss);
  // what the CLI does: all cores, the file mapped
  const double tpm = run_child("read_jsonl_file, threads, mapped", [&] {
    io::read_options o;
    o.threads = threads;
    o.map_input = true;
    return io::read_jsonl_file(path, o).has_value();
  }, parallel_mapped_rss);
  const double tb = run_child("baseline", [&] {
    simdjson::padded_string whole;
    if (simdjson::padded_string::load(path).get(whole)) return false;
    baseline_columns c;
    std::size_t n = baseline_read(whole.data(), whole.size(), c);
    std::printf("  baseline: %zu records\n", n);
    std::fflush(stdout);
    return n > 0;
  }, base_rss);
  std::remove(path.c_str());
  std::printf("  read_jsonl_file: %6.2f s %8.1f MiB/s  peak RSS %7.1f MiB = %.2f x file\n", tr, mib / tr,
              reader_rss / 1024.0, reader_rss / 1024.0 / mib);
  std::printf("  read_jsonl_file, mapped: %6.2f s %8.1f MiB/s  peak RSS %7.1f MiB = %.2f x file\n", tm, mib / tm,
              mapped_rss / 1024.0, mapped_rss / 1024.0 / mib);
  std::printf("  read_jsonl_file, %u threads: %6.2f s %8.1f MiB/s  peak RSS %7.1f MiB = %.2f x file  (%.2fx one thread)\n",
              threads, tp, mib / tp, parallel_rss / 1024.0, parallel_rss / 1024.0 / mib, tr / tp);
  std::printf("  read_jsonl_file, %u threads, mapped (the CLI): %6.2f s %8.1f MiB/s  peak RSS %7.1f MiB = %.2f x file\n",
              threads, tpm, mib / tpm, parallel_mapped_rss / 1024.0, parallel_mapped_rss / 1024.0 / mib);
  std::printf("  baseline (whole file in memory): %6.2f s %8.1f MiB/s  peak RSS %7.1f MiB = %.2f x file\n", tb,
              mib / tb, base_rss / 1024.0, base_rss / 1024.0 / mib);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t mb = 0;
  int repeat = 5;
  std::string file;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--mb" && i + 1 < argc) mb = std::strtoull(argv[++i], nullptr, 10);
    else if (a == "--repeat" && i + 1 < argc) repeat = std::atoi(argv[++i]);
    else if (a == "--file" && i + 1 < argc) file = argv[++i];
    else {
      std::fprintf(stderr, "usage: %s [--mb N] [--repeat R] [--file PATH]\n", argv[0]);
      return 2;
    }
  }
  if (!file.empty()) return from_file(file, mb ? mb : 1024);
  return in_memory(mb ? mb : 64, repeat < 1 ? 1 : repeat);
}
