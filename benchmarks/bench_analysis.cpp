// Cost of every stage after reading, against the read itself in the same run, at several log sizes.
//
//   bench_analysis [--mb N[,N...]] [--repeat R]
//
// For each size: generates a seed-shaped JSONL log of about N MiB in memory (seed_log_generator.hpp),
// reads it with read_jsonl (single-threaded, from memory), then times diagnose, the schedule
// reconstruction of the logged lr, the check of the logged lr against the config's schedule, the whole
// analyze() (those three plus the checkpoint table),
// JSON rendering, the three SVG figures and the Markdown report. Each stage is printed as ms, as a
// ratio to the read time, and as ns per record; a table across sizes shows ns per record, and a least-squares
// line ms = fixed + per-record cost x records over the sizes shows whether a stage is linear in records (a
// fixed part, such as the schedule fit's search on a decimated series, shrinks per record as the log grows).
// Issue 6's target: every stage under 10 % of the read time on logs of 200 MB and 1 GB; `analyze (all of it)`
// is the sum of the stages (and the checkpoint table), shown for scale, not a stage of its own.
// Default: one small size (4 MiB) so CI runs it in a second. Issue sizes: --mb 10,100,200,1000.
// Exit status: 1 when reading or analysing fails; timing never fails the program.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "seed_log_generator.hpp"
#include "trainscope/io/jsonl.hpp"
#include "trainscope/report/analysis.hpp"
#include "trainscope/report/analysis_json.hpp"
#include "trainscope/report/figures.hpp"
#include "trainscope/report/markdown.hpp"

using namespace trainscope;
using clock_type = std::chrono::steady_clock;

namespace {

template <class F>
double best_ms(int repeat, F&& f) {
  double best = 1e300;
  for (int i = 0; i < repeat; ++i) {
    const auto t0 = clock_type::now();
    f();
    best = std::min(best, std::chrono::duration<double, std::milli>(clock_type::now() - t0).count());
  }
  return best;
}

// Keeps the compiler from dropping a result it could prove unused.
template <class T>
void do_not_optimize(T const& value) {
  asm volatile("" : : "r,m"(value) : "memory");
}

struct stage {
  const char* name;
  double ms;
};

struct size_result {
  double mib = 0;
  std::size_t records = 0;
  double read_ms = 0;
  std::vector<stage> stages;
};

bool measure(std::uint64_t mb, int repeat, size_result& out) {
  bench::seed_log_options o;
  o.steps = bench::seed_log_steps_for_bytes(mb << 20);
  io::detail::padded_input input;
  {
    const std::string text = bench::seed_log(o);
    input = io::detail::make_padded(text);
  }
  out.mib = static_cast<double>(input.size) / (1 << 20);

  result<run> r = unexpected(error{});
  out.read_ms = best_ms(repeat, [&] { r = io::read_jsonl(input, "bench"); });
  if (!r) {
    std::fprintf(stderr, "read failed: %s\n", to_string(r.error()).c_str());
    return false;
  }
  input = {};  // the analysis works on the run only; the input's memory is given back
  out.records = r->diagnostics.records;

  diagnosis d;
  out.stages.push_back({"diagnose", best_ms(repeat, [&] { d = diagnose(*r); })});
  result<schedule_fit> fit = unexpected(error{});
  out.stages.push_back(
      {"reconstruct_schedule", best_ms(repeat, [&] { fit = reconstruct_schedule(r->lr.step_view(), r->lr.view()); })});
  if (!fit) {
    std::fprintf(stderr, "schedule reconstruction failed: %s\n", fit.error().message.c_str());
    return false;
  }
  // analyze() also checks the logged lr against the config's closed form (a full pass of its own)
  if (const auto cfg = schedule_from_config(r->config)) {
    schedule_agreement agreement;
    out.stages.push_back({"config check", best_ms(repeat, [&] {
                            agreement = compare_schedule(*cfg, r->lr.step_view(), r->lr.view());
                          })});
    do_not_optimize(agreement.max_relative_error);
  } else {
    out.stages.push_back({"config check (none)", 0.0});
  }
  report::analysis a;
  out.stages.push_back({"analyze (all of it)", best_ms(repeat, [&] { a = report::analyze(*r); })});
  std::string text;
  out.stages.push_back({"to_json", best_ms(repeat, [&] { text = report::to_json(a); })});
  do_not_optimize(text.size());
  out.stages.push_back({"figures (3 SVG)", best_ms(repeat, [&] {
                          text = report::loss_figure(*r, a);
                          text += report::perplexity_gap_figure(a);
                          text += report::lr_figure(*r, a);
                        })});
  do_not_optimize(text.size());
  out.stages.push_back({"to_markdown", best_ms(repeat, [&] { text = report::to_markdown(a); })});
  do_not_optimize(text.size());
  if (a.diagnosis.verdict != d.verdict || !a.schedule.fitted || a.schedule.fitted->family != fit->family) {
    std::fprintf(stderr, "analyze disagrees with its parts\n");
    return false;
  }
  std::printf("%.0f MiB, %zu records: verdict %s, schedule %s (max rel. error %.2g)\n", out.mib, out.records,
              std::string(to_string(d.verdict)).c_str(), fit->family.c_str(), fit->max_relative_error);
  const double per = 1e6 / static_cast<double>(out.records);
  std::printf("  %-22s %9.2f ms %8.1f ns/record\n", "read_jsonl (memory)", out.read_ms, out.read_ms * per);
  for (const auto& s : out.stages) {
    const bool sum = std::string(s.name).starts_with("analyze");
    std::printf("  %-22s %9.2f ms %8.1f ns/record  %6.1f %% of read%s\n", s.name, s.ms, s.ms * per,
                100 * s.ms / out.read_ms,
                sum ? "  (sum of the stages)" : s.ms > 0.1 * out.read_ms ? "  (over 10 % of the read)" : "");
  }
  std::fflush(stdout);
  return true;
}

std::vector<std::uint64_t> parse_sizes(const char* s) {
  std::vector<std::uint64_t> v;
  while (*s) {
    char* end = nullptr;
    const auto n = std::strtoull(s, &end, 10);
    if (end == s) return {};
    if (n) v.push_back(n);
    s = *end == ',' ? end + 1 : end;
    if (*end && *end != ',') return {};
  }
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::uint64_t> sizes{4};
  int repeat = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--mb" && i + 1 < argc) sizes = parse_sizes(argv[++i]);
    else if (a == "--repeat" && i + 1 < argc) repeat = std::atoi(argv[++i]);
    else sizes.clear();
    if (sizes.empty()) {
      std::fprintf(stderr, "usage: %s [--mb N[,N...]] [--repeat R]\n", argv[0]);
      return 2;
    }
  }
  std::printf("stages after reading, against read_jsonl from memory (single-threaded; best of R runs)\n");
  std::vector<size_result> all;
  for (auto mb : sizes) {
    size_result r;
    // Best of 3 where it is cheap; a gigabyte is measured once (the read alone takes seconds).
    if (!measure(mb, repeat > 0 ? repeat : (mb <= 200 ? 3 : 1), r)) return 1;
    all.push_back(std::move(r));
  }
  if (all.size() < 2) return 0;
  // Linear in records: ns per record stays flat as the log grows.
  std::printf("\nns per record by size (flat = linear in records)\n  %-22s", "stage");
  for (const auto& r : all) std::printf(" %9.0f MiB", r.mib);
  std::printf("   last/first\n  %-22s", "read_jsonl (memory)");
  auto per = [](double ms, std::size_t n) { return 1e6 * ms / static_cast<double>(n); };
  for (const auto& r : all) std::printf(" %13.1f", per(r.read_ms, r.records));
  std::printf("   %9.2f\n", per(all.back().read_ms, all.back().records) / per(all.front().read_ms, all.front().records));
  for (std::size_t s = 0; s < all.front().stages.size(); ++s) {
    std::printf("  %-22s", all.front().stages[s].name);
    for (const auto& r : all) std::printf(" %13.1f", per(r.stages[s].ms, r.records));
    std::printf("   %9.2f\n", per(all.back().stages[s].ms, all.back().records) /
                                  per(all.front().stages[s].ms, all.front().records));
  }
  // ms = fixed + cost x records, least squares over the sizes; the largest residual says how well a line fits
  // (through two sizes any line fits exactly, so it takes three).
  if (all.size() < 3) return 0;
  std::printf("\nfixed part + per-record cost (least squares over the sizes; linear when the residuals are small)\n");
  std::printf("  %-22s %10s %14s %16s\n", "stage", "fixed ms", "ns/record", "max residual ms");
  auto line = [&](const char* name, auto ms_of) {
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    const double m = static_cast<double>(all.size());
    for (const auto& r : all) {
      const double x = static_cast<double>(r.records), y = ms_of(r);
      sx += x, sy += y, sxx += x * x, sxy += x * y;
    }
    const double slope = (m * sxy - sx * sy) / (m * sxx - sx * sx), fixed = (sy - slope * sx) / m;
    double worst = 0;
    for (const auto& r : all) worst = std::max(worst, std::abs(ms_of(r) - fixed - slope * static_cast<double>(r.records)));
    std::printf("  %-22s %10.2f %14.1f %16.2f\n", name, fixed, 1e6 * slope, worst);
  };
  line("read_jsonl (memory)", [](const size_result& r) { return r.read_ms; });
  for (std::size_t s = 0; s < all.front().stages.size(); ++s)
    line(all.front().stages[s].name, [s](const size_result& r) { return r.stages[s].ms; });
  return 0;
}
