// The reading baseline of issue 6 as a program of its own, for timing as a process (compare_tools.py):
// what a person would write with simdjson alone. Loads the whole file, runs iterate_many over it and
// picks step, loss, lr and val_loss by key into vectors; prints how many of each it kept.
//
//   bench_baseline_program LOG
//
// The extraction is baseline_reader.hpp's, the same bench_jsonl_read times in memory. Exit status 1 when
// the file cannot be read or a record is not a JSON object of the expected types.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <vector>

#include <simdjson.h>

#include "baseline_reader.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s LOG\n", argv[0]);
    return 2;
  }
  simdjson::padded_string whole;
  if (simdjson::padded_string::load(argv[1]).get(whole)) {
    std::fprintf(stderr, "cannot read %s\n", argv[1]);
    return 1;
  }
  baseline_columns c;
  const std::size_t records = baseline_read(whole.data(), whole.size(), c);
  if (records == 0) return 1;
  std::printf("%zu records: %zu training steps, %zu validation points\n", records, c.loss.size(), c.val_loss.size());
  return 0;
}
