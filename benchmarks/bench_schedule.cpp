// Reconstruction of a schedule logged at one million steps (float32 values, every step).
// Baseline in the same run: one pass evaluating the closed form at every step, the least any fit that checks
// its residual on every sample must do. Target: reconstruction under 100 ms on one core.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "trainscope/schedule.hpp"

namespace {
double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}
}  // namespace

int main() {
  using namespace trainscope;
  constexpr std::int64_t n = 1'000'000;
  warmup_cosine_schedule truth;
  truth.peak_lr = 3e-4;
  truth.min_lr = 3e-5;
  truth.warmup.steps = 2000;
  truth.total_steps = 1'000'000;
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
  return best < 100.0 ? 0 : 2;
}
