#pragma once
/** Errors as values: `result<T>` is a subset of C++23 `std::expected<T, error>`. */
#include <cstdint>
#include <string>
#include <utility>
#include <variant>

namespace trainscope::inline v1 {

/** What went wrong, coarse enough for a caller (or the CLI's exit code) to act on. */
enum class errc {
  none = 0,
  cannot_open,        ///< missing file, permission, directory, FIFO refused
  io_error,           ///< read failed part-way
  empty_input,        ///< zero bytes, or nothing but blank lines
  malformed,          ///< not the format claimed or detected
  no_usable_data,     ///< well-formed but no loss series at all
  unsupported,        ///< a format or feature this build does not have
  invalid_argument,   ///< a caller's mistake that is not a programming error (bad option value)
};

/** An error with the place it happened; `message` is built only on failure. */
struct error {
  errc code = errc::none;
  std::string message;
  std::string file;          ///< path as given by the user, "-" for standard input
  std::size_t line = 0;      ///< 1-based; 0 when not line-oriented
  std::uint64_t byte_offset = 0;
  std::string field;         ///< offending key or column, when known
};

/** Formats an error as "file:line: field: message" for people (stderr). */
inline std::string to_string(const error& e) {
  std::string out = e.file.empty() ? std::string("<input>") : e.file;
  if (e.line) out += ":" + std::to_string(e.line);
  else if (e.byte_offset) out += ": byte " + std::to_string(e.byte_offset);
  out += ": ";
  if (!e.field.empty()) out += "field '" + e.field + "': ";
  out += e.message;
  return out;
}

/** Tag to construct a failed result, like `std::unexpected`. */
struct unexpected {
  error value;
  explicit unexpected(error e) : value(std::move(e)) {}
};

/** A value or an error; the members are those of `std::expected` it needs. */
template <class T>
class [[nodiscard]] result {
 public:
  using value_type = T;
  using error_type = trainscope::error;

  result(T v) : v_(std::in_place_index<0>, std::move(v)) {}  // NOLINT: implicit like expected
  result(unexpected u) : v_(std::in_place_index<1>, std::move(u.value)) {}  // NOLINT

  bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const error_type& error() const& { return std::get<1>(v_); }

 private:
  std::variant<T, error_type> v_;
};

}  // namespace trainscope::inline v1
