#pragma once
/**
 * A bounds-checked reader of the protobuf wire format: just enough to walk TensorBoard
 * event records without libprotobuf. Encoding facts from the protobuf documentation,
 * "Encoding" (protobuf.dev/programming-guides/encoding): tag = field << 3 | wire type;
 * varints are little-endian base-128, at most 10 bytes.
 */
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "trainscope/io/detail/crc32c.hpp"

namespace trainscope::inline v1::io::detail {

/** Protobuf wire types; 3 and 4 (groups) are deprecated and refused. */
enum class wire_type : std::uint8_t { varint = 0, fixed64 = 1, length_delimited = 2, fixed32 = 5 };

/** One decoded field; `bytes` is set for length-delimited fields and views into the message. */
struct pb_field {
  std::uint32_t number = 0;
  wire_type type = wire_type::varint;
  std::uint64_t scalar = 0;       ///< varint value or raw fixed32 / fixed64 bits
  std::string_view bytes;
};

/**
 * Reads fields of one message in order. Any read past the end, overlong varint,
 * group wire type or field number 0 sets `failed` and stops; the reader never
 * allocates, and a length prefix is compared with the bytes left before use.
 */
class pb_reader {
 public:
  explicit pb_reader(std::string_view message) noexcept
      : p_(reinterpret_cast<const unsigned char*>(message.data())), end_(p_ + message.size()) {}

  bool failed() const noexcept { return failed_; }
  bool at_end() const noexcept { return p_ == end_; }

  /// Next field, or false at the end of the message or on malformed input (then `failed()`).
  bool next(pb_field& f) noexcept {
    if (failed_ || p_ == end_) return false;
    std::uint64_t key = 0;
    if (!varint(key)) return fail();
    const auto type = static_cast<std::uint8_t>(key & 7u);
    const std::uint64_t number = key >> 3;
    if (number == 0 || number > 0x1FFFFFFFu) return fail();  // field numbers are 1 .. 2^29-1
    f.number = static_cast<std::uint32_t>(number);
    f.bytes = {};
    f.scalar = 0;
    switch (type) {
      case 0:
        f.type = wire_type::varint;
        if (!varint(f.scalar)) return fail();
        return true;
      case 1:
        f.type = wire_type::fixed64;
        if (end_ - p_ < 8) return fail();
        f.scalar = load_le64(p_);
        p_ += 8;
        return true;
      case 5:
        f.type = wire_type::fixed32;
        if (end_ - p_ < 4) return fail();
        f.scalar = load_le32(p_);
        p_ += 4;
        return true;
      case 2: {
        f.type = wire_type::length_delimited;
        std::uint64_t len = 0;
        if (!varint(len)) return fail();
        if (len > static_cast<std::uint64_t>(end_ - p_)) return fail();  // a 2^60 length stops here
        f.bytes = {reinterpret_cast<const char*>(p_), static_cast<std::size_t>(len)};
        p_ += len;
        return true;
      }
      default:
        return fail();  // groups (3, 4) and the undefined types 6, 7
    }
  }

  /// Offset of the read position from the message start (for error reports).
  std::size_t consumed(std::string_view message) const noexcept {
    return static_cast<std::size_t>(p_ - reinterpret_cast<const unsigned char*>(message.data()));
  }

 private:
  bool fail() noexcept {
    failed_ = true;
    return false;
  }
  bool varint(std::uint64_t& out) noexcept {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      if (p_ == end_) return false;
      const unsigned char b = *p_++;
      if (shift == 63 && b > 1) return false;  // the 10th byte holds only bit 63
      v |= std::uint64_t(b & 0x7fu) << shift;
      if (!(b & 0x80u)) {
        out = v;
        return true;
      }
    }
    return false;
  }

  const unsigned char* p_;
  const unsigned char* end_;
  bool failed_ = false;
};

/** IEEE-754 binary32 / binary64 from raw little-endian wire bits. */
inline float pb_float(std::uint64_t bits) noexcept { return std::bit_cast<float>(static_cast<std::uint32_t>(bits)); }
inline double pb_double(std::uint64_t bits) noexcept { return std::bit_cast<double>(bits); }

}  // namespace trainscope::inline v1::io::detail
