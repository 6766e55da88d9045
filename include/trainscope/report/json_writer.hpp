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
  void write_string(std::string_view s) {
    out_ += '"';
    for (unsigned char c : s) {
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
            out_ += static_cast<char>(c);  // UTF-8 passes through; invalid bytes were replaced by the caller
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
