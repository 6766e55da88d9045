// libFuzzer harness for io::read_csv_log: any bytes must give a run or an error, never a crash,
// a hang or an allocation sized by a claim in the input. Build: see tests/fuzz/CMakeLists.txt.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_reader.hpp"
#include "trainscope/io/csv.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return fuzz_one_reader(std::string_view(reinterpret_cast<const char*>(data), size),
                         [](const auto& in, const auto& options) { return trainscope::io::read_csv_log(in, "fuzz", options); });
}
