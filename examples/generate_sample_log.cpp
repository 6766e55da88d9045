// Writes the bundled sample log, examples/data/training_log.jsonl: a deterministic stand-in for the run the
// seed report (shared/seed beside the repository, "Training Analysis Report") was generated from.
//
//   usage: generate_sample_log OUTPUT.jsonl
//
// The output is byte-identical on every platform: the noise comes from our own PRNG (splitmix64 seeding
// xoshiro256**, Box-Muller; std::normal_distribution differs between standard libraries), every figure except the
// learning rate is printed from an integer (no locale, no floating-point formatting), and the learning rate is
// printed with std::to_chars to 12 significant digits, far coarser than any libm's last-bit differences.
//
// What the log reproduces (tests/report/test_sample_log.cpp checks all of it):
// - the config of the seed run (24 layers, 16 heads, 1280 wide, context 1024, dropout 0.1, WarmupCosineLR with
//   500 warmup steps over 11763 total steps, minimum ratios 0), under DeepSpeed's parameter names;
// - 11760 training steps in 3 epochs of 3920 steps, first logged loss 11.1484, last 5.5078, about 4 h 27 min;
// - 24 evaluation records (every 500 steps and at 11760) whose losses reproduce every printed cell of the seed's
//   checkpoint table: losses to 4 decimals, perplexity exp(loss) to 2, relative gap (val - train) / train to 4.
//   Four decimals are not enough for that (exp(7.7298) = 2275.15, printed 2275.25), so train_loss carries 6
//   decimals and val_loss 8. An evaluation's train_loss is exactly the mean of the last 100 logged step losses.
#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <numbers>
#include <string>
#include <vector>

namespace {

// ---- the run ----
constexpr int total_steps = 11760;      // logged training steps
constexpr int steps_per_epoch = 3920;   // 3 epochs
constexpr int warmup_num_steps = 500;   // DeepSpeed WarmupCosineLR parameters
constexpr int total_num_steps = 11763;
constexpr double peak_lr = 3e-4;
constexpr int eval_interval = 500;
constexpr int train_loss_window = 100;  // an evaluation's train_loss = mean of this many last step losses
constexpr int tokens_per_step = 16 * 1024;  // micro-batch 16 x context 1024
constexpr std::int64_t wall_time_ms = 16'020'000;  // 4 h 27 min
constexpr std::int64_t first_loss_e4 = 111'484;    // 11.1484
constexpr std::int64_t last_loss_e4 = 55'078;      // 5.5078

/** One row of the seed report's checkpoint table, as printed (seed_checkpoints.csv). */
struct seed_row {
  int step;
  const char* train;
  const char* val;
  const char* gap;
  const char* train_ppl;
  const char* val_ppl;
};

constexpr std::array<seed_row, 24> seed_table{{
    {500, "7.7298", "7.7284", "-0.0002", "2275.25", "2272.05"},
    {1000, "7.4274", "7.3973", "-0.0040", "1681.47", "1631.64"},
    {1500, "7.0574", "6.9951", "-0.0088", "1161.42", "1091.25"},
    {2000, "6.7263", "6.7079", "-0.0027", "834.06", "818.89"},
    {2500, "6.5093", "6.5597", "+0.0077", "671.35", "706.06"},
    {3000, "6.4148", "6.4261", "+0.0018", "610.80", "617.77"},
    {3500, "6.3274", "6.3265", "-0.0002", "559.72", "559.18"},
    {4000, "6.1991", "6.2279", "+0.0046", "492.32", "506.70"},
    {4500, "6.1838", "6.1420", "-0.0068", "484.83", "464.96"},
    {5000, "6.1246", "6.1063", "-0.0030", "456.95", "448.65"},
    {5500, "5.9818", "6.0348", "+0.0089", "396.16", "417.73"},
    {6000, "5.9762", "5.9922", "+0.0027", "393.92", "400.30"},
    {6500, "5.9233", "5.9252", "+0.0003", "373.64", "374.37"},
    {7000, "5.8690", "5.8850", "+0.0027", "353.90", "359.60"},
    {7500, "5.8524", "5.8399", "-0.0021", "348.08", "343.73"},
    {8000, "5.8012", "5.8065", "+0.0009", "330.69", "332.45"},
    {8500, "5.7546", "5.7600", "+0.0009", "315.64", "317.36"},
    {9000, "5.6975", "5.7154", "+0.0031", "298.13", "303.50"},
    {9500, "5.7252", "5.6940", "-0.0054", "306.49", "297.09"},
    {10000, "5.6586", "5.6240", "-0.0061", "286.75", "277.00"},
    {10500, "5.5820", "5.5547", "-0.0049", "265.61", "258.45"},
    {11000, "5.5545", "5.5657", "+0.0020", "258.40", "261.31"},
    {11500, "5.5211", "5.5729", "+0.0094", "249.90", "263.20"},
    {11760, "5.4727", "5.4956", "+0.0042", "238.09", "243.63"},
}};

double parse(const char* s) {
  double v = 0;
  const char* end = s;
  while (*end) ++end;
  if (*s == '+') ++s;
  std::from_chars(s, end, v);
  return v;
}

/// Fixed-point text of `v` with `decimals` decimals; '+' prefixed when `sign` and v >= 0.
std::string fixed(double v, int decimals, bool sign = false) {
  std::array<char, 64> buf{};
  auto [p, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v, std::chars_format::fixed, decimals);
  std::string s(buf.data(), p);
  if (sign && s[0] != '-') s.insert(s.begin(), '+');
  return s;
}

/// Text of n * 10^-decimals, exactly, from the integer.
std::string scaled(std::int64_t n, int decimals) {
  std::string s = std::to_string(n < 0 ? -n : n);
  if (s.size() <= static_cast<std::size_t>(decimals)) s.insert(0, static_cast<std::size_t>(decimals) + 1 - s.size(), '0');
  s.insert(s.size() - static_cast<std::size_t>(decimals), 1, '.');
  return n < 0 ? "-" + s : s;
}

// ---- deterministic randomness: splitmix64 seeds xoshiro256** (Blackman & Vigna, prng.di.unimi.it) ----
struct splitmix64 {
  std::uint64_t x;
  std::uint64_t operator()() {
    std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
};

struct xoshiro256ss {
  std::array<std::uint64_t, 4> s{};
  explicit xoshiro256ss(std::uint64_t seed) {
    splitmix64 sm{seed};
    for (auto& w : s) w = sm();
  }
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t operator()() {
    const std::uint64_t result = rotl(s[1] * 5, 7) * 9;
    const std::uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
  }
  /// Uniform in (0, 1): the top 53 bits, offset by half a step so log() never sees 0.
  double uniform() { return (static_cast<double>((*this)() >> 11) + 0.5) * 0x1.0p-53; }
  /// Standard normal by Box-Muller (one of the pair; simplicity over speed).
  double normal() {
    const double u1 = uniform();
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  }
};

/**
 * DeepSpeed WarmupCosineLR.get_lr_ratio() (deepspeed/runtime/lr_schedules.py) with warmup_type "log",
 * warmup_min_ratio 0 and cos_min_ratio 0, as a function of the scheduler's last_batch_iteration:
 *   i < W:  log(i + 1) / log(W)
 *   i >= W: (1 + cos(pi * min(1, (i - W + 1) / (T - W)))) / 2
 *
 * Step convention: the scheduler starts at last_batch_iteration = -1 and DeepSpeed's engine.step() calls
 * scheduler.step() after each optimizer step, so after our logged step N it holds N - 1, and the logged lr is
 * scheduler.get_last_lr() at that moment: peak_lr * ratio(N - 1). Step 1 therefore logs 0, step 500 logs the peak,
 * and the logged value is the one the optimizer applies at step N + 1 (as HF Trainer logs it).
 */
double lr_ratio(int last_batch_iteration) {
  const int i = last_batch_iteration;
  if (i < warmup_num_steps) return std::log(i + 1.0) / std::log(static_cast<double>(warmup_num_steps));
  const double progress = std::min(1.0, static_cast<double>(i - warmup_num_steps + 1) /
                                            static_cast<double>(total_num_steps - warmup_num_steps));
  return std::max(0.0, (1.0 + std::cos(std::numbers::pi * progress)) / 2.0);
}

std::string lr_text(double lr) {
  std::array<char, 64> buf{};
  auto [p, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), lr, std::chars_format::general, 12);
  return std::string(buf.data(), p);
}

/** Checkpoint losses as fixed-point integers: train in 1e-6 (a mean of 100 values of 1e-4), val in 1e-8. */
struct checkpoint {
  int step;
  std::int64_t train_e6;
  std::int64_t val_e8;
};

/// True when the printed roundings of (train, val) reproduce `row` cell for cell.
bool reproduces(const seed_row& row, double train, double val) {
  return fixed(train, 4) == row.train && fixed(val, 4) == row.val && fixed(std::exp(train), 2) == row.train_ppl &&
         fixed(std::exp(val), 2) == row.val_ppl && fixed((val - train) / train, 4, true) == row.gap;
}

/**
 * Finds losses that reproduce a row: the middle of the interval allowed by all constraints, on the grid.
 * Train: |t - T| < 5e-5 and |exp(t) - P| < 0.005. Val: the same with its own figures, and
 * |(v - t) / t - G| < 5e-5, an interval in v once t is fixed. Taking the middle keeps every rounding far from a
 * tie, so the answer does not depend on the last bit of log().
 */
bool solve(const seed_row& row, checkpoint& out) {
  const double T = parse(row.train), V = parse(row.val), G = parse(row.gap);
  const double P = parse(row.train_ppl), Q = parse(row.val_ppl);
  const double t_lo = std::max(T - 5e-5, std::log(P - 0.005)), t_hi = std::min(T + 5e-5, std::log(P + 0.005));
  if (!(t_lo < t_hi)) return false;
  out.step = row.step;
  out.train_e6 = std::llround((t_lo + t_hi) / 2 * 1e6);
  const double t = static_cast<double>(out.train_e6) / 1e6;
  const double v_lo = std::max({V - 5e-5, std::log(Q - 0.005), t * (1 + G - 5e-5)});
  const double v_hi = std::min({V + 5e-5, std::log(Q + 0.005), t * (1 + G + 5e-5)});
  if (!(v_lo < v_hi)) return false;
  out.val_e8 = std::llround((v_lo + v_hi) / 2 * 1e8);
  return reproduces(row, parse(scaled(out.train_e6, 6).c_str()), parse(scaled(out.val_e8, 8).c_str()));
}

/** The loss curve the per-step losses scatter around, before each window is pinned to its checkpoint mean. */
std::vector<double> loss_trend(const std::vector<checkpoint>& cps) {
  // Knots at the middle of each checkpoint's averaging window, joined by straight lines; before the first
  // knot the early fast drop: the first segment's line plus a decaying excess that starts at the first loss.
  std::vector<double> kx, ky;
  for (const auto& c : cps) {
    kx.push_back(c.step - (train_loss_window - 1) / 2.0);
    ky.push_back(static_cast<double>(c.train_e6) / 1e6);
  }
  std::vector<double> m(total_steps + 1, 0.0);
  const double slope0 = (ky[1] - ky[0]) / (kx[1] - kx[0]);
  const double first = static_cast<double>(first_loss_e4) / 1e4;
  const double tau = 45.0;  // steps; the loss falls from 11 to ~8 within ~150 steps of a log warmup
  std::size_t k = 0;
  for (int s = 1; s <= total_steps; ++s) {
    if (s < kx[0]) {
      const double line = ky[0] + slope0 * (s - kx[0]);
      const double line1 = ky[0] + slope0 * (1 - kx[0]);
      m[s] = line + (first - line1) * std::exp(-(s - 1) / tau);
      continue;
    }
    while (k + 2 < kx.size() && s > kx[k + 1]) ++k;
    const double f = (s - kx[k]) / (kx[k + 1] - kx[k]);
    m[s] = ky[k] + f * (ky[k + 1] - ky[k]);
  }
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUTPUT.jsonl\n", argv[0]);
    return 2;
  }

  std::vector<checkpoint> cps;
  for (const auto& row : seed_table) {
    checkpoint c{};
    if (!solve(row, c)) {
      std::fprintf(stderr, "no losses reproduce the seed row at step %d\n", row.step);
      return 1;
    }
    cps.push_back(c);
  }

  xoshiro256ss rng(0x7472'6169'6e73'636fULL);  // "trainsco"

  // Per-step losses in units of 1e-4: trend + noise. The noise is a mildly correlated (AR(1)) Gaussian, larger
  // early in training, as batch-to-batch loss variation is; ~0.05 late, like a GPT-2-size run at this loss.
  const std::vector<double> trend = loss_trend(cps);
  std::vector<std::int64_t> loss_e4(total_steps + 1, 0);
  double ar = 0.0;
  for (int s = 1; s <= total_steps; ++s) {
    const double sigma = 0.05 + 0.12 * std::exp(-s / 250.0);
    ar = 0.35 * ar + std::sqrt(1 - 0.35 * 0.35) * rng.normal();
    loss_e4[s] = std::llround((trend[s] + sigma * ar) * 1e4);
  }
  loss_e4[1] = first_loss_e4;
  loss_e4[total_steps] = last_loss_e4;

  // Pin each checkpoint window's mean to the checkpoint's train_loss exactly: shift the window's free steps by
  // the missing mean (a level change far below the noise), then spread the last few 1e-4 units one per step.
  for (const auto& c : cps) {
    const int first = c.step - train_loss_window + 1;
    std::vector<int> free_steps;
    std::int64_t sum = 0;
    for (int s = first; s <= c.step; ++s) {
      sum += loss_e4[s];
      if (s != 1 && s != total_steps) free_steps.push_back(s);
    }
    std::int64_t missing = c.train_e6 - sum;  // mean = sum * 1e-4 / 100 = sum * 1e-6
    const auto n = static_cast<std::int64_t>(free_steps.size());
    const std::int64_t each = missing / n;  // truncates toward zero, so the remainder has missing's sign
    for (int s : free_steps) loss_e4[s] += each;
    missing -= each * n;
    // The remainder goes to every k-th free step so no run of adjacent steps moves together.
    for (std::int64_t i = 0; missing != 0; i = (i + 37) % n) {
      const std::int64_t unit = missing > 0 ? 1 : -1;
      loss_e4[free_steps[static_cast<std::size_t>(i)]] += unit;
      missing -= unit;
    }
  }

  // Gradient norm: large at initialisation, settling near 0.3 and creeping up as the lr decays; log-normal noise.
  std::vector<std::int64_t> grad_norm_e4(total_steps + 1, 0);
  for (int s = 1; s <= total_steps; ++s) {
    const double base = 0.28 + 9.0 * std::exp(-s / 35.0) + 0.6 * std::exp(-s / 600.0) + 0.12 * s / total_steps;
    grad_norm_e4[s] = std::llround(base * std::exp(0.12 * rng.normal()) * 1e4);
  }

  // Step durations in ms: ~1.27 s with 2 % jitter, a slow first step (compilation, allocator warm-up), and each
  // evaluation's time added before the next step. Scaled so the run lasts exactly wall_time_ms.
  std::vector<double> raw(total_steps + 1, 0.0);
  std::vector<double> eval_s(total_steps + 1, 0.0);
  double raw_total = 0;
  for (int s = 1; s <= total_steps; ++s) {
    raw[s] = (s == 1 ? 9.5 : 1.0 + 0.02 * rng.normal());
    if (s > 1 && ((s - 1) % eval_interval == 0)) eval_s[s] = 38.0 + 2.0 * rng.normal();
    raw_total += raw[s] + eval_s[s];
  }
  const double step_scale = static_cast<double>(wall_time_ms) / 1000.0 / raw_total;
  std::vector<std::int64_t> step_ms(total_steps + 1, 0), time_ms(total_steps + 1, 0);
  std::int64_t clock = 0;
  for (int s = 1; s <= total_steps; ++s) {
    step_ms[s] = std::llround(raw[s] * step_scale * 1000.0);
    clock += std::llround(eval_s[s] * step_scale * 1000.0) + step_ms[s];
    time_ms[s] = clock;
  }
  // The last evaluation (at the last step) is not part of the training wall time; put the rounding remainder on
  // the first step so the total is exact.
  const std::int64_t fix = wall_time_ms - time_ms[total_steps];
  step_ms[1] += fix;
  for (int s = 1; s <= total_steps; ++s) time_ms[s] += fix;

  std::string out;
  out.reserve(total_steps * 140);
  out += "{\"type\":\"config\",\"model\":\"gpt2\",\"n_layer\":24,\"n_head\":16,\"n_embd\":1280,\"block_size\":1024,"
         "\"vocab_size\":50257,\"dropout\":0.1,\"optimizer\":\"AdamW\",\"weight_decay\":0.1,\"micro_batch_size\":16,"
         "\"tokens_per_step\":" + std::to_string(tokens_per_step) +
         ",\"lr_schedule\":\"WarmupCosineLR\",\"peak_lr\":" + lr_text(peak_lr) +
         ",\"warmup_num_steps\":" + std::to_string(warmup_num_steps) +
         ",\"total_num_steps\":" + std::to_string(total_num_steps) +
         ",\"warmup_type\":\"log\",\"warmup_min_ratio\":0.0,\"cos_min_ratio\":0.0,\"steps_per_epoch\":" +
         std::to_string(steps_per_epoch) + ",\"num_epochs\":3,\"eval_interval\":" + std::to_string(eval_interval) +
         ",\"train_loss_window\":" + std::to_string(train_loss_window) + "}\n";
  std::size_t next_cp = 0;
  for (int s = 1; s <= total_steps; ++s) {
    const int epoch = (s - 1) / steps_per_epoch;
    const std::int64_t tps_e1 = std::llround(tokens_per_step * 10000.0 / static_cast<double>(step_ms[s]));
    out += "{\"step\":" + std::to_string(s) + ",\"epoch\":" + std::to_string(epoch) +
           ",\"loss\":" + scaled(loss_e4[s], 4) + ",\"lr\":" + lr_text(peak_lr * lr_ratio(s - 1)) +
           ",\"grad_norm\":" + scaled(grad_norm_e4[s], 4) + ",\"tokens_per_sec\":" + scaled(tps_e1, 1) +
           ",\"time\":" + scaled(time_ms[s], 3) + "}\n";
    if (next_cp < cps.size() && cps[next_cp].step == s) {
      out += "{\"type\":\"eval\",\"step\":" + std::to_string(s) + ",\"epoch\":" + std::to_string(epoch) +
             ",\"train_loss\":" + scaled(cps[next_cp].train_e6, 6) + ",\"val_loss\":" +
             scaled(cps[next_cp].val_e8, 8) + "}\n";
      ++next_cp;
    }
  }

  std::ofstream f(argv[1], std::ios::binary);
  f.write(out.data(), static_cast<std::streamsize>(out.size()));
  f.close();
  if (!f) {
    std::fprintf(stderr, "cannot write %s\n", argv[1]);
    return 1;
  }
  return 0;
}
