// Early stopping with the online monitor on a model that overfits if left alone:
// a degree-15 polynomial (Legendre basis) fitted by gradient descent to 20 noisy samples.
// Gradient descent fits the smooth part of the curve first and the noise last, so the
// held-out loss falls, bottoms out and then rises (to ~500x its minimum: Runge's
// phenomenon on evenly spaced samples). The monitor stops the run and the
// trainer keeps the best checkpoint. Returns non-zero if any check fails.
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include <Eigen/Dense>

#include "trainscope/diagnose/monitor.hpp"
#include "trainscope/trainscope.hpp"

namespace {

constexpr int degree = 15;

double truth(double x) { return std::sin(2.5 * x) + 0.5 * x * x; }

/// Legendre polynomials P_0..P_degree at x (Bonnet's recursion), a well-conditioned basis on [-1, 1].
Eigen::RowVectorXd features(double x) {
  Eigen::RowVectorXd p(degree + 1);
  p[0] = 1.0;
  p[1] = x;
  for (int k = 1; k < degree; ++k) p[k + 1] = ((2 * k + 1) * x * p[k] - k * p[k - 1]) / (k + 1);
  return p;
}

struct dataset {
  Eigen::MatrixXd x;
  Eigen::VectorXd y;
};

/// `n` samples with noise; evenly spaced x when `grid` (the training set), uniform otherwise.
dataset make(int n, double noise, std::mt19937_64& rng, bool grid = false) {
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  std::normal_distribution<double> e(0.0, noise);
  dataset d{Eigen::MatrixXd(n, degree + 1), Eigen::VectorXd(n)};
  for (int i = 0; i < n; ++i) {
    const double x = grid ? -1.0 + 2.0 * (i + 0.5) / n : u(rng);
    d.x.row(i) = features(x);
    d.y[i] = truth(x) + e(rng);
  }
  return d;
}

double mse(const dataset& d, const Eigen::VectorXd& w) { return (d.x * w - d.y).squaredNorm() / static_cast<double>(d.y.size()); }

int failures = 0;
void check(bool ok, const char* what) {
  std::printf("  [%s] %s\n", ok ? "ok" : "FAILED", what);
  failures += !ok;
}

}  // namespace

int main() {
  std::mt19937_64 rng(2024);
  const dataset train = make(20, 0.3, rng, true), val = make(200, 0.3, rng), test = make(2000, 0.0, rng);

  // full-batch gradient descent with Nesterov momentum on the mean squared error
  const Eigen::MatrixXd hessian = 2.0 * train.x.transpose() * train.x / 20.0;
  const double lr = 0.01 / Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(hessian).eigenvalues().maxCoeff();
  constexpr double momentum = 0.9;
  constexpr int max_steps = 300'000;
  // the dynamics span four decades of steps, so checkpoints are spaced geometrically (10 % apart)
  double next_eval = 10;

  using namespace trainscope;
  monitor mon{early_stopping({.patience = 10, .noise_aware = true}), spike_guard<64>{}, finite_guard{}};

  Eigen::VectorXd w = Eigen::VectorXd::Zero(degree + 1), velocity = w, best_w = w;
  std::int64_t stop_step = -1;
  decision stop_decision;
  run log;  // the whole run, also past the stop, to show what the monitor avoided
  double best_val_ever = INFINITY;
  for (int step = 1; step <= max_steps; ++step) {
    const Eigen::VectorXd residual = train.x * (w + momentum * velocity) - train.y;
    velocity = momentum * velocity - lr * (2.0 / 20.0) * (train.x.transpose() * residual);
    w += velocity;
    const double train_loss = residual.squaredNorm() / 20.0;
    if (stop_step < 0 && mon.on_step(step, train_loss).what == action::stop) stop_step = step;
    if (step < next_eval) continue;
    next_eval *= 1.1;
    const double v = mse(val, w);
    log.checkpoint_train_loss.put(step, mse(train, w));
    log.val_loss.put(step, v);
    best_val_ever = std::min(best_val_ever, v);
    if (stop_step >= 0) continue;
    const decision d = mon.on_checkpoint(step, v);
    if (d.should_save()) best_w = w;
    if (d.should_stop()) {
      stop_step = step;
      stop_decision = d;
    }
  }

  const auto& es = mon.get<0>();
  std::printf("degree-%d polynomial, 20 noisy training samples, gradient descent for up to %d steps\n", degree, max_steps);
  if (stop_step >= 0)
    std::printf("monitor: %s at step %lld: %.*s (best %.4f at step %lld, checkpoint noise %.4f)\n",
                std::string(to_string(stop_decision.what)).c_str(), static_cast<long long>(stop_step),
                static_cast<int>(stop_decision.reason.size()), stop_decision.reason.data(), es.best(),
                static_cast<long long>(es.best_step()), es.noise_sigma());
  const double kept_val = mse(val, best_w), final_val = mse(val, w);
  const double kept_test = mse(test, best_w), final_test = mse(test, w);
  std::printf("kept checkpoint (step %lld): held-out loss %.4f, true-function error %.4f\n",
              static_cast<long long>(es.best_step()), kept_val, kept_test);
  std::printf("best held-out loss over the whole run: %.4f\n", best_val_ever);
  std::printf("left alone to step %d: held-out loss %.4f, true-function error %.4f\n", max_steps, final_val, final_test);

  const diagnosis offline = diagnose(log);
  std::printf("offline diagnosis of the whole run: %s\n  %s\n", std::string(to_string(offline.verdict)).c_str(),
              offline.summary.c_str());

  std::printf("checks:\n");
  check(stop_step > 0 && stop_step < max_steps, "the monitor stopped the run before the step budget");
  check(kept_val <= best_val_ever * 1.05, "the kept checkpoint's held-out loss is within 5% of the best seen in the whole run");
  check(final_val > kept_val * 1.2, "training on would have overfit: final held-out loss at least 20% worse");
  check(kept_test < final_test, "the kept checkpoint is also closer to the true function");
  check(offline.verdict == verdict::overfitting || offline.verdict == verdict::memorization,
        "the offline diagnosis of the full run says overfitting");
  return failures == 0 ? 0 : 1;
}
