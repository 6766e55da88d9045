// Cost of the online monitor per training step and per checkpoint, and proof that it does
// not allocate after construction (global operator new is replaced to count allocations).
// Baseline in the same run: the same loop calling an empty function.
//
//   bench_monitor [--steps N]      N training steps (default 2 million), one checkpoint per 10 steps
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <random>
#include <string_view>
#include <vector>

#include "trainscope/diagnose/monitor.hpp"

namespace {
std::atomic<std::size_t> allocations{0};
}

// GCC 12 sees through the replacement and flags free() on memory from "new" (our new is malloc).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void* operator new(std::size_t n) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace {
struct baseline_observer {
  trainscope::decision on_step(std::int64_t step, double loss) noexcept {
    trainscope::decision d;
    d.step = step;
    d.value = loss;
    return d;
  }
};

// Keeps the compiler from deleting the measured call (Google Benchmark's DoNotOptimize idea).
template <class T>
void do_not_optimize(T const& value) {
  asm volatile("" : : "r,m"(value) : "memory");
}

template <class F>
double ns_per_call(std::size_t n, F&& f) {
  const auto t0 = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < n; ++i) f(i);
  const auto t1 = std::chrono::steady_clock::now();
  return std::chrono::duration<double, std::nano>(t1 - t0).count() / static_cast<double>(n);
}
}  // namespace

int main(int argc, char** argv) {
  std::size_t steps = 2'000'000;
  if (argc == 3 && std::string_view(argv[1]) == "--steps") steps = std::strtoull(argv[2], nullptr, 10);
  if ((argc != 1 && argc != 3) || steps < 10) {
    std::fprintf(stderr, "usage: %s [--steps N (at least 10)]\n", argv[0]);
    return 64;
  }
  const std::size_t checkpoints = steps / 10;
  std::vector<double> loss(steps), val(checkpoints);
  std::mt19937_64 rng(1);
  std::normal_distribution<double> noise(0.0, 0.02);
  for (std::size_t i = 0; i < steps; ++i)
    loss[i] = 2.0 + 3.0 * std::exp(-static_cast<double>(i) / 2e5) + noise(rng) + (i % 100'003 == 0 ? 3.0 : 0.0);
  for (std::size_t i = 0; i < checkpoints; ++i) val[i] = 2.0 + 3.0 * std::exp(-static_cast<double>(i) / 2e4) + noise(rng);

  using namespace trainscope;
  monitor mon{early_stopping({.patience = 1'000'000, .noise_aware = true}), spike_guard<64>{}, finite_guard{}};
  monitor base{baseline_observer{}};

  const std::size_t before = allocations.load();
  std::size_t skipped = 0, saved = 0;
  const double base_ns = ns_per_call(steps, [&](std::size_t i) {
    const auto d = base.on_step(static_cast<std::int64_t>(i), loss[i]);
    do_not_optimize(d);
    skipped += d.what != action::continue_training;
  });
  const double step_ns = ns_per_call(steps, [&](std::size_t i) {
    skipped += mon.on_step(static_cast<std::int64_t>(i), loss[i]).what == action::skip_step;
  });
  const double ckpt_ns = ns_per_call(checkpoints, [&](std::size_t i) {
    saved += mon.on_checkpoint(static_cast<std::int64_t>(i), val[i]).new_best;
  });
  const auto bytes = mon.serialize();
  const std::size_t after = allocations.load();

  std::printf("monitor{early_stopping(noise-aware), spike_guard<64>, finite_guard}\n");
  std::printf("  baseline (empty observer)  %8.2f ns per step call\n", base_ns);
  std::printf("  on_step                    %8.2f ns per call (%.1fx baseline)\n", step_ns, step_ns / base_ns);
  std::printf("  on_checkpoint              %8.2f ns per call\n", ckpt_ns);
  std::printf("  allocations after construction: %zu\n", after - before);
  std::printf("  (skipped %zu spike steps, %zu new-best checkpoints, state %zu bytes)\n", skipped, saved, bytes.size());
  return after == before ? 0 : 1;
}
