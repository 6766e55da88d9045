// JSON numbers read without simdjson (io/detail/json_number.hpp): the grammar exactly as RFC 8259 has
// it, and every value bit-identical to glibc's strtod (correct rounding).
#include <doctest/doctest.h>

#include <bit>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "trainscope/io/detail/json_number.hpp"

using namespace trainscope::io::detail;

#ifdef TRAINSCOPE_PORTABLE_NUMBERS  // ctest's io_portable_numbers: the paths other processors take
static_assert(!TRAINSCOPE_SSE2_NUMBERS && !TRAINSCOPE_X87_EXTENDED, "the portable build reads numbers portably");
#endif

namespace {

// The text followed by a newline and padding, as the reader's input is.
struct padded_text {
  std::string bytes;
  explicit padded_text(const std::string& text) : bytes(text + "\n" + std::string(80, '\0')) {}
  const char* data() const { return bytes.data(); }
};

// RFC 8259 section 6, written plainly: the reference the scanners are checked against.
std::size_t reference_number_length(const std::string& s) {
  std::size_t i = 0;
  auto digit = [&](std::size_t k) { return k < s.size() && s[k] >= '0' && s[k] <= '9'; };
  if (i < s.size() && s[i] == '-') ++i;
  if (!digit(i)) return 0;
  if (s[i] == '0') ++i;
  else while (digit(i)) ++i;
  if (i < s.size() && s[i] == '.') {
    if (!digit(i + 1)) return 0;
    ++i;
    while (digit(i)) ++i;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digit(i)) return 0;
    while (digit(i)) ++i;
  }
  return i;
}

std::uint64_t bits(double d) { return std::bit_cast<std::uint64_t>(d); }

// json_number_value against glibc's strtod (correctly rounded; tiny values to zero, huge ones to
// infinity, which json_number_value refuses) on one valid number token.
void check_value(const std::string& text) {
  CAPTURE(text);
  padded_text in(text);
  const json_number_span s = scan_json_number(in.data());
  REQUIRE(s.end == in.data() + text.size());
  double fast = 0;
  const double expected = std::strtod(text.c_str(), nullptr);
  const bool ok = json_number_value(in.data(), s, fast);
  CHECK(ok == !std::isinf(expected));
  if (ok) CHECK(bits(fast) == bits(expected));
}

}  // namespace

TEST_CASE("json number: the grammar of RFC 8259, whatever the scanner") {
  const std::vector<std::string> valid = {"0", "-0", "7", "10", "-12", "0.5", "1.25", "-0.0", "1e5", "1E5", "1e+5",
                                          "1e-5", "2.5E-07", "123456789012345678901234567890",
                                          "0.00025510204081632655", "1732600001.3773682", "6e-07", "-1.5e300"};
  const std::vector<std::string> invalid = {"-", "+1", "01", "-01", ".5", "1.", "1.e5", "1e", "1e+", "--1",
                                            "00", "e5", "-.5", "1ee5"};
  for (const auto& t : valid) {
    CAPTURE(t);
    padded_text in(t);
    CHECK(scan_json_number(in.data()).end == in.data() + t.size());
    CHECK(scan_json_number_bytewise(in.data()).end == in.data() + t.size());
  }
  for (const auto& t : invalid) {
    CAPTURE(t);
    padded_text in(t);
    // Either no number, or a shorter one that the reader then finds followed by a stray byte.
    const char* end = scan_json_number(in.data()).end;
    CHECK((end == nullptr || end < in.data() + t.size()));
    CHECK(scan_json_number_bytewise(in.data()).end == end);
  }

  // Random strings over the number alphabet, then a delimiter: both scanners agree with the reference.
  std::mt19937_64 rng(20261126);
  const char alphabet[] = "0123456789.eE+-";
  for (int n = 0; n < 200000; ++n) {
    std::string t;
    const auto len = 1 + rng() % 40;
    for (std::size_t k = 0; k < len; ++k) t += alphabet[rng() % 15];
    padded_text in(t + ",");
    const std::size_t ref = reference_number_length(t);
    const json_number_span fast = scan_json_number(in.data());
    const json_number_span slow = scan_json_number_bytewise(in.data());
    CAPTURE(t);
    // A token is a number when the grammar takes all of it; a prefix alone is no number here.
    const bool whole = ref == t.size();
    REQUIRE((fast.end == in.data() + t.size()) == whole);
    REQUIRE((slow.end == in.data() + t.size()) == whole);
  }
}

TEST_CASE("json number: values are bit-identical to strtod's") {
  // Shapes loggers write: Python repr (shortest round trip), %.17g, %.6g, integers, exponents.
  std::mt19937_64 rng(42);
  char buf[64];
  for (int n = 0; n < 300000; ++n) {
    double d;
    switch (n % 4) {
      case 0: d = std::ldexp(static_cast<double>(rng() >> 11), -static_cast<int>(rng() % 120)); break;  // wide range
      case 1: d = static_cast<double>(rng() % 1000000) / 1e6 * 12.0; break;                             // losses
      case 2: d = 3e-4 * static_cast<double>(rng() % 100000) / 1e5; break;                              // lrs
      default: d = 1.7e9 + static_cast<double>(rng() % 100000000) / 1e3; break;                        // times
    }
    if (rng() & 1) d = -d;
    auto [e1, ec1] = std::to_chars(buf, buf + sizeof buf, d);  // shortest
    REQUIRE(ec1 == std::errc());
    check_value(std::string(buf, e1));
    std::snprintf(buf, sizeof buf, "%.17g", d);
    check_value(buf);
    std::snprintf(buf, sizeof buf, "%.6g", d);
    check_value(buf);
  }
  // Random digit strings of 1-19 significant digits with a point anywhere and an exponent: the fast
  // paths' whole domain, including values that land on or next to a midpoint between two doubles.
  for (int n = 0; n < 300000; ++n) {
    std::string digits;
    const auto len = 1 + rng() % 19;
    for (std::size_t k = 0; k < len; ++k) digits += static_cast<char>('0' + rng() % 10);
    while (digits.size() > 1 && digits[0] == '0') digits.erase(0, 1);
    std::string t;
    const auto point = rng() % (digits.size() + 1);
    if (rng() % 3 == 0) {
      t.append("0.").append(rng() % 6, '0').append(digits);
    } else {
      t.append(digits, 0, point);
      if (point > 0 && point < digits.size()) t.append(".").append(digits, point);
      else t.append(digits, point);
    }
    if (rng() % 3 == 0) t.append("e").append(std::to_string(static_cast<int>(rng() % 61) - 30));
    check_value(t);
  }
  // Exactly representable midpoints and their neighbours (2^53 + 1 is halfway between two doubles).
  for (const char* t : {"9007199254740993", "9007199254740992", "9007199254740994", "9007199254740995",
                        "4503599627370496.5", "4503599627370497.5", "0.1", "0.2", "0.3", "1e-7", "5e-324",
                        "2.2250738585072011e-308", "1.7976931348623157e308", "1e400", "1e-400",
                        "18446744073709551615", "9223372036854775807", "9223372036854775808",
                        // out of range, tiny (to zero) or huge (refused), whatever the digits before the exponent
                        "-1e-400", "123.5e-400", "0.000001e-320", "1000e-330", "100000e-330", "0.0001e312",
                        "0.001e400", "12345e-328", "1e-99999999999", "1e99999999999", "-0.0e-400"}) {
    check_value(t);
  }
}

TEST_CASE("json number: eight digits at once") {
  std::uint64_t w;
  std::memcpy(&w, "12345678", 8);
  CHECK(eight_digits_value(w) == 12345678u);
  padded_text in("9876543210123456789");
  CHECK(digits_value(in.data(), 19) == 9876543210123456789ull);
  CHECK(digits_value(in.data(), 3) == 987u);
  CHECK(digits_value(in.data(), 0) == 0u);
}
