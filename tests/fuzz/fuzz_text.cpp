// libFuzzer harness for io::read_text_log: any bytes must give a run or an error, never a crash,
// a hang or an allocation sized by a claim in the input. Build: see tests/fuzz/CMakeLists.txt.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "trainscope/io/detect.hpp"
#include "trainscope/io/text_log.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace trainscope;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const auto in = io::detail::make_padded(bytes);
  (void)io::detect_format(bytes);
  io::read_options options;
  auto r = io::read_text_log(in, "fuzz", options);
  if (r) {
    // touch what a caller would read
    volatile std::size_t n = r->train_loss.size() + r->val_loss.size() + r->diagnostics.issues.size();
    (void)n;
  } else if (r.error().code == errc::none) {
    __builtin_trap();  // an error must say what went wrong
  }
  options.on_bad_record = io::bad_record_policy::fail;
  (void)io::read_text_log(in, "fuzz", options);
  return 0;
}
