#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "trainscope/io/csv.hpp"
#include "trainscope/stats/fit/power_law_fit.hpp"
#include "trainscope/trainscope.hpp"

using namespace trainscope;

namespace {

// Keras CSVLogger logs, through the library's own reader.
run read_keras_csv(const std::string& path) {
  auto r = io::read_csv_log(io::detail::read_input(path).value(), path);
  REQUIRE(r);
  return std::move(*r);
}

// The seed report's checkpoint table: step,epoch,train_loss,val_loss,...
run read_seed_table(const std::string& path) {
  run r;
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    std::stringstream ss(line);
    std::string f[4];
    for (auto& x : f) std::getline(ss, x, ',');
    const auto step = std::stoll(f[0]);
    r.checkpoint_train_loss.put(step, std::stod(f[2]));
    r.val_loss.put(step, std::stod(f[3]));
  }
  return r;
}

}  // namespace

TEST_CASE("seed run: still improving at the end, best checkpoint last, no overfitting or divergence") {
  const run r = read_seed_table(std::string(TRAINSCOPE_SEED_DIR) + "/seed_checkpoints.csv");
  REQUIRE(r.val_loss.size() == 24);
  const auto d = diagnose(r);
  MESSAGE(d.summary);
  CHECK((d.verdict == verdict::well_fit || d.verdict == verdict::under_trained));
  CHECK(d.best_step == 11760);
  CHECK_FALSE(d.overfit_onset_step.has_value());
  CHECK_FALSE(d.divergence_step.has_value());
  bool improving = false;
  for (const auto& f : d.findings) {
    CHECK(f.kind != "divergence");
    CHECK(f.kind != "overfitting");
    improving = improving || f.kind == "still_improving";
  }
  CHECK(improving);
  // the seed report's "two upticks" at steps 11000 and 11500 are within the noise
  REQUIRE(d.val_noise.has_value());
  CHECK(*d.val_noise > 0.005);  // upticks of 0.011 and 0.007
  CHECK(*d.val_noise < 0.05);
  REQUIRE(d.val_loss_at_2x.has_value());
  CHECK(*d.val_loss_at_2x < 5.4956);
  // early checkpoints at loss 7.7 are still learning (the seed report called them well fit)
  CHECK(d.checkpoints.front().label == "still_learning");
  CHECK(d.checkpoints.back().label != "overfitting");
}

TEST_CASE("keras irfanet: overfitting with onset near epoch 15") {
  const run r = read_keras_csv(std::string(TRAINSCOPE_REAL_LOGS_DIR) + "/csv/keras-irfanet-csvlogger-55ep.log");
  REQUIRE(r.val_loss.size() == 55);
  const auto d = diagnose(r);
  MESSAGE(d.summary);
  CHECK(d.verdict == verdict::overfitting);
  REQUIRE(d.overfit_onset_step.has_value());
  // the smoothed curve bottoms between the raw lows at epochs 9, 14 and 15
  CHECK(*d.overfit_onset_step >= 11);
  CHECK(*d.overfit_onset_step <= 17);
  CHECK(d.best_step == 15);
  CHECK(d.checkpoints.back().label == "overfitting");
}

TEST_CASE("keras speaker250: overfitting from the first epochs") {
  const run r = read_keras_csv(std::string(TRAINSCOPE_REAL_LOGS_DIR) + "/csv/keras-speaker250-csvlogger-overfit.log");
  REQUIRE(r.val_loss.size() == 50);
  const auto d = diagnose(r);
  MESSAGE(d.summary);
  CHECK(d.verdict == verdict::overfitting);
  REQUIRE(d.overfit_onset_step.has_value());
  CHECK(*d.overfit_onset_step <= 3);
  CHECK(d.best_step == 0);
}

TEST_CASE("the forecaster is a policy: the Eigen Levenberg-Marquardt fit gives the same seed diagnosis") {
  const run r = read_seed_table(std::string(TRAINSCOPE_SEED_DIR) + "/seed_checkpoints.csv");
  const auto plain = diagnose(r);
  const auto lm = diagnose(r, {}, [](std::span<const double> t, std::span<const double> y, const power_law_options& o) {
    return fit_power_law_lm(t, y, {}, o);
  });
  CHECK(lm.verdict == plain.verdict);
  REQUIRE(lm.val_loss_at_2x.has_value());
  CHECK(*lm.val_loss_at_2x == doctest::Approx(*plain.val_loss_at_2x).epsilon(1e-3));
}
