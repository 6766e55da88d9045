#pragma once
/**
 * The shape of a JSONL line: its bytes with the number values taken out. Lines of one log repeat
 * a few shapes ("{"step": N, "loss": N, "lr": N}" and an evaluation line), so a line that has the
 * bytes of a known shape around numbers can be read without a JSON parser: compare the literal bytes,
 * delimit each value by its number characters, check the used ones against the JSON grammar and convert
 * them. (An unused value is only delimited, as simdjson's ondemand skips it unread.)
 *
 * A shape is learned only from a line that is one flat object of printable-ASCII keys and scalar
 * values, on one line, blanks being spaces and tabs: every line that matches it is then valid JSON
 * whose fields are known without looking. Anything else does not match and goes to simdjson.
 */
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "trainscope/core/record.hpp"
#include "trainscope/io/detail/json_number.hpp"
#include "trainscope/io/detail/jsonl_keys.hpp"

namespace trainscope::inline v1::io::detail {

/** Literal bytes of a shape: the first 32 compared as four masked words (keys such as
 *  ", \"tokens_per_sec\": " are longer than 16), the rest, rare, by memcmp. */
struct shape_literal {
  std::uint32_t begin = 0, size = 0;  ///< within jsonl_line_shape::text
  std::uint64_t head[4] = {}, mask[4] = {};

  void seal(const std::string& text) noexcept {
    unsigned char bytes[32] = {}, m[32] = {};
    const std::size_t n = size < 32 ? size : 32;
    std::memcpy(bytes, text.data() + begin, n);
    std::memset(m, 0xFF, n);
    std::memcpy(head, bytes, 32);
    std::memcpy(mask, m, 32);
  }

  /// Whether the bytes at `p` are this literal; 32 bytes at `p` are readable, `limit` bounds the rest.
  TRAINSCOPE_HOT_INLINE bool matches(const char* p, const char* limit, const std::string& text) const noexcept {
    std::uint64_t w[2];
    std::memcpy(w, p, 16);
    if (((w[0] & mask[0]) ^ head[0]) | ((w[1] & mask[1]) ^ head[1])) return false;
    if (size <= 16) return true;
    std::memcpy(w, p + 16, 16);
    if (((w[0] & mask[2]) ^ head[2]) | ((w[1] & mask[3]) ^ head[3])) return false;
    if (size <= 32) return true;
    return static_cast<std::size_t>(limit - p) >= size && std::memcmp(p + 32, text.data() + begin + 32, size - 32) == 0;
  }
};

/** What a shape does with one number value. */
enum class shape_use : std::uint8_t {
  check,  ///< a field the record does not use: only delimited (its bytes are number characters)
  step,   ///< the record's step, as an integer when it is a plain one
  slot,   ///< the first number of a one-value role (loss, lr...): converted into its slot
  entry,  ///< any other used number: an entry, read like the JSON parser's entries
};

struct shape_value {
  shape_literal before;  ///< the bytes from the previous value (or the line start) to this one
  shape_use use = shape_use::check;
  jsonl_action action = jsonl_action::skip;
  const jsonl_key* key = nullptr;
};

/** A learned line shape: literal bytes around number values, and the record it makes. */
struct jsonl_line_shape {
  std::string text;  ///< every literal byte, in order
  std::vector<shape_value> values;
  shape_literal tail;  ///< after the last value, through the closing brace
  record_kind kind = record_kind::train;
  unsigned map_words = 0;  ///< number_byte_map words that cover a line of this shape, with room
};

}  // namespace trainscope::inline v1::io::detail
