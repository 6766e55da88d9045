#pragma once
/** Numbers written as text by loggers: "0.5", "nan", "NaN", "-inf", "Infinity", "NA", "". */
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>
#include <system_error>

namespace trainscope::inline v1::io::detail {

/** Strips ASCII spaces, tabs and CR on both sides. */
constexpr std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

/** True for the cells loggers write when a metric is absent: empty, NA, N/A, None, null. */
constexpr bool is_missing_cell(std::string_view s) noexcept {
  s = trim(s);
  return s.empty() || iequals(s, "na") || iequals(s, "n/a") || iequals(s, "none") || iequals(s, "null");
}

/**
 * Parses a whole field as a double; NaN and infinities are values, not errors.
 * Accepts a leading '+', and the spellings nan, -nan, inf, infinity in any case.
 * Returns nullopt when the field is not a number (trailing junk included).
 */
inline std::optional<double> parse_double(std::string_view s) noexcept {
  s = trim(s);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return std::nullopt;
  double v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ptr != s.data() + s.size()) return std::nullopt;
  if (ec == std::errc::result_out_of_range) {
    // from_chars leaves v unchanged on overflow / underflow: decide by the exponent's sign.
    const bool negative = s.front() == '-';
    const bool tiny = s.find("e-") != std::string_view::npos || s.find("E-") != std::string_view::npos;
    if (tiny) return negative ? -0.0 : 0.0;
    return negative ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  }
  if (ec != std::errc{}) return std::nullopt;
  return v;
}

/** Parses an integral step; "49", "49.0" and "4.9e1" are accepted, fractions and overflow are not. */
inline std::optional<std::int64_t> parse_step(std::string_view s) noexcept {
  s = trim(s);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  std::int64_t i = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), i);
  if (ec == std::errc{} && ptr == s.data() + s.size()) return i;
  auto d = parse_double(s);
  if (!d || !std::isfinite(*d) || *d != std::floor(*d) || std::fabs(*d) > 9.0e15) return std::nullopt;
  return static_cast<std::int64_t>(*d);
}

}  // namespace trainscope::inline v1::io::detail
