#pragma once
// The body every reader harness shares: copy into a padded buffer as the readers expect, detect the
// format, read under both bad-record policies; a run is touched as a caller would, an error must carry a code.
#include <cstddef>
#include <string_view>

#include "trainscope/io/detect.hpp"
#include "trainscope/io/detail/input.hpp"
#include "trainscope/io/read_options.hpp"

template <class Reader>
int fuzz_one_reader(std::string_view bytes, Reader&& read) {
  using namespace trainscope;
  const auto in = io::detail::make_padded(bytes);
  (void)io::detect_format(bytes);
  io::read_options options;
  auto r = read(in, options);
  if (r) {
    volatile std::size_t n = r->train_loss.size() + r->val_loss.size() + r->diagnostics.issues.size();
    (void)n;
  } else if (r.error().code == errc::none) {
    __builtin_trap();  // an error must say what went wrong
  }
  options.on_bad_record = io::bad_record_policy::fail;
  (void)read(in, options);
  return 0;
}
