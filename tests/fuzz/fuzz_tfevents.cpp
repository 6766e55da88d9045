// libFuzzer harness for io::read_tfevents: any bytes must give a run or an error, never a crash,
// a hang or an allocation sized by a claim in the input. Build: see tests/fuzz/CMakeLists.txt.
//
// A fuzzer rarely guesses two CRC32Cs, so most inputs would stop at the framing. The first byte
// picks a mode: odd = the rest is an event file as is (framing, CRCs, lengths); even = the rest is
// a list of Event payloads separated by 0xF7 bytes, framed here with valid CRCs, so the protobuf
// decoding behind the CRC checks is fuzzed too.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_reader.hpp"
#include "trainscope/io/detail/crc32c.hpp"
#include "trainscope/io/detect.hpp"
#include "trainscope/io/tfevents.hpp"

namespace {
void put_le(std::string& out, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}
void put_frame(std::string& out, std::string_view data) {
  using trainscope::io::detail::masked_crc32c;
  std::string len;
  put_le(len, data.size(), 8);
  out += len;
  put_le(out, masked_crc32c(reinterpret_cast<const unsigned char*>(len.data()), 8), 4);
  out += data;
  put_le(out, masked_crc32c(reinterpret_cast<const unsigned char*>(data.data()), data.size()), 4);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace trainscope;
  if (size == 0) return 0;
  std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string framed;
  if ((data[0] & 1u) == 0) {
    std::size_t pos = 0;
    while (pos <= bytes.size()) {
      std::size_t end = bytes.find('\xF7', pos);
      if (end == std::string_view::npos) end = bytes.size();
      put_frame(framed, bytes.substr(pos, end - pos));
      pos = end + 1;
    }
    if (data[0] & 2u) framed.resize(framed.size() - std::min<std::size_t>(framed.size(), data[0] >> 2));  // cut
    bytes = framed;
  }
  return fuzz_one_reader(bytes, [](const auto& in, const auto& options) { return io::read_tfevents(in, "fuzz", options); });
}
