#pragma once
// Helpers for the reader tests: real logs by relative path, in-memory inputs.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "trainscope/core/run.hpp"
#include "trainscope/io/detail/input.hpp"

namespace fixtures {

inline std::string real_log(const std::string& relative) { return std::string(TRAINSCOPE_REAL_LOGS_DIR) + "/" + relative; }
inline std::string test_data(const std::string& relative) { return std::string(TRAINSCOPE_TEST_DATA_DIR) + "/" + relative; }

inline bool exists(const std::string& path) { return std::ifstream(path).good(); }

inline std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

/// Reads `path` through the library's own input layer, failing the test when it cannot.
inline trainscope::io::detail::padded_input load(const std::string& path) {
  auto in = trainscope::io::detail::read_input(path);
  REQUIRE_MESSAGE(in.has_value(), path);
  return std::move(*in);
}

/// Step of the smallest / largest value of a series.
inline std::int64_t argmin_step(const trainscope::series& s) {
  auto it = std::min_element(s.values.begin(), s.values.end());
  return s.steps[static_cast<std::size_t>(it - s.values.begin())];
}
inline std::int64_t argmax_step(const trainscope::series& s) {
  auto it = std::max_element(s.values.begin(), s.values.end());
  return s.steps[static_cast<std::size_t>(it - s.values.begin())];
}

inline const trainscope::series* extra(const trainscope::run& r, const std::string& name) {
  for (const auto& s : r.extra)
    if (s.name == name) return &s;
  return nullptr;
}

}  // namespace fixtures

// Skips a test case body when the shared real logs are not present (e.g. a packaged source tree).
#define REQUIRE_REAL_LOG(path)                                          \
  do {                                                                  \
    if (!fixtures::exists(path)) {                                      \
      MESSAGE("real log not found, skipped: " << (path));               \
      return;                                                           \
    }                                                                   \
  } while (0)
