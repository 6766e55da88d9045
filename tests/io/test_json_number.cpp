// JSON numbers read without simdjson (io/detail/json_number.hpp): the grammar exactly as RFC 8259 has
// it, and every value bit-identical to glibc's strtod (correct rounding).
#include <doctest/doctest.h>

#include <bit>
#include <charconv>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstdint>
#include <cstring>
#include <filesystem>
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

namespace {

// The checker below compares json_number_value with std::from_chars (correctly rounded) on tokens laid
// out as the reader has them: a newline and padding after the token.
struct number_checker {
  char buf[160];
  std::size_t compared = 0;

  void check(const char* token, std::size_t size) {
    REQUIRE(size + 1 + 80 <= sizeof buf);
    std::memcpy(buf, token, size);
    std::memset(buf + size, 0, sizeof buf - size);
    buf[size] = '\n';
    const json_number_span s = scan_json_number(buf);
    if (s.end != buf + size) {
      FAIL_CHECK("not one JSON number: " << std::string(token, size));
      return;
    }
    double expected = 0;
    const auto [end, ec] = std::from_chars(buf, buf + size, expected);
    REQUIRE(end == buf + size);
    bool expected_ok = true;
    if (ec == std::errc::result_out_of_range) {  // tiny: zero; huge: refused (as strtod has them)
      expected = std::strtod(std::string(token, size).c_str(), nullptr);
      expected_ok = !std::isinf(expected);
    }
    double got = 0;
    const bool ok = json_number_value(buf, s, got);
    ++compared;
    if (ok != expected_ok || (ok && bits(got) != bits(expected))) {
      char got_text[40], expected_text[40];
      std::snprintf(got_text, sizeof got_text, ok ? "%a" : "refused (%a)", got);
      std::snprintf(expected_text, sizeof expected_text, expected_ok ? "%a" : "too large (%a)", expected);
      FAIL_CHECK(std::string(token, size) << ": json_number_value " << got_text << ", from_chars " << expected_text);
    }
  }
  void check(const std::string& t) { check(t.data(), t.size()); }
};

// Digits d0.d1d2... times 10^exp10 written out as a JSON number: with a point and no exponent when the
// point falls within about 20 places of the digits (as Python's repr writes most values), else d0.d1...e±x.
std::string decimal_text(const std::string& digits, int exp10, bool negative, bool scientific) {
  std::string t = negative ? "-" : "";
  const int n = static_cast<int>(digits.size());
  if (scientific || exp10 < -12 || exp10 > 22) {
    t += digits[0];
    if (n > 1) t.append(".").append(digits, 1);
    t += 'e';
    t += std::to_string(exp10);
  } else if (exp10 < 0) {
    t.append("0.").append(static_cast<std::size_t>(-exp10 - 1), '0').append(digits);
  } else if (exp10 + 1 >= n) {
    t.append(digits).append(static_cast<std::size_t>(exp10 + 1 - n), '0');
  } else {
    t.append(digits, 0, static_cast<std::size_t>(exp10 + 1)).append(".").append(digits, static_cast<std::size_t>(exp10 + 1));
  }
  return t;
}

// Random decimals in the shapes logs have and around them: 1-20 significant digits, a point anywhere or
// after "0." and up to 12 zeros, trailing zeros, an exponent of -30..30 in every spelling, negatives.
void check_random_decimals(number_checker& c, std::mt19937_64& rng, std::size_t count) {
  std::string t, digits;
  for (std::size_t k = 0; k < count; ++k) {
    t.clear();
    digits.clear();
    if (rng() % 4 == 0) t += '-';
    const auto n = 1 + rng() % 20;
    digits += static_cast<char>('1' + rng() % 9);
    for (std::size_t i = 1; i < n; ++i) digits += static_cast<char>('0' + rng() % 10);
    if (rng() % 8 == 0) digits.append(1 + rng() % 3, '0');
    if (rng() % 64 == 0) digits.assign(digits.size(), '0');  // zero, written out at length
    if (rng() % 3 == 0) {
      t.append("0.").append(rng() % 13, '0').append(digits);
    } else {
      const auto point = 1 + rng() % digits.size();  // digits before the point
      t.append(digits, 0, point);
      if (digits[0] == '0') t.resize(t.size() - point + 1);  // JSON: one leading 0 at most
      if (point < digits.size()) t.append(".").append(digits, point);
    }
    if (rng() % 3 == 0) {
      const int x = static_cast<int>(rng() % 61) - 30;
      t += rng() % 2 ? 'e' : 'E';
      if (x < 0) t += '-';
      else if (rng() % 2) t += '+';
      if (rng() % 2) t += '0';
      t += std::to_string(x < 0 ? -x : x);
    }
    c.check(t);
  }
}

// Decimals at and next to the midpoint between two neighbouring doubles, the one place where a result
// within a unit of the last bit is not enough: the midpoint's digits (from glibc's exact printf of the
// midpoint, which long double holds exactly), cut or rounded to 15-20 digits, and one unit of the last
// digit either side.
void check_near_midpoints(number_checker& c, std::mt19937_64& rng, std::size_t count) {
  char text[96];
  for (std::size_t k = 0; k < count; ++k) {
    double a;
    switch (k % 3) {
      case 0: a = std::ldexp(1.0 + static_cast<double>(rng() >> 12) * 0x1p-52, static_cast<int>(rng() % 200) - 100); break;
      case 1: a = static_cast<double>(rng() % 100000000) / 1e7 * std::pow(10.0, static_cast<int>(rng() % 14) - 8); break;
      default: a = 1.7e9 + static_cast<double>(rng() % 100000000) / 1e2; break;
    }
    if (a == 0) continue;
    const long double mid = static_cast<long double>(a) + (static_cast<long double>(std::nextafter(a, 1e300)) - a) / 2;
    std::snprintf(text, sizeof text, "%.40Le", mid);  // d.ddd...e±x, exact digits
    const std::string all(text);
    const auto e_at = all.find('e');
    const int exp10 = std::atoi(all.c_str() + e_at + 1);
    const std::string digits = all.substr(0, 1) + all.substr(2, e_at - 2);
    const bool negative = rng() % 4 == 0, scientific = rng() % 4 == 0;
    for (std::size_t n = 15; n <= 20; ++n) {
      const std::string cut = digits.substr(0, n);
      c.check(decimal_text(cut, exp10, negative, scientific));
      std::snprintf(text, sizeof text, "%.*Le", static_cast<int>(n) - 1, mid);  // rounded to n digits
      const std::string r(text);
      const auto r_e = r.find('e');
      const std::string rounded = r.substr(0, 1) + (n > 1 ? r.substr(2, r_e - 2) : "");
      c.check(decimal_text(rounded, std::atoi(r.c_str() + r_e + 1), negative, scientific));
      std::string up = cut, down = cut;  // one unit of the last digit either side
      std::size_t i = n - 1;
      while (i > 0 && up[i] == '9') up[i--] = '0';
      if (up[i] != '9') {
        ++up[i];
        c.check(decimal_text(up, exp10, negative, scientific));
      }
      i = n - 1;
      while (i > 0 && down[i] == '0') down[i--] = '9';
      if (down[0] != '1' || i > 0) {
        --down[i];
        c.check(decimal_text(down, exp10, negative, scientific));
      }
    }
  }
}

// Every number token in a file: runs of [0-9.eE+-] that are one JSON number.
void check_file_tokens(number_checker& c, const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  REQUIRE(f != nullptr);
  std::string text;
  char chunk[1 << 16];
  for (std::size_t got; (got = std::fread(chunk, 1, sizeof chunk, f)) > 0;) text.append(chunk, got);
  std::fclose(f);
  auto number_byte = [](char ch) { return (ch >= '0' && ch <= '9') || ch == '.' || ch == 'e' || ch == 'E' || ch == '+' || ch == '-'; };
  for (std::size_t i = 0; i < text.size();) {
    if (!number_byte(text[i]) || (i > 0 && std::isalpha(static_cast<unsigned char>(text[i - 1])))) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < text.size() && number_byte(text[j])) ++j;
    const std::string token = text.substr(i, j - i);
    if (token.size() < 48 && reference_number_length(token) == token.size()) c.check(token);
    i = j;
  }
}

}  // namespace

TEST_CASE("json number: bit-identical to from_chars on random decimals, near midpoints and real logs") {
  // TRAINSCOPE_NUMBER_CHECK_SCALE=k runs k times as many random cases; TRAINSCOPE_NUMBER_CHECK_FILE=path
  // also checks every number in that file (a long manual run, e.g. on a generated 200 MB log).
  const char* scale_env = std::getenv("TRAINSCOPE_NUMBER_CHECK_SCALE");
  const std::size_t scale = scale_env ? std::strtoull(scale_env, nullptr, 10) : 1;
  number_checker c;
  std::mt19937_64 rng(1126);
  check_random_decimals(c, rng, 1500000 * scale);
  const std::size_t random_cases = c.compared;
  check_near_midpoints(c, rng, 40000 * scale);
  const std::size_t midpoint_cases = c.compared - random_cases;
  CHECK(midpoint_cases > 40000 * scale * 20);

  std::size_t log_cases = c.compared;
  const std::filesystem::path logs = TRAINSCOPE_REAL_LOGS_DIR;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(logs))
    if (entry.is_regular_file() && entry.path().extension() != ".tfevents") check_file_tokens(c, entry.path().string());
  log_cases = c.compared - log_cases;
  CHECK(log_cases > 20000);  // the real logs hold tens of thousands of numbers
  std::size_t file_cases = 0;
  if (const char* file = std::getenv("TRAINSCOPE_NUMBER_CHECK_FILE")) {
    file_cases = c.compared;
    check_file_tokens(c, file);
    file_cases = c.compared - file_cases;
  }
  if (scale_env || file_cases)
    MESSAGE("compared " << random_cases << " random decimals, " << midpoint_cases << " near midpoints, " << log_cases
                        << " real-log numbers, " << file_cases << " numbers of the given file");
}
