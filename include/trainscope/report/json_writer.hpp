#pragma once
/** A minimal streaming JSON writer: deterministic, locale-independent, non-finite numbers as null. */
#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace trainscope::inline v1::report {

/**
 * Appends JSON to a string. The caller pairs begin/end calls; commas and key quoting are handled here.
 * Doubles print in shortest round-trip form (std::to_chars), so output is byte-identical across runs and locales.
 */
class json_writer {
 public:
  explicit json_writer(std::string& out, int indent = 2) : out_(out), indent_(indent) {}

  json_writer& begin_object() { return open('{'); }
  json_writer& end_object() { return close('}'); }
  json_writer& begin_array() { return open('['); }
  json_writer& end_array() { return close(']'); }

  json_writer& key(std::string_view k) {
    separate();
    write_string(k);
    out_ += indent_ ? ": " : ":";
    after_key_ = true;
    return *this;
  }

  json_writer& value(std::string_view s) {
    separate();
    write_string(s);
    return *this;
  }
  json_writer& value(const char* s) { return value(std::string_view(s)); }
  json_writer& value(bool b) {
    separate();
    out_ += b ? "true" : "false";
    return *this;
  }
  json_writer& value(std::int64_t i) {
    separate();
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, i);
    out_.append(buf, r.ptr);
    return *this;
  }
  json_writer& value(int i) { return value(static_cast<std::int64_t>(i)); }
  json_writer& value(std::size_t i) { return value(static_cast<std::int64_t>(i)); }
  json_writer& value(double d) {
    separate();
    if (!std::isfinite(d)) {
      out_ += "null";  // JSON has no NaN or Infinity
      return *this;
    }
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, d);
    out_.append(buf, r.ptr);
    return *this;
  }
  json_writer& null() {
    separate();
    out_ += "null";
    return *this;
  }
  template <class T>
  json_writer& value(const std::optional<T>& v) {
    return v ? value(*v) : null();
  }

  /// key(k).value(v) in one call.
  template <class T>
  json_writer& field(std::string_view k, const T& v) {
    key(k);
    return value(v);
  }

 private:
  json_writer& open(char c) {
    separate();
    out_ += c;
    ++depth_;
    first_ = true;
    return *this;
  }
  json_writer& close(char c) {
    --depth_;
    if (!first_) newline();
    out_ += c;
    first_ = false;
    return *this;
  }
  void separate() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (depth_ > 0) {
      if (!first_) out_ += ',';
      newline();
    }
    first_ = false;
  }
  void newline() {
    if (!indent_) return;
    out_ += '\n';
    out_.append(static_cast<std::size_t>(depth_ * indent_), ' ');
  }
  // Length of the valid UTF-8 sequence starting at s[i] (1-4), or 0 when the bytes there are not one.
  static std::size_t utf8_length(std::string_view s, std::size_t i) {
    const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
    const unsigned char c = b(0);
    std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > s.size()) return 0;
    for (std::size_t k = 1; k < n; ++k)
      if ((b(k) & 0xC0) != 0x80) return 0;
    if (n == 2 && c < 0xC2) return 0;                                       // overlong
    if (n == 3 && ((c == 0xE0 && b(1) < 0xA0) || (c == 0xED && b(1) >= 0xA0))) return 0;  // overlong, surrogate
    if (n == 4 && ((c == 0xF0 && b(1) < 0x90) || c > 0xF4 || (c == 0xF4 && b(1) >= 0x90))) return 0;
    return n;
  }

  void write_string(std::string_view s) {
    out_ += '"';
    for (std::size_t i = 0; i < s.size();) {
      const std::size_t n = utf8_length(s, i);
      if (n == 0) {  // bytes from a damaged log or an odd file name: JSON must stay valid UTF-8
        out_ += "\xEF\xBF\xBD";  // U+FFFD
        ++i;
        continue;
      }
      if (n > 1) {
        out_.append(s.substr(i, n));
        i += n;
        continue;
      }
      const unsigned char c = static_cast<unsigned char>(s[i++]);
      switch (c) {
        case '"': out_ += "\\\""; break;
        case '\\': out_ += "\\\\"; break;
        case '\n': out_ += "\\n"; break;
        case '\r': out_ += "\\r"; break;
        case '\t': out_ += "\\t"; break;
        default:
          if (c < 0x20) {
            static constexpr char hex[] = "0123456789abcdef";
            out_ += "\\u00";
            out_ += hex[c >> 4];
            out_ += hex[c & 15];
          } else {
            out_ += static_cast<char>(c);
          }
      }
    }
    out_ += '"';
  }

  std::string& out_;
  int indent_;
  int depth_ = 0;
  bool first_ = true;
  bool after_key_ = false;
};

}  // namespace trainscope::inline v1::report
