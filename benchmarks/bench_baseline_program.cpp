// The reading baseline of issue 6 as a program of its own, for timing as a process (compare_tools.py):
// what a person would write with simdjson alone. Loads the whole file, runs iterate_many over it and
// picks step, loss, lr and val_loss by key into vectors; prints how many of each it kept.
//
//   bench_baseline_program LOG
//
// Same extraction as baseline_read in bench_jsonl_read.cpp (which times it in memory); kept standalone so
// that program can change without changing what this one measures. Exit status 1 when the file cannot be
// read or a record is not a JSON object of the expected types.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <vector>

#include <simdjson.h>

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
  simdjson::ondemand::parser parser;
#ifdef SIMDJSON_THREADS_ENABLED
  parser.threaded = false;  // single-threaded, like the plain program of the issue
#endif
  std::vector<std::int64_t> step, val_step;
  std::vector<double> loss, lr, val_loss;
  simdjson::ondemand::document_stream stream;
  if (parser.iterate_many(whole.data(), whole.size(), simdjson::dom::DEFAULT_BATCH_SIZE).get(stream)) return 1;
  std::size_t records = 0;
  for (auto doc_result : stream) {
    simdjson::ondemand::document_reference doc;
    simdjson::ondemand::object obj;
    if (std::move(doc_result).get(doc) || doc.get_object().get(obj)) return 1;
    std::int64_t s = -1;
    double l = NAN, rate = NAN, v = NAN;
    for (auto field_result : obj) {
      simdjson::ondemand::field f;
      if (std::move(field_result).get(f)) return 1;
      const auto key = f.key();
      if (key == "step") {
        if (f.value().get_int64().get(s)) return 1;
      } else if (key == "loss") {
        if (f.value().get_double().get(l)) return 1;
      } else if (key == "lr") {
        if (f.value().get_double().get(rate)) return 1;
      } else if (key == "val_loss") {
        if (f.value().get_double().get(v)) return 1;
      }
    }
    ++records;
    if (!std::isnan(v)) {
      val_step.push_back(s);
      val_loss.push_back(v);
    } else if (!std::isnan(l)) {
      step.push_back(s);
      loss.push_back(l);
      lr.push_back(rate);
    }
  }
  std::printf("%zu records: %zu training steps, %zu validation points\n", records, loss.size(), val_loss.size());
  return 0;
}
