#pragma once
// The reading baseline of issue 6: what a person would write with simdjson alone. iterate_many over the
// whole input, step / loss / lr / val_loss picked by key into vectors (reserved ahead like the reader).
// Shared by bench_jsonl_read (timed in memory) and bench_baseline_program (timed as a process).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include <simdjson.h>

namespace {

struct baseline_columns {
  std::vector<std::int64_t> step, val_step;
  std::vector<double> loss, lr, val_loss;
};

// Returns records seen, or 0 on error.
std::size_t baseline_read(const char* data, std::size_t size, baseline_columns& c) {
  simdjson::ondemand::parser parser;
#ifdef SIMDJSON_THREADS_ENABLED
  parser.threaded = false;  // single-threaded, like the reader
#endif
  c = {};
  const std::size_t guess = size / 150;
  c.step.reserve(guess), c.loss.reserve(guess), c.lr.reserve(guess);
  simdjson::ondemand::document_stream stream;
  if (parser.iterate_many(data, size, simdjson::dom::DEFAULT_BATCH_SIZE).get(stream)) return 0;
  std::size_t n = 0;
  for (auto doc_result : stream) {
    simdjson::ondemand::document_reference doc;
    if (std::move(doc_result).get(doc)) return 0;
    simdjson::ondemand::object obj;
    if (doc.get_object().get(obj)) return 0;
    std::int64_t step = -1;
    double loss = NAN, lr = NAN, val = NAN;
    for (auto field_result : obj) {
      simdjson::ondemand::field f;
      if (std::move(field_result).get(f)) return 0;
      auto key = f.key();
      if (key == "step") {
        if (f.value().get_int64().get(step)) return 0;
      } else if (key == "loss") {
        if (f.value().get_double().get(loss)) return 0;
      } else if (key == "lr") {
        if (f.value().get_double().get(lr)) return 0;
      } else if (key == "val_loss") {
        if (f.value().get_double().get(val)) return 0;
      }
    }
    ++n;
    if (!std::isnan(val)) {
      c.val_step.push_back(step);
      c.val_loss.push_back(val);
    } else if (!std::isnan(loss)) {
      c.step.push_back(step);
      c.loss.push_back(loss);
      c.lr.push_back(lr);
    }
  }
  return n;
}

}  // namespace
