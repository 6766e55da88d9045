#pragma once
// Writes protobuf fields and TFRecord frames for tests: independent encoders of the wire format
// (protobuf.dev "Encoding"), used to build hostile and synthetic event files.
#include <cstdint>
#include <cstring>
#include <string>

#include "trainscope/io/detail/crc32c.hpp"

namespace pbw {

inline std::string varint(std::uint64_t v) {
  std::string out;
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
  return out;
}
inline std::string key(std::uint32_t field, unsigned wire) { return varint((std::uint64_t(field) << 3) | wire); }
inline std::string le(std::uint64_t v, int bytes) {
  std::string out;
  for (int i = 0; i < bytes; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
  return out;
}
inline std::string field_varint(std::uint32_t f, std::uint64_t v) { return key(f, 0) + varint(v); }
inline std::string field_bytes(std::uint32_t f, const std::string& b) {
  std::string out = key(f, 2);  // appends, not operator+: g++ 12 warns falsely (-Wrestrict) on the chain
  out.append(varint(b.size())).append(b);
  return out;
}
inline std::string field_double(std::uint32_t f, double d) {
  std::uint64_t bits;
  std::memcpy(&bits, &d, 8);
  return key(f, 1) + le(bits, 8);
}
inline std::string field_float(std::uint32_t f, float x) {
  std::uint32_t bits;
  std::memcpy(&bits, &x, 4);
  return key(f, 5) + le(bits, 4);
}

/// An Event with one simple_value scalar.
inline std::string scalar_event(std::int64_t step, const std::string& tag, float value, double wall = 1.0) {
  const std::string v = field_bytes(1, tag) + field_float(2, value);
  return field_double(1, wall) + field_varint(2, static_cast<std::uint64_t>(step)) + field_bytes(5, field_bytes(1, v));
}

/// An Event with a TF2-style one-element float tensor scalar.
inline std::string tensor_event(std::int64_t step, const std::string& tag, float value) {
  std::uint32_t bits;
  std::memcpy(&bits, &value, 4);
  const std::string tensor = field_varint(1, 1) + field_bytes(2, "") + field_bytes(4, le(bits, 4));
  const std::string v = field_bytes(1, tag) + field_bytes(8, tensor);
  return field_double(1, 2.0) + field_varint(2, static_cast<std::uint64_t>(step)) + field_bytes(5, field_bytes(1, v));
}

/// One TFRecord frame: length, masked CRC of the length, data, masked CRC of the data.
inline std::string frame(const std::string& data) {
  const std::string len = le(data.size(), 8);
  using trainscope::io::detail::masked_crc32c;
  return len + le(masked_crc32c(reinterpret_cast<const unsigned char*>(len.data()), 8), 4) + data +
         le(masked_crc32c(reinterpret_cast<const unsigned char*>(data.data()), data.size()), 4);
}

}  // namespace pbw
