// Reconstruction of a schedule logged at one million steps (float32 values, every step).
// Baseline in the same run: one pass evaluating the closed form at every step, the least any fit that checks
// its residual on every sample must do. Target: reconstruction under 100 ms on one core.
//
//   bench_schedule [--steps N] [--no-time-limit]
//
// Exit status 2 when the target is missed at the default million steps, unless --no-time-limit (or the
// environment variable TRAINSCOPE_BENCH_NO_TIME_LIMIT) is given, as the CI smoke run does on a shared machine.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "trainscope/schedule.hpp"

namespace {
double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}
}  // namespace

int main(int argc, char** argv) {
  using namespace trainscope;
  std::int64_t n = 1'000'000;
  bool time_limit = std::getenv("TRAINSCOPE_BENCH_NO_TIME_LIMIT") == nullptr;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--steps" && i + 1 < argc) n = std::atoll(argv[++i]);
    else if (a == "--no-time-limit") time_limit = false;
    else n = 0;
    if (n < 10'000) {
      std::fprintf(stderr, "usage: %s [--steps N (at least 10000)] [--no-time-limit]\n", argv[0]);
      return 64;
    }
  }
  warmup_cosine_schedule truth;
  truth.peak_lr = 3e-4;
  truth.min_lr = 3e-5;
  truth.warmup.steps = 2000;
  truth.total_steps = static_cast<double>(n);
  std::vector<std::int64_t> steps(n);
  std::vector<double> lr(n);
  for (std::int64_t s = 0; s < n; ++s) {
    steps[static_cast<std::size_t>(s)] = s + 1;
    lr[static_cast<std::size_t>(s)] = static_cast<float>(truth.lr(static_cast<double>(s)));
  }
  auto t0 = std::chrono::steady_clock::now();
  double sink = 0;
  for (std::int64_t s = 0; s < n; ++s) sink += truth.lr(static_cast<double>(s));
  const double base_ms = ms_since(t0);

  double best = 1e300;
  result<schedule_fit> fit = unexpected(error{});
  for (int rep = 0; rep < 3; ++rep) {
    t0 = std::chrono::steady_clock::now();
    fit = reconstruct_schedule(steps, lr);
    best = std::min(best, ms_since(t0));
  }
  if (!fit) {
    std::printf("reconstruction failed: %s\n", fit.error().message.c_str());
    return 1;
  }
  std::printf("baseline: one closed-form pass over %lld steps: %.2f ms (checksum %.3g)\n", static_cast<long long>(n),
              base_ms, sink);
  std::printf("reconstruct_schedule, %lld steps: %.2f ms (best of 3) = %.1fx baseline; family %s, warmup %.0f, "
              "total %.0f, max rel. error %.2g\n",
              static_cast<long long>(n), best, best / base_ms, fit->family.c_str(), *fit->param("warmup_steps"),
              *fit->param("total_steps"), fit->max_relative_error);
  // The 100 ms target is for a million steps; scaled linearly for other sizes.
  return !time_limit || best < 100.0 * static_cast<double>(n) / 1e6 ? 0 : 2;
}
