// Built against the installed package: the umbrella header needs neither simdjson nor Eigen,
// and the target carries C++20 (this project sets no standard of its own).
#include <cstdio>
#include <trainscope/trainscope.hpp>

int main() {
  trainscope::run r;
  for (std::int64_t step = 1; step <= 40; ++step) {
    r.train_loss.put(step * 100, 4.0 / (1.0 + 0.1 * static_cast<double>(step)));
    r.val_loss.put(step * 100, 4.2 / (1.0 + 0.1 * static_cast<double>(step)));
  }
  const auto d = trainscope::diagnose(r);
  std::printf("verdict: %s\n", std::string(trainscope::to_string(d.verdict)).c_str());
  // a smooth run still falling must not be called overfitting or diverged
  return d.verdict == trainscope::verdict::overfitting || d.verdict == trainscope::verdict::diverged ? 1 : 0;
}
