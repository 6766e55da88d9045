#pragma once
/**
 * Deterministic generator of seed-shaped JSONL training logs of any size (benchmarks, tests).
 *
 * The shape follows the seed run (../shared/seed/README.md): a config record first (24 layers,
 * 16 heads, width 1280, context 1024, dropout 0.1, WarmupCosineLR with 500 warmup steps); then one
 * record per step with step, epoch, loss, lr, grad_norm, tokens_per_sec, time; and every 500 steps
 * an evaluation record with val_loss and the checkpoint's train_loss. Numbers are written in
 * shortest round-trip form, as Python's json.dumps writes floats, with ", " and ": " separators.
 * The same options give the same bytes on every platform (own PRNG, own normal deviates).
 */
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace trainscope::bench {

struct seed_log_options {
  std::uint64_t steps = 11760;           ///< training steps (records) to write
  std::uint64_t steps_per_epoch = 3920;
  std::uint64_t eval_every = 500;
  std::uint64_t warmup_steps = 500;
  double peak_lr = 3e-4;
  std::uint64_t seed = 42;
};

namespace detail {

/// splitmix64 (Steele, Lea, Flood 2014): tiny, fast, and fully specified.
struct splitmix64 {
  std::uint64_t state;
  std::uint64_t next() noexcept {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double uniform() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  /// Standard normal by Box-Muller (one deviate per call; simple beats fast here).
  double normal() noexcept {
    double u1 = uniform(), u2 = uniform();
    if (u1 < 1e-300) u1 = 1e-300;
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
};

inline void append_number(std::string& out, double v) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);  // shortest round-trip, like Python's repr
  out.append(buf, r.ptr);
}
inline void append_number(std::string& out, std::uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

}  // namespace detail

/**
 * Writes the log line by line: `out(std::string_view line_with_newline)` per record.
 * Loss follows a power law from about 11.15 toward 5.5 with noise; lr is linear warmup then cosine
 * decay to 0 over `steps`; validation stays within about 1% of the smoothed train loss.
 */
template <class Out>
void generate_seed_log(const seed_log_options& o, Out&& out) {
  detail::splitmix64 rng{o.seed};
  std::string line;
  line.reserve(256);
  line = "{\"type\": \"config\", \"n_layer\": 24, \"n_head\": 16, \"n_embd\": 1280, \"block_size\": 1024, "
         "\"dropout\": 0.1, \"lr_schedule\": \"WarmupCosineLR\", \"warmup_num_steps\": ";
  detail::append_number(line, o.warmup_steps);
  line += ", \"total_num_steps\": ";
  detail::append_number(line, o.steps + 3);
  line += ", \"warmup_min_ratio\": 0.0}\n";
  out(std::string_view(line));
  const double start_time = 1732600000.0;
  double time = start_time;
  for (std::uint64_t s = 1; s <= o.steps; ++s) {
    const double t = static_cast<double>(s);
    const double smooth = 5.3 + 5.85 * std::pow(1.0 + t / 120.0, -0.55);
    const double loss = smooth * (1.0 + 0.012 * rng.normal());
    double lr;
    if (s <= o.warmup_steps) {
      lr = o.peak_lr * t / static_cast<double>(o.warmup_steps);
    } else {
      const double p = (t - static_cast<double>(o.warmup_steps)) / static_cast<double>(o.steps - o.warmup_steps);
      lr = o.peak_lr * 0.5 * (1.0 + std::cos(3.141592653589793 * p));
    }
    const double grad_norm = 0.35 + 0.6 * std::exp(-t / 800.0) + 0.05 * std::fabs(rng.normal());
    const double tokens_per_sec = 18500.0 * (1.0 + 0.03 * rng.normal());
    time += 1.3625 * (1.0 + 0.02 * rng.normal());
    const double epoch = t / static_cast<double>(o.steps_per_epoch);
    line.assign("{\"step\": ");
    detail::append_number(line, s);
    line += ", \"epoch\": ";
    detail::append_number(line, epoch);
    line += ", \"loss\": ";
    detail::append_number(line, loss);
    line += ", \"lr\": ";
    detail::append_number(line, lr);
    line += ", \"grad_norm\": ";
    detail::append_number(line, grad_norm);
    line += ", \"tokens_per_sec\": ";
    detail::append_number(line, tokens_per_sec);
    line += ", \"time\": ";
    detail::append_number(line, time);
    line += "}\n";
    out(std::string_view(line));
    if (o.eval_every && (s % o.eval_every == 0 || s == o.steps)) {
      line.assign("{\"step\": ");
      detail::append_number(line, s);
      line += ", \"epoch\": ";
      detail::append_number(line, epoch);
      line += ", \"val_loss\": ";
      detail::append_number(line, smooth * (1.0 + 0.004 * rng.normal()));
      line += ", \"train_loss\": ";
      detail::append_number(line, smooth * (1.0 + 0.004 * rng.normal()));
      line += "}\n";
      out(std::string_view(line));
    }
  }
}

/// Steps that give a log of about `bytes` bytes (measured line length of this generator).
inline std::uint64_t seed_log_steps_for_bytes(std::uint64_t bytes) {
  seed_log_options probe;
  probe.steps = 2000;
  std::uint64_t n = 0;
  generate_seed_log(probe, [&](std::string_view l) { n += l.size(); });
  return bytes * probe.steps / n + 1;
}

/// A whole log in memory.
inline std::string seed_log(const seed_log_options& o) {
  std::string s;
  generate_seed_log(o, [&](std::string_view l) { s += l; });
  return s;
}

/// Writes a log to `path`; returns its size in bytes, 0 on failure.
inline std::uint64_t write_seed_log(const std::string& path, const seed_log_options& o) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return 0;
  std::uint64_t n = 0;
  bool ok = true;
  generate_seed_log(o, [&](std::string_view l) {
    ok = ok && std::fwrite(l.data(), 1, l.size(), f) == l.size();
    n += l.size();
  });
  ok = std::fclose(f) == 0 && ok;
  return ok ? n : 0;
}

}  // namespace trainscope::bench
