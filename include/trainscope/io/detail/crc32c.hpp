#pragma once
/** CRC32C (Castagnoli) and TFRecord's masked form, for checking TensorBoard event files. */
#include <array>
#include <cstddef>
#include <cstdint>

namespace trainscope::inline v1::io::detail {

// Reflected CRC-32C polynomial 0x82F63B78 (RFC 3720, appendix B.4). Slicing-by-8 tables:
// eight bytes per step, so checking a multi-megabyte graph_def record costs about a millisecond.
inline constexpr std::uint32_t crc32c_polynomial = 0x82F63B78u;

/// TFRecord header: 8-byte length and 4-byte masked CRC of it.
inline constexpr std::size_t tfrecord_header_bytes = 12;

constexpr std::array<std::array<std::uint32_t, 256>, 8> make_crc32c_tables() noexcept {
  std::array<std::array<std::uint32_t, 256>, 8> t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1u) ? (c >> 1) ^ crc32c_polynomial : c >> 1;
    t[0][i] = c;
  }
  for (std::size_t s = 1; s < 8; ++s)
    for (std::size_t i = 0; i < 256; ++i) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xffu];
  return t;
}

inline constexpr auto crc32c_tables = make_crc32c_tables();

/** CRC32C of `n` bytes at `p` (initial value and final xor 0xFFFFFFFF, as in RFC 3720). O(n). */
inline std::uint32_t crc32c(const unsigned char* p, std::size_t n) noexcept {
  const auto& t = crc32c_tables;
  std::uint32_t c = 0xFFFFFFFFu;
  while (n >= 8) {
    // Byte-wise composition keeps this independent of host endianness.
    const std::uint32_t lo = c ^ (std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8 | std::uint32_t(p[2]) << 16 |
                                  std::uint32_t(p[3]) << 24);
    c = t[7][lo & 0xffu] ^ t[6][(lo >> 8) & 0xffu] ^ t[5][(lo >> 16) & 0xffu] ^ t[4][lo >> 24] ^ t[3][p[4]] ^
        t[2][p[5]] ^ t[1][p[6]] ^ t[0][p[7]];
    p += 8;
    n -= 8;
  }
  while (n--) c = (c >> 8) ^ t[0][(c ^ *p++) & 0xffu];
  return c ^ 0xFFFFFFFFu;
}

/**
 * TFRecord's masked CRC: ((crc >> 15) | (crc << 17)) + 0xa282ead8, so that a CRC stored
 * inside CRC'd data does not cancel out. Source: TensorFlow, tensorflow/core/lib/hash/crc32c.h
 * (`Mask`), and the TFRecord format description in the tf.data guide ("TFRecord and tf.train.Example").
 */
constexpr std::uint32_t mask_crc(std::uint32_t crc) noexcept { return ((crc >> 15) | (crc << 17)) + 0xa282ead8u; }

inline std::uint32_t masked_crc32c(const unsigned char* p, std::size_t n) noexcept { return mask_crc(crc32c(p, n)); }

/** Little-endian fixed-width loads, independent of host byte order and alignment. */
inline std::uint32_t load_le32(const unsigned char* p) noexcept {
  return std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8 | std::uint32_t(p[2]) << 16 | std::uint32_t(p[3]) << 24;
}
inline std::uint64_t load_le64(const unsigned char* p) noexcept {
  return std::uint64_t(load_le32(p)) | std::uint64_t(load_le32(p + 4)) << 32;
}

/** True when `bytes` starts with a TFRecord header whose length CRC checks: the content test for event files. */
inline bool looks_like_tfrecord(const unsigned char* p, std::size_t n) noexcept {
  return n >= tfrecord_header_bytes && masked_crc32c(p, 8) == load_le32(p + 8);
}

}  // namespace trainscope::inline v1::io::detail
