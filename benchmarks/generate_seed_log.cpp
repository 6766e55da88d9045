// Writes a seed-shaped JSONL log of about N MiB (seed_log_generator.hpp) for timing tools on a file.
//
//   generate_seed_log PATH MIB
#include <cstdio>
#include <cstdlib>
#include <string>

#include "seed_log_generator.hpp"

int main(int argc, char** argv) {
  // A path starting with "-" is an option typed by mistake (--mb 1 once wrote a file named "--mb").
  if (argc != 3 || argv[1][0] == '-' || std::strtoull(argv[2], nullptr, 10) == 0) {
    std::fprintf(stderr, "usage: %s PATH MIB\n", argv[0]);
    return 2;
  }
  trainscope::bench::seed_log_options o;
  o.steps = trainscope::bench::seed_log_steps_for_bytes(std::strtoull(argv[2], nullptr, 10) << 20);
  const auto bytes = trainscope::bench::write_seed_log(argv[1], o);
  if (!bytes) {
    std::fprintf(stderr, "cannot write %s\n", argv[1]);
    return 1;
  }
  std::printf("%s: %llu bytes, %llu steps\n", argv[1], static_cast<unsigned long long>(bytes),
              static_cast<unsigned long long>(o.steps));
  return 0;
}
