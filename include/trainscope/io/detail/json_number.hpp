#pragma once
/**
 * JSON numbers in text: finding one by the grammar, and converting it to a double, correctly rounded,
 * with fast paths for the common cases. The JSONL reader converts every number with these, on the
 * line-shape path and on the simdjson path alike (simdjson 3.0.1's get_double misreads some numbers of
 * more than 19 digits).
 *
 * The scanning and converting functions read up to 40 bytes past the first byte they are given: inputs
 * here end in a newline followed by at least detail::input_padding (64) bytes. decimal_to_double reads only
 * its range.
 */
#include <bit>
#include <cfloat>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <system_error>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

// TRAINSCOPE_PORTABLE_NUMBERS keeps to the portable code below (no SSE2, no x87): what other processors
// run, and what a ctest target checks on this one.
#if defined(__SSE2__) && !defined(TRAINSCOPE_PORTABLE_NUMBERS)
#define TRAINSCOPE_SSE2_NUMBERS 1
#else
#define TRAINSCOPE_SSE2_NUMBERS 0
#endif

// x87 extended precision: a 64-bit significand in the low bytes of long double (x86-64 Linux and BSD;
// not Windows, whose long double is a double).
#if defined(__x86_64__) && LDBL_MANT_DIG == 64 && !defined(_WIN32) && !defined(TRAINSCOPE_PORTABLE_NUMBERS)
#define TRAINSCOPE_X87_EXTENDED 1
#else
#define TRAINSCOPE_X87_EXTENDED 0
#endif

// The number functions run several times per record in the reader's inner loop: inlined, the compiler
// keeps the record's state in registers (not inlining them cost 25 % of the CLI's reading time).
#if defined(__GNUC__) || defined(__clang__)
#define TRAINSCOPE_HOT_INLINE __attribute__((always_inline)) inline
#else
#define TRAINSCOPE_HOT_INLINE inline
#endif

namespace trainscope::inline v1::io::detail {

/// Number of ASCII digits at `p`, read 8 bytes at a time.
inline unsigned digit_run(const char* p) noexcept {
  unsigned n = 0;
  for (;;) {
    std::uint64_t w;
    std::memcpy(&w, p + n, 8);
    // Per byte: high nibble 3, and adding 6 keeps it 3 (low nibble <= 9). A carry out of a byte
    // >= 0xFA only disturbs later bytes, which lie after the first non-digit anyway.
    const std::uint64_t high = (w & 0xF0F0F0F0F0F0F0F0ull) ^ 0x3030303030303030ull;
    const std::uint64_t low = ((w + 0x0606060606060606ull) & 0xF0F0F0F0F0F0F0F0ull) ^ 0x3030303030303030ull;
    const std::uint64_t non_digit = high | low;
    if (non_digit) {
      if constexpr (std::endian::native == std::endian::little)
        return n + static_cast<unsigned>(std::countr_zero(non_digit)) / 8;
      else
        return n + static_cast<unsigned>(std::countl_zero(non_digit)) / 8;
    }
    n += 8;
  }
}

/** Where the parts of a JSON number token lie (RFC 8259 section 6). */
struct json_number_span {
  const char* end = nullptr;  ///< one past the token; nullptr when the bytes are no JSON number
  bool negative = false;
  unsigned int_digits = 0;   ///< digits before any '.'; they start at the token (after a '-')
  unsigned frac_digits = 0;  ///< digits after the '.'
  unsigned exp_at = 0;       ///< offset of the exponent's digits (after 'e' and a sign); 0: none
  unsigned exp_digits = 0;
  bool integer() const noexcept { return frac_digits == 0 && exp_at == 0; }
};

/// The JSON number at `p` (-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?), byte by byte.
inline json_number_span scan_json_number_bytewise(const char* p) noexcept {
  json_number_span s;
  const char* q = p;
  s.negative = *q == '-';
  q += s.negative;
  const unsigned n = digit_run(q);
  if (n == 0 || (n > 1 && *q == '0')) return s;
  q += n;
  s.int_digits = n;
  if (*q == '.') {
    const unsigned f = digit_run(q + 1);
    if (f == 0) return s;
    q += 1 + f;
    s.frac_digits = f;
  }
  if (*q == 'e' || *q == 'E') {
    ++q;
    if (*q == '+' || *q == '-') ++q;
    const unsigned x = digit_run(q);
    if (x == 0) return s;
    s.exp_at = static_cast<unsigned>(q - p);
    s.exp_digits = x;
    q += x;
  }
  s.end = q;
  return s;
}

#if TRAINSCOPE_SSE2_NUMBERS
/// The same, from bit masks of the first 32 bytes: no loop whose exit depends on how many digits a
/// number has (a mispredicted exit per digit run cost more than the bytes).
TRAINSCOPE_HOT_INLINE json_number_span scan_json_number(const char* p) noexcept {
  const __m128i lo = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m128i hi = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16));
  auto mask = [&](auto&& test) {
    return static_cast<std::uint64_t>(static_cast<std::uint32_t>(_mm_movemask_epi8(test(lo)))) |
           static_cast<std::uint64_t>(static_cast<std::uint32_t>(_mm_movemask_epi8(test(hi)))) << 16;
  };
  const std::uint64_t digit = mask([](__m128i v) {
    const __m128i x = _mm_sub_epi8(v, _mm_set1_epi8('0'));  // a digit iff x <= 9 unsigned
    return _mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(9)), x);
  });
  const std::uint64_t dot = mask([](__m128i v) { return _mm_cmpeq_epi8(v, _mm_set1_epi8('.')); });
  const std::uint64_t exp = mask([](__m128i v) {
    return _mm_cmpeq_epi8(_mm_or_si128(v, _mm_set1_epi8(0x20)), _mm_set1_epi8('e'));  // 'e' or 'E'
  });
  const std::uint64_t sign = mask([](__m128i v) {
    return _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('-')), _mm_cmpeq_epi8(v, _mm_set1_epi8('+')));
  });
  const std::uint64_t number_bytes = digit | dot | exp | sign;
  if (number_bytes == 0xFFFFFFFFull) return scan_json_number_bytewise(p);  // 32 bytes or more: rare
  const auto end = static_cast<unsigned>(std::countr_zero(~number_bytes));
  // Length of the digit run from byte i (bytes from 32 on count as no digit).
  auto run = [&](unsigned i) { return static_cast<unsigned>(std::countr_zero(~digit >> i)); };
  json_number_span s;
  s.negative = *p == '-';
  unsigned i = s.negative;
  const unsigned n = run(i);
  if (n == 0 || (n > 1 && p[i] == '0')) return s;
  s.int_digits = n;
  i += n;
  if ((dot >> i) & 1) {
    const unsigned f = run(i + 1);
    if (f == 0) return s;
    s.frac_digits = f;
    i += 1 + f;
  }
  if ((exp >> i) & 1) {
    i += 1 + static_cast<unsigned>((sign >> (i + 1)) & 1);
    const unsigned x = run(i);
    if (x == 0) return s;
    s.exp_at = i;
    s.exp_digits = x;
    i += x;
  }
  if (i != end) return s;  // a second '.', an inner sign, "1e5e5": not one number
  s.end = p + end;
  return s;
}
#else
inline json_number_span scan_json_number(const char* p) noexcept { return scan_json_number_bytewise(p); }
#endif

/**
 * Which bytes of a line could belong to a JSON number ([0-9.eE+-]), one bit per byte. Built at once for
 * a line, it tells where each number ends without a chain of dependent loads through the line.
 */
struct number_byte_map {
  static constexpr unsigned max_words = 8;  ///< lines up to 512 bytes; longer ones are scanned
  std::uint64_t bits[max_words + 1];
  unsigned words = 0;

  /// Maps `words` * 64 bytes from `p` (all readable).
  TRAINSCOPE_HOT_INLINE void build(const char* p, unsigned n_words) noexcept {
    words = n_words;
    for (unsigned w = 0; w < n_words; ++w) {
      std::uint64_t m = 0;
#if TRAINSCOPE_SSE2_NUMBERS
      for (unsigned k = 0; k < 4; ++k) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 64 * w + 16 * k));
        const __m128i x = _mm_sub_epi8(v, _mm_set1_epi8('-'));  // '-' '.' '/' and digits: x <= 12
        const __m128i in_range = _mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(12)), x);
        const __m128i not_slash = _mm_andnot_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('/')), in_range);
        const __m128i e_or_plus = _mm_or_si128(_mm_cmpeq_epi8(_mm_or_si128(v, _mm_set1_epi8(0x20)), _mm_set1_epi8('e')),
                                               _mm_cmpeq_epi8(v, _mm_set1_epi8('+')));
        m |= static_cast<std::uint64_t>(static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_or_si128(not_slash, e_or_plus))))
             << (16 * k);
      }
#else
      for (unsigned k = 0; k < 64; ++k) {
        const char c = p[64 * w + k];
        const bool number = (c >= '0' && c <= '9') || c == '-' || c == '.' || c == 'e' || c == 'E' || c == '+';
        m |= static_cast<std::uint64_t>(number) << k;
      }
#endif
      bits[w] = m;
    }
    bits[n_words] = 0;
  }

  /// Length of the run of number bytes at offset `at`, or 0 when the map cannot tell (past its end).
  TRAINSCOPE_HOT_INLINE unsigned run(unsigned at) const noexcept {
    const unsigned w = at / 64, shift = at % 64;
    if (w >= words) return 0;
    const std::uint64_t x = (bits[w] >> shift) | ((bits[w + 1] << (63 - shift)) << 1);
    const auto n = static_cast<unsigned>(std::countr_zero(~x));
    return at + n < 64 * words ? n : 0;  // a run reaching the map's end may go on
  }
};

/// Eight ASCII digits in a little-endian word (first digit in the low byte) as their value: three
/// multiply-shift steps, each joining neighbouring digit groups (D. Lemire, "Quickly parsing eight
/// digits", 2018; the technique, not code).
constexpr std::uint64_t eight_digits_value(std::uint64_t w) noexcept {
  w = ((w & 0x0F0F0F0F0F0F0F0Full) * 2561) >> 8;
  w = ((w & 0x00FF00FF00FF00FFull) * 6553601) >> 16;
  return ((w & 0x0000FFFF0000FFFFull) * 42949672960001ull) >> 32;
}

inline constexpr std::uint64_t pow10_u64[20] = {1ull,
                                                10ull,
                                                100ull,
                                                1000ull,
                                                10000ull,
                                                100000ull,
                                                1000000ull,
                                                10000000ull,
                                                100000000ull,
                                                1000000000ull,
                                                10000000000ull,
                                                100000000000ull,
                                                1000000000000ull,
                                                10000000000000ull,
                                                100000000000000ull,
                                                1000000000000000ull,
                                                10000000000000000ull,
                                                100000000000000000ull,
                                                1000000000000000000ull,
                                                10000000000000000000ull};

/// Value of the `n` <= 19 ASCII digits at `p` (8 bytes from `p + n` on are readable).
TRAINSCOPE_HOT_INLINE std::uint64_t digits_value(const char* p, unsigned n) noexcept {
  std::uint64_t v = 0;
  if constexpr (std::endian::native == std::endian::little) {
    for (; n >= 8; n -= 8, p += 8) {
      std::uint64_t w;
      std::memcpy(&w, p, 8);
      v = v * 100000000 + eight_digits_value(w);
    }
    if (n) {
      std::uint64_t w;
      std::memcpy(&w, p, 8);
      w <<= 8 * (8 - n);  // the n digits to the top bytes; the zero bytes below read as leading zeros
      v = v * pow10_u64[n] + eight_digits_value(w);
    }
  } else {
    for (unsigned k = 0; k < n; ++k) v = v * 10 + static_cast<unsigned>(p[k] - '0');
  }
  return v;
}

/// Whether a decimal number that from_chars found out of range is tiny, not huge: its first significant
/// digit lies after the point once the exponent is applied. Reads only [b, e).
inline bool decimal_is_tiny(const char* b, const char* e) noexcept {
  const char* p = b + (b != e && (*b == '-' || *b == '+'));
  long magnitude = 0;  // decimal exponent of the first significant digit, before the explicit exponent
  long int_digits = 0, first_nonzero = -1;
  for (; p != e && *p >= '0' && *p <= '9'; ++p, ++int_digits)
    if (first_nonzero < 0 && *p != '0') first_nonzero = int_digits;
  if (first_nonzero >= 0) {
    magnitude = int_digits - 1 - first_nonzero;  // 123.4: 2
  } else {
    if (p == e || *p != '.') return true;  // all zeros: zero either way
    ++p;
    long zeros = 0;
    for (; p != e && *p == '0'; ++p) ++zeros;
    if (p == e || *p < '1' || *p > '9') return true;
    magnitude = -(zeros + 1);  // 0.004: -3
  }
  while (p != e && ((*p >= '0' && *p <= '9') || *p == '.')) ++p;
  if (p != e && (*p == 'e' || *p == 'E')) {
    ++p;
    const bool negative = p != e && *p == '-';
    p += p != e && (*p == '-' || *p == '+');
    long x = 0;
    for (; p != e && *p >= '0' && *p <= '9'; ++p) x = x < 100000000 ? x * 10 + (*p - '0') : x;
    magnitude += negative ? -x : x;
  }
  return magnitude < 0;
}

/**
 * A decimal number's double by std::from_chars (correctly rounded). A value too small for a double
 * rounds to zero, as IEEE rounding (and simdjson) has it, where from_chars reports it out of range;
 * a value too large is refused. False also when [b, e) is not one number.
 */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((noinline))
#endif
inline bool decimal_to_double(const char* b, const char* e, double& out) noexcept {
  auto [end, ec] = std::from_chars(b, e, out);
  if (end != e) return false;
  if (ec == std::errc()) return true;
  if (ec != std::errc::result_out_of_range || !decimal_is_tiny(b, e)) return false;
  out = *b == '-' ? -0.0 : 0.0;
  return true;
}

#if TRAINSCOPE_X87_EXTENDED
/// 10^k in x87 extended precision for -48 <= k <= 27, at [k + 48]: exact for 0 <= k <= 27 (5^27 < 2^64),
/// correctly rounded otherwise (the compiler rounds decimal literals correctly).
inline constexpr long double pow10_extended[76] = {
    1e-48L, 1e-47L, 1e-46L, 1e-45L, 1e-44L, 1e-43L, 1e-42L, 1e-41L, 1e-40L, 1e-39L, 1e-38L, 1e-37L, 1e-36L,
    1e-35L, 1e-34L, 1e-33L, 1e-32L, 1e-31L, 1e-30L, 1e-29L, 1e-28L, 1e-27L, 1e-26L, 1e-25L, 1e-24L, 1e-23L,
    1e-22L, 1e-21L, 1e-20L, 1e-19L, 1e-18L, 1e-17L, 1e-16L, 1e-15L, 1e-14L, 1e-13L, 1e-12L, 1e-11L, 1e-10L,
    1e-9L,  1e-8L,  1e-7L,  1e-6L,  1e-5L,  1e-4L,  1e-3L,  1e-2L,  1e-1L,  1e0L,   1e1L,   1e2L,   1e3L,
    1e4L,   1e5L,   1e6L,   1e7L,   1e8L,   1e9L,   1e10L,  1e11L,  1e12L,  1e13L,  1e14L,  1e15L,  1e16L,
    1e17L,  1e18L,  1e19L,  1e20L,  1e21L,  1e22L,  1e23L,  1e24L,  1e25L,  1e26L,  1e27L};
#endif

#if TRAINSCOPE_X87_EXTENDED && TRAINSCOPE_SSE2_NUMBERS && FLT_EVAL_METHOD == 0
/// 16 bytes from ones_from + 16 - i: 0xFF from byte i on (0 <= i <= 16).
alignas(32) inline constexpr unsigned char ones_from[32] = {
    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};

enum class x87_outcome { done, near_midpoint, elsewhere };

/**
 * A JSON number of up to 18 significant digits with a decimal exponent (of the digits as an integer)
 * in -48..27, converted with a fixed sequence of operations: the significant digits, the point taken
 * out, are read as 16 bytes (zeros past the last digit) plus up to two, whatever the number of digits
 * on either side of the point, so that no branch depends on how many digits a value has (they vary
 * from value to value of one column, and a mispredicted branch costs more than the work). Then the
 * x87 rounding of json_number_value. `elsewhere`: not this kind of number.
 */
TRAINSCOPE_HOT_INLINE x87_outcome x87_decimal_value(const char* p, const json_number_span& s, double& out) noexcept {
  const char* const d = p + s.negative;
  const unsigned int_digits = s.int_digits, frac_digits = s.frac_digits;
  // "0.000123": the digits start at the first nonzero one after the point. Counted in 8 bytes: the bytes
  // after the fraction's digits are no '0'; 8 zeros with more digits after them are left to the general path.
  std::uint64_t after_point;
  std::memcpy(&after_point, d + 2, 8);
  const std::uint64_t nonzero = after_point ^ 0x3030303030303030ull;
  const unsigned zeros = nonzero ? static_cast<unsigned>(std::countr_zero(nonzero)) / 8 : 8;
  const bool fraction_only = *d == '0' && frac_digits != 0;  // JSON: a leading 0 is the only integer digit
  const char* const start = fraction_only ? d + 2 + zeros : d;
  const unsigned point = fraction_only ? 16 : int_digits;  // index of the '.' from `start` (16: none before 16)
  const unsigned significant = fraction_only ? frac_digits - zeros : int_digits + frac_digits;
  if (significant > 18 || int_digits > 16 || (zeros == 8 && frac_digits > 8)) return x87_outcome::elsewhere;
  const int first = fraction_only ? -static_cast<int>(zeros) - 1 : static_cast<int>(int_digits) - 1;  // 10^first

  // Byte j of the digits without the point: byte j of the text before the point, byte j + 1 from it on;
  // zero from byte `significant` on.
  const unsigned n = significant < 16 ? significant : 16;
  const __m128i from_point = _mm_loadu_si128(reinterpret_cast<const __m128i*>(ones_from + 16 - point));
  const __m128i from_end = _mm_loadu_si128(reinterpret_cast<const __m128i*>(ones_from + 16 - n));
  const __m128i text = _mm_or_si128(_mm_andnot_si128(from_point, _mm_loadu_si128(reinterpret_cast<const __m128i*>(start))),
                                    _mm_and_si128(from_point, _mm_loadu_si128(reinterpret_cast<const __m128i*>(start + 1))));
  const __m128i digit = _mm_andnot_si128(from_end, _mm_sub_epi8(text, _mm_set1_epi8('0')));
  // Pairs, fours and eights of digits joined by multiply-adds (the first digit is the low byte).
  const __m128i pairs = _mm_add_epi16(_mm_mullo_epi16(_mm_and_si128(digit, _mm_set1_epi16(0xFF)), _mm_set1_epi16(10)),
                                      _mm_srli_epi16(digit, 8));
  const __m128i fours = _mm_madd_epi16(pairs, _mm_set1_epi32(0x00010064));  // (100, 1)
  const __m128i eights = _mm_madd_epi16(_mm_packs_epi32(fours, fours), _mm_set1_epi32(0x00012710));  // (10000, 1)
  const auto both = static_cast<std::uint64_t>(_mm_cvtsi128_si64(eights));
  const std::uint64_t first16 = (both & 0xFFFFFFFF) * 100000000 + (both >> 32);
  // Digits 17 and 18 follow the first 16 (after the point unless all digits follow it).
  const unsigned r = significant > 16 ? significant - 16 : 0;
  std::uint64_t t;
  std::memcpy(&t, start + 16 + !fraction_only, 8);
  t = (t << (8 * (7 - r))) << 8;  // the r digits to the top bytes; r = 0 leaves none
  const std::uint64_t tail = ((t >> 48) & 0xF) * 10 + ((t >> 56) & 0xF);
  const std::uint64_t m = first16 * pow10_u64[r] + tail;
  int e = first - 15 - static_cast<int>(r);  // m * 10^e
  if (s.exp_at) {
    if (s.exp_digits > 3) return x87_outcome::elsewhere;
    const int x = static_cast<int>(digits_value(p + s.exp_at, s.exp_digits));
    e += p[s.exp_at - 1] == '-' ? -x : x;
  }
  if (e < -48 || e > 27) return x87_outcome::elsewhere;
  // m < 10^18 < 2^63 is exact in x87's 64-bit significand, and so is 10^e for 0 <= e <= 27 (5^27 < 2^64);
  // other powers are rounded. So v is m * 10^e within 2 units of its last bit (one or two roundings of
  // 2^-64 each, relative). Rounding v to a double then gives the double nearest the exact value unless a
  // midpoint between two doubles lies within those 2 units: a midpoint needs only 54 bits, so the 11
  // bits a double drops would be within 2 of 10000000000b. Those (with a margin) go to from_chars.
  // Multiplying by a rounded 10^-k, not dividing by 10^k, is what the margin buys: a division is 4-5
  // times slower.
  const long double v = static_cast<long double>(static_cast<std::int64_t>(m)) * pow10_extended[e + 48];
  std::uint64_t significand;
  std::memcpy(&significand, &v, sizeof significand);
  const auto dropped = static_cast<unsigned>(significand & 0x7FF);
  if (dropped - (0x400 - 4) <= 8) return x87_outcome::near_midpoint;
  const auto dv = static_cast<double>(v);
  out = s.negative ? -dv : dv;
  return x87_outcome::done;
}
#endif

/**
 * The double nearest to the JSON number `s` found at `p` (ties to even), as strtod and from_chars give
 * it. On x86-64, up to 18 digits go through x87_decimal_value. Fast path (Clinger, "How to read floating
 * point numbers accurately", PLDI 1990): when the significant digits form an integer m <= 2^53 and the
 * decimal exponent e has |e| <= 22, both m and 10^|e| are exact doubles and one IEEE multiplication or
 * division rounds m * 10^e correctly. On x86-64 the same idea in x87 extended precision covers up to 19
 * digits. Anything else goes to decimal_to_double (from_chars). False when the number is too large for
 * a double.
 */
TRAINSCOPE_HOT_INLINE bool json_number_value(const char* p, const json_number_span& s, double& out) noexcept {
#if TRAINSCOPE_X87_EXTENDED && TRAINSCOPE_SSE2_NUMBERS && FLT_EVAL_METHOD == 0
  switch (x87_decimal_value(p, s, out)) {
    case x87_outcome::done: return true;
    case x87_outcome::near_midpoint: return decimal_to_double(p, s.end, out);
    case x87_outcome::elsewhere: break;
  }
#endif
#if FLT_EVAL_METHOD == 0  // double arithmetic in double precision (not x87's extended registers)
  const char* digits = p + s.negative;
  unsigned int_digits = s.int_digits;
  const char* const frac_start = digits + int_digits + 1;
  const char* frac = frac_start;
  unsigned frac_digits = s.frac_digits;
  if (int_digits == 1 && *digits == '0') {  // 0.000123: the zeros after the point are not significant
    int_digits = 0;
    while (frac_digits && *frac == '0') ++frac, --frac_digits;
  }
  if (int_digits + frac_digits <= 19 && s.exp_digits <= 3) {
    const std::uint64_t m = int_digits ? digits_value(digits, int_digits) * pow10_u64[frac_digits] +
                                             digits_value(frac, frac_digits)
                                       : digits_value(frac, frac_digits);
    int e = -static_cast<int>(frac - frac_start) - static_cast<int>(frac_digits);  // zeros skipped, digits read
    if (s.exp_at) {
      const int x = static_cast<int>(digits_value(p + s.exp_at, s.exp_digits));
      e += p[s.exp_at - 1] == '-' ? -x : x;
    }
    if (m <= (std::uint64_t(1) << 53) && e >= -22 && e <= 22) {
      static constexpr double pow10_exact[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                                 1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                                 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
      double d = static_cast<double>(m);
      d = e < 0 ? d / pow10_exact[-e] : d * pow10_exact[e];
      out = s.negative ? -d : d;
      return true;
    }
#if TRAINSCOPE_X87_EXTENDED
    // m < 2^63: the x87 rounding of x87_decimal_value (which see), for 19 digits and the rest.
    if (m < (std::uint64_t(1) << 63) && e >= -48 && e <= 27) {
      const long double v = static_cast<long double>(static_cast<std::int64_t>(m)) * pow10_extended[e + 48];
      std::uint64_t significand;
      std::memcpy(&significand, &v, sizeof significand);  // x87 format: the explicit 64-bit significand first
      const auto dropped = static_cast<unsigned>(significand & 0x7FF);
      if (dropped < 0x400 - 4 || dropped > 0x400 + 4) {
        const auto d = static_cast<double>(v);
        out = s.negative ? -d : d;
        return true;
      }
    }
#else
    static constexpr double pow10_exact[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                               1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                               1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    if (m <= (std::uint64_t(1) << 53) && e >= -22 && e <= 22) {
      double d = static_cast<double>(m);
      d = e < 0 ? d / pow10_exact[-e] : d * pow10_exact[e];
      out = s.negative ? -d : d;
      return true;
    }
#endif
  }
#endif
  return decimal_to_double(p, s.end, out);
}

}  // namespace trainscope::inline v1::io::detail
