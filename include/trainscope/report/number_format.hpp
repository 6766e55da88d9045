#pragma once
/** Plain ASCII number formatting for reports: fixed decimals, no thousands separators, locale-independent. */
#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>

namespace trainscope::inline v1::report {

/** `value` with `decimals` digits after the point ("5.4956"); "nan"/"inf" spelled out. */
inline std::string fixed(double value, int decimals) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::fixed, decimals);
  if (r.ec != std::errc()) return "overflow";
  return std::string(buf, r.ptr);
}

/** Like `fixed` with an explicit sign: "+0.0077", "-0.0002". */
inline std::string signed_fixed(double value, int decimals) {
  std::string s = fixed(value, decimals);
  if (!s.empty() && s[0] != '-' && std::isfinite(value)) s.insert(s.begin(), '+');
  return s;
}

/** A percentage with the given decimals: 0.506 -> "50.6%". */
inline std::string percent(double fraction, int decimals = 1) { return fixed(fraction * 100.0, decimals) + "%"; }

/** Short general form for learning rates and the like: 3e-04 -> "3e-4", 0.09997 -> "0.09997". */
inline std::string general(double value, int significant = 4) {
  if (!std::isfinite(value)) return fixed(value, 0);
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::general, significant);
  return std::string(buf, r.ptr);
}

/** Seconds as "4h 27m" (or "12m 5s" under an hour). */
inline std::string duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "unknown";
  auto total = static_cast<std::int64_t>(std::llround(seconds));
  std::int64_t h = total / 3600, m = (total % 3600) / 60, s = total % 60;
  if (h > 0) return std::to_string(h) + "h " + std::to_string(m) + "m";
  return std::to_string(m) + "m " + std::to_string(s) + "s";
}

}  // namespace trainscope::inline v1::report
