#pragma once
/**
 * The JSONL engine: simdjson ondemand `iterate_many` over line-aligned blocks, with a
 * line-by-line re-read around a line that breaks the stream.
 *
 * Why the re-read: iterate_many finds document boundaries by counting braces, so a line
 * with a missing brace swallows its neighbours, and a stage-1 error (bad UTF-8, an
 * unclosed string) fails the whole batch. A document that fails is therefore re-read
 * alone, the stream restarts after it, and a batch-level failure re-reads its block
 * line by line: a bad line costs only itself.
 */
#include <simdjson.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "trainscope/core/record.hpp"
#include "trainscope/core/run.hpp"
#include "trainscope/io/detail/input.hpp"
#include "trainscope/io/detail/jsonl_keys.hpp"
#include "trainscope/io/detail/jsonl_line_shape.hpp"
#include "trainscope/io/read_options.hpp"
#include "trainscope/result.hpp"

namespace trainscope::inline v1::io::detail {

static_assert(input_padding >= simdjson::SIMDJSON_PADDING, "simdjson needs SIMDJSON_PADDING readable bytes after the data");

/// Bytes per iterate_many batch: the parser's index fits in cache, a bad batch re-reads little.
inline constexpr std::size_t jsonl_block_size = std::size_t(1) << 20;

/// Last '\n' in [b, e), or nullptr. Blocks end a line or so before a newline, so this is short.
inline const char* last_newline(const char* b, const char* e) noexcept {
  for (const char* p = e; p != b;)
    if (*--p == '\n') return p;
  return nullptr;
}

inline std::string_view trim_right(std::string_view s) noexcept {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

/// First byte in [b, e) that is not JSON whitespace, or e: where a document starts.
inline const char* skip_blanks(const char* b, const char* e) noexcept {
  while (b < e && (*b == ' ' || *b == '\t' || *b == '\r' || *b == '\n')) ++b;
  return b;
}

inline bool is_blank(const char* b, const char* e) noexcept { return skip_blanks(b, e) == e; }

inline bool has_bom(const char* p, std::size_t n) noexcept {
  return n >= 3 && static_cast<unsigned char>(p[0]) == 0xEF && static_cast<unsigned char>(p[1]) == 0xBB &&
         static_cast<unsigned char>(p[2]) == 0xBF;
}

/** Bare tokens Python's json writes for non-finite floats (not JSON, but in real logs). */
inline bool non_finite_token(std::string_view tok, double& out) noexcept {
  tok = trim_right(tok);
  if (tok == "NaN") out = std::numeric_limits<double>::quiet_NaN();
  else if (tok == "Infinity") out = std::numeric_limits<double>::infinity();
  else if (tok == "-Infinity") out = -std::numeric_limits<double>::infinity();
  else return false;
  return true;
}

/** Numbers written as strings ("1.5", "nan", "inf"), which some loggers emit. */
inline bool number_in_text(std::string_view s, double& out) noexcept {
  if (non_finite_token(s, out)) return true;
  if (s == "nan" || s == "NAN" || s == "-nan") {
    out = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  if (s == "inf" || s == "+inf" || s == "infinity") {
    out = std::numeric_limits<double>::infinity();
    return true;
  }
  if (s == "-inf" || s == "-infinity") {
    out = -std::numeric_limits<double>::infinity();
    return true;
  }
  return false;
}

inline void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

/// The text of a JSON string's raw content (RFC 8259 section 7); a malformed escape is kept as written.
inline std::string unescape_json(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  auto hex4 = [&](std::size_t at, std::uint32_t& v) {
    if (at + 4 > s.size()) return false;
    v = 0;
    for (std::size_t k = at; k < at + 4; ++k) {
      const char c = s[k];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= static_cast<std::uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f') v |= static_cast<std::uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') v |= static_cast<std::uint32_t>(c - 'A' + 10);
      else return false;
    }
    return true;
  };
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      out += s[i];
      continue;
    }
    const char e = s[++i];
    switch (e) {
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'u': {
        std::uint32_t cp;
        if (!hex4(i + 1, cp)) {
          out += "\\u";
          break;
        }
        i += 4;
        std::uint32_t lo;
        if (cp >= 0xD800 && cp < 0xDC00 && i + 6 < s.size() && s[i + 1] == '\\' && s[i + 2] == 'u' &&
            hex4(i + 3, lo) && lo >= 0xDC00 && lo < 0xE000) {
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          i += 6;
        }
        append_utf8(out, cp);
        break;
      }
      default: out += e; break;  // \" \\ \/ and anything else: the character itself
    }
  }
  return out;
}

/// Record kind from an explicit "type"/"kind" value, if it is one the reader knows.
inline bool kind_from_text(std::string_view t, record_kind& k) noexcept {
  if (t == "train" || t == "training" || t == "train_step" || t == "step") k = record_kind::train;
  else if (t == "eval" || t == "evaluation" || t == "val" || t == "valid" || t == "validation" || t == "test")
    k = record_kind::eval;
  else if (t == "config" || t == "metadata" || t == "meta" || t == "hparams" || t == "hyperparameters" ||
           t == "args")
    k = record_kind::config;
  else if (t == "summary" || t == "final" || t == "end") k = record_kind::summary;
  else return false;
  return true;
}

/// Integral value of a finite double that fits an int64 exactly.
inline bool as_integer(double d, std::int64_t& out) noexcept {
  // Without SSE4.1 std::floor is a library call, once per record for the step: the range test
  // (false for NaN and infinities) makes the conversion defined, and it is exact iff d is whole.
  if (!(std::fabs(d) <= 9.0e15)) return false;
  const auto i = static_cast<std::int64_t>(d);
  if (static_cast<double>(i) != d) return false;
  out = i;
  return true;
}

/**
 * Reads JSONL into a sink. `Sink` provides:
 *   static constexpr bool needs_line  // fill record.line (else 0; issues always carry lines)
 *   bool emit(const record&)          // false stops reading
 *   bool emit_values(fill)            // optional: a record of step and one-value roles only, written by
 *                                     // fill(record_values&) where the sink keeps it; false stops reading
 *   read_diagnostics& diagnostics()
 *   model_shape* model()              // where config records' model shape goes, or nullptr
 * Amortised O(bytes); memory is the parser (about 6x the block) plus per-record scratch.
 */
template <class Sink>
class jsonl_parser {
 public:
  jsonl_parser(Sink& sink, std::string path, const read_options& opts)
      : sink_(sink),
        path_(std::move(path)),
        keys_(opts.keys, opts.skip_columns),
        fail_on_bad_(opts.on_bad_record == bad_record_policy::fail),
        skip_columns_(opts.skip_columns) {}

  /// The whole input stays in memory while it is read: lines are then counted only when a
  /// number is needed (an issue), never block by block.
  void persistent_input(bool persistent) noexcept { persistent_ = persistent; }

  /// Whether numeric fields without a role are read into record.extra (they cost time and memory).
  void keep_extra(bool keep) noexcept {
    if (keep != keep_extra_) shapes_.clear();  // learned shapes decided which fields to read
    keep_extra_ = keep;
  }

  /// Whether lines of a learned shape are read without simdjson (jsonl_line_shape.hpp). On by
  /// default; the records are the same either way, which the tests and the fuzzer check.
  void line_shapes(bool on) noexcept {
    shapes_on_ = on;
    shapes_.clear();
  }

  /**
   * Reads the whole lines in [b, e): `e` is just past a '\n', `input_padding` bytes after it are
   * readable, and `offset` is the input offset of `b`. Returns false once reading must stop.
   */
  bool parse(const char* b, const char* e, std::uint64_t offset) {
    base_ = b;
    base_offset_ = offset;
    if (!persistent_ || !cursor_) cursor_ = b;
    if (shapes_on_) {
      parse_shaped(b, e);
    } else {
      const char* pos = b;
      while (pos < e && !stopped_) pos = parse_stream(pos, e);
    }
    return !stopped_;
  }

  /// Reads the input's last line, which has no newline (a cut-off line is counted as truncated).
  bool parse_last_line(const char* b, const char* e, std::uint64_t offset) {
    base_ = b;
    base_offset_ = offset;
    if (!persistent_ || !cursor_) cursor_ = b;
    if (!is_blank(b, e)) read_line(b, e, /*last=*/true);
    return !stopped_;
  }

  /// Records read by a learned line shape rather than by simdjson (for tests and benchmarks).
  std::size_t shaped_records() const noexcept { return shaped_records_; }

  bool failed() const noexcept { return failure_.code != errc::none; }
  const error& failure() const noexcept { return failure_; }

  /// Numbers lines from 1 again from the next block on: a parallel reader numbers each block's
  /// lines from its own start and adds the lines before it when it merges.
  void restart_lines() noexcept {
    line_ = 1;
    cursor_ = nullptr;
  }
  /// The line counted up to: after parse() of a whole block, 1 + the newlines in it.
  std::size_t line() const noexcept { return line_; }

 private:
  enum class status { ok, bad, stop };

  /// A field of the record being read: its key and the raw token of its value.
  struct entry {
    const jsonl_key* key;
    std::string_view token;  ///< from the value's first byte to the next structural (trailing blanks kept)
    double value;            ///< already parsed when `parsed`
    bool parsed;
  };

  std::uint64_t offset_of(const char* p) const noexcept {
    return base_offset_ + static_cast<std::uint64_t>(p - base_);
  }

  // One iterate_many pass from `pos`; returns where the next pass starts.
  const char* parse_stream(const char* pos, const char* e, bool may_retry = true) {
    const std::size_t len = static_cast<std::size_t>(e - pos);
    // One batch per block, so no batch ever splits a line; a power of two keeps the parser's
    // buffers from one block to the next (small inputs get small buffers).
    const std::size_t batch = std::bit_ceil(len < 4096 ? std::size_t(4096) : len);
    // Short runs between shaped lines get their own parser: one parser switching between a block's
    // batch size and a line's would reallocate its buffers at each switch.
    simdjson::ondemand::parser& parser = batch <= 4096 ? short_parser_ : stream_parser_;
    simdjson::ondemand::document_stream stream;
    if (parser.iterate_many(pos, len, batch).get(stream)) return parse_one_by_one(pos, e);

    auto it = stream.begin();
    // Nothing but blanks, or only an incomplete document (stage 1 reports EMPTY): read line by line.
    if (!(it != stream.end())) return parse_one_by_one(pos, e);
    // A stage-1 failure (bad UTF-8, unclosed string) fails the batch: no boundary can be trusted.
    if ((*it).error()) return parse_one_by_one(pos, e);
    // In its final batch, stage 1 silently drops an incomplete last document (and the document
    // before the cut may then read past the batch). That is the block's last line: stream up to
    // it, then read it alone.
    if (const std::size_t cut = stream.truncated_bytes()) {
      const char* cut_line = pos + (cut < len ? len - cut : 0);
      while (cut_line > pos && cut_line[-1] != '\n') --cut_line;
      if (!may_retry || cut_line == pos) return parse_one_by_one(pos, e);
      // Each pass may stop early at a bad line and say where to go on: follow it to the cut.
      for (const char* q = pos; q < cut_line && !stopped_;) q = parse_stream(q, cut_line, false);
      return parse_one_by_one(cut_line, e);
    }
    const char* last_ok = nullptr;  // start of the last document read
    for (; it != stream.end(); ++it) {
      // The first document of a batch is indexed from the batch's start, blanks included; the others from
      // their first byte. A record's offset must not depend on where a batch began (the fuzzer found one).
      const char* doc_start = skip_blanks(pos + it.current_index(), e);
      if (doc_start >= e) break;
      simdjson::ondemand::document_reference doc;
      if ((*it).get(doc)) {
        // A stream error after good documents: re-read the rest line by line.
        return parse_one_by_one(last_ok ? next_line(last_ok, e) : pos, e);
      }
      status s = read_doc(doc, doc_start, e);
      if (s == status::stop) return e;
      if (s == status::bad) {
        const char* ls = line_start_of(doc_start, pos);
        const char* next = next_line(ls, e);
        if (last_ok && line_start_of(last_ok, pos) == ls) {  // a second document on a line already read
          skip_record(line_at(doc_start), offset_of(doc_start), "",
                      "unreadable JSON after the first object: " + bad_message_);
        } else {
          read_line(ls, next, false);  // re-read this line alone: it reports the problem
        }
        line_at(next);
        return next;  // and stream again after it
      }
      last_ok = doc_start;
    }
    if (!persistent_) line_at(e);  // the block's memory is about to be reused
    return e;
  }

  // Lines of a learned shape are read here; a line of no known shape may teach one, else it joins a
  // run of lines that goes to simdjson, in order. Block cuts never change records (the streaming and parallel
  // readers rely on it), so reading a run of lines alone gives what reading the block would.
  void parse_shaped(const char* b, const char* e) {
    const char* p = b;
    const char* slow = nullptr;  // first line of the run waiting for simdjson
    const std::size_t first_line = line_;  // the number of line b when the input is not persistent (cursor_ == b)
    std::size_t lines = 0;  // lines passed: the newlines before p
    while (p < e && !stopped_) {
      // The next line's start from a newline search, not from the match: records then do not wait
      // for each other, and the processor overlaps them.
      const char* next = next_line(p, e);
      if (!match_known(p, e) && !(may_learn() && learn(p, next - 1) && match(shapes_[last_shape_], p, e))) {
        if (!slow) slow = p;
        p = next;
        ++lines;
        continue;
      }
      if (slow) {  // the run before this line comes first; it reuses the record scratch, so match again
        read_slow(slow, p);
        slow = nullptr;
        if (stopped_) return;
        (void)match(shapes_[last_shape_], p, e);  // same line, same shape (reading a run learns none): matches
      }
      ++shaped_records_;
      emit(shapes_[last_shape_].kind, p);
      p = next;
      ++lines;
    }
    if (slow && !stopped_) read_slow(slow, e);
    if (persistent_) return;
    // The block's memory is about to be reused: its lines are counted now, and every line of it was
    // passed above (each ends in a newline), so no search for newlines is needed.
    if (stopped_) {
      line_at(e);
    } else {
      line_ = first_line + lines;
      cursor_ = e;
    }
  }

  void read_slow(const char* b, const char* e) {
    const char* pos = b;
    while (pos < e && !stopped_) pos = parse_stream(pos, e);
  }

  // A line that matches no shape is worth learning from while learning pays: after 8 failures in a
  // row (a log whose lines are not flat, or all differ), only every 64th such line is tried.
  bool may_learn() noexcept { return learn_failures_ < 8 || (++learn_skipped_ & 63) == 0; }

  // Whether the line at `p` has a learned shape (then shapes_[last_shape_]), trying the last one first.
  bool match_known(const char* p, const char* e) {
    if (*p != '{') return false;
    const std::size_t n = shapes_.size();
    for (std::size_t k = 0; k < n; ++k) {
      std::size_t i = last_shape_ + k;
      if (i >= n) i -= n;
      if (match(shapes_[i], p, e)) {
        last_shape_ = i;
        return true;
      }
    }
    return false;
  }

  // Reads the line at `p` into the record scratch as gather() would, if it has shape `s`. Used numbers are
  // converted by json_number_value, as gather() converts them; one too large for a double leaves the line
  // to simdjson, whose path reports it.
  TRAINSCOPE_HOT_INLINE bool match(const jsonl_line_shape& s, const char* p, const char* e) {
    const char* q = p;
    entry_count_ = 0;
    slots_filled_ = 0;
    // Each value ends where its run of number bytes ends; the map tells that without waiting for the
    // value before. Bytes up to 64 past `e` are readable (padding).
    const auto left = static_cast<unsigned>(std::min<std::size_t>(static_cast<std::size_t>(e - p), 64 * number_byte_map::max_words));
    number_map_.build(p, std::min(s.map_words, (left + 63) / 64));
    for (const shape_value& v : s.values) {
      if (!v.before.matches(q, e, s.text)) return false;
      q += v.before.size;
      unsigned length = number_map_.run(static_cast<unsigned>(q - p));
      if (length == 0) [[unlikely]] {  // past the map, or no number here
        const json_number_span far = scan_json_number(q);
        if (!far.end) return false;
        length = static_cast<unsigned>(far.end - q);
      }
      // A value the record does not use is only delimited: the JSON parser does not read it either
      // (ondemand skips an unused value unchecked), so checking it here would change nothing.
      if (v.use == shape_use::check) {
        q += length;
        continue;
      }
      const json_number_span num = scan_json_number(q);
      if (num.end != q + length) return false;
      const std::string_view tok(q, length);
      switch (v.use) {
        case shape_use::check: break;
        case shape_use::step: {
          // gather() takes an integer up to step_limit; anything else is an entry emit() reads.
          if (num.integer() && num.int_digits <= 16) {
            const auto step = static_cast<std::int64_t>(digits_value(q + num.negative, num.int_digits));
            if (step <= step_limit) {
              step_ = num.negative ? -step : step;
              slots_filled_ |= slot_bit(jsonl_action::step);
              break;
            }
          }
          if (!push_number_entry(v.key, tok, num)) return false;
          break;
        }
        case shape_use::slot: {
          double x;
          if (!json_number_value(q, num, x)) return false;
          slot_[static_cast<unsigned>(v.action)] = x;
          slots_filled_ |= slot_bit(v.action);
          break;
        }
        case shape_use::entry:
          if (!push_number_entry(v.key, tok, num)) return false;
          break;
      }
      q += length;
    }
    if (!s.tail.matches(q, e, s.text)) return false;
    q += s.tail.size;
    while (*q == ' ' || *q == '\t' || *q == '\r') ++q;
    return *q == '\n';
  }

  // An entry as gather() makes it: a value starting with a digit converted now, others in emit(). A value
  // too large for a double leaves the line to simdjson's path, which reports it.
  TRAINSCOPE_HOT_INLINE bool push_number_entry(const jsonl_key* key, std::string_view tok, const json_number_span& num) {
    double x = 0;
    const bool digit = tok[0] != '-';
    if (digit && !json_number_value(tok.data(), num, x)) return false;
    push_entry(key, tok);
    entry& en = entries_[entry_count_ - 1];
    en.parsed = digit;
    en.value = x;
    return true;
  }

  // Learns the shape of the line [b, nl) (`nl` at its '\n') if it is one flat object of printable-ASCII
  // keys and scalar values whose used fields are numbers, and it makes a train or eval record.
  bool learn(const char* b, const char* nl) {
    const bool learned = learn_shape(b, nl);
    learn_failures_ = learned ? 0 : learn_failures_ + 1;
    return learned;
  }

  bool learn_shape(const char* b, const char* nl) {
    const char* p = b;
    if (*p != '{') return false;
    auto blanks = [&] {
      while (*p == ' ' || *p == '\t') ++p;
    };
    auto ascii_string = [](const char* q) -> const char* {  // q at '"'; past the closing quote, or nullptr
      ++q;
      for (auto c = static_cast<unsigned char>(*q); c >= 0x20 && c < 0x7F && c != '"' && c != '\\';
           c = static_cast<unsigned char>(*++q)) {
      }
      return *q == '"' ? q + 1 : nullptr;
    };
    jsonl_line_shape s;
    const char* literal_from = b;
    auto close_literal = [&](const char* to, shape_literal& lit) {
      lit.begin = static_cast<std::uint32_t>(s.text.size());
      lit.size = static_cast<std::uint32_t>(to - literal_from);
      s.text.append(literal_from, to);
    };
    unsigned flags = 0, taken = 0;
    std::size_t pos = 0;
    type_values_.clear();
    ++p;
    blanks();
    for (;;) {
      if (*p != '"') return false;
      const char* key_end = ascii_string(p);
      if (!key_end) return false;
      const std::string_view raw(p + 1, static_cast<std::size_t>(key_end - p - 2));
      const jsonl_key* key = keys_.find(pos++, raw, [&] { return std::string(raw); });
      flags |= key->flags;
      const jsonl_action a = key->action;
      const bool used = !(a == jsonl_action::skip || a == jsonl_action::type || (a == jsonl_action::extra && !keep_extra_));
      p = key_end;
      blanks();
      if (*p != ':') return false;
      ++p;
      blanks();
      if (*p == '-' || (*p >= '0' && *p <= '9')) {
        const json_number_span num = scan_json_number(p);
        if (!num.end) return false;
        shape_value v;
        close_literal(p, v.before);
        v.key = key;
        v.action = a;
        if (!used) v.use = shape_use::check;
        else if (is_slot_action(a) && !(taken & slot_bit(a))) v.use = a == jsonl_action::step ? shape_use::step : shape_use::slot;
        else v.use = shape_use::entry;
        if (is_slot_action(a) && used) taken |= slot_bit(a);
        s.values.push_back(v);
        p = num.end;
        literal_from = p;
      } else {
        if (used) return false;  // a string, null or bool where a number is read: simdjson's path
        const char* value = p;
        if (*p == '"') p = ascii_string(p);
        else if (std::memcmp(p, "true", 4) == 0 || std::memcmp(p, "null", 4) == 0) p += 4;
        else if (std::memcmp(p, "false", 5) == 0) p += 5;
        else return false;
        if (!p) return false;
        if (a == jsonl_action::type) type_values_.push_back({key, std::string_view(value, static_cast<std::size_t>(p - value))});
      }
      blanks();
      if (*p == ',') {
        ++p;
        blanks();
        continue;
      }
      if (*p != '}') return false;
      ++p;
      break;
    }
    close_literal(p, s.tail);
    while (*p == ' ' || *p == '\t' || *p == '\r') ++p;
    if (p != nl) return false;
    // The record's kind, as gather() and classify() decide it from these keys and type values.
    entry_count_ = 0;
    for (const auto& [key, value] : type_values_) push_entry(key, value);
    s.kind = classify(flags);
    entry_count_ = 0;
    if (s.kind != record_kind::train && s.kind != record_kind::eval) return false;
    for (shape_value& v : s.values) v.before.seal(s.text);
    s.map_words = std::min<unsigned>(number_byte_map::max_words, static_cast<unsigned>(nl - b + 32) / 64 + 1);
    s.tail.seal(s.text);
    if (shapes_.size() < max_shapes) {
      shapes_.push_back(std::move(s));
      last_shape_ = shapes_.size() - 1;
    } else {
      last_shape_ = next_evicted_;
      shapes_[next_evicted_] = std::move(s);
      next_evicted_ = (next_evicted_ + 1) % max_shapes;
    }
    return true;
  }

  // Re-reads [b, e) one line at a time; `b` starts a line.
  const char* parse_one_by_one(const char* b, const char* e) {
    const char* p = b;
    while (p < e && !stopped_) {
      const char* next = next_line(p, e);
      if (!is_blank(p, next)) read_line(p, next, false);
      p = next;
    }
    if (!persistent_) line_at(e);  // the block's memory is about to be reused
    return e;
  }

  // Line numbers are counted lazily: (cursor_, line_) is a line start and its number, moved
  // forward only when a number is needed (an issue, a callback's record.line) or a pass ends.
  std::size_t line_at(const char* p) noexcept {
    if (p <= cursor_) return line_;
    if (std::size_t n = count_newlines(cursor_, p)) {
      line_ += n;
      cursor_ = line_start_of(p, cursor_);
    }
    return line_;
  }

  static const char* line_start_of(const char* p, const char* lower) noexcept {
    while (p > lower && p[-1] != '\n') --p;
    return p;
  }

  static const char* next_line(const char* p, const char* e) noexcept {
    auto* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(e - p)));
    return nl ? nl + 1 : e;
  }

  // memchr is vectorised in every libc; a plain byte loop here was not (g++ 12 -O2).
  static std::size_t count_newlines(const char* b, const char* e) noexcept {
    std::size_t n = 0;
    while (b < e) {
      auto* nl = static_cast<const char*>(std::memchr(b, '\n', static_cast<std::size_t>(e - b)));
      if (!nl) break;
      ++n;
      b = nl + 1;
    }
    return n;
  }

  // One line on its own (the padding after it is the rest of the input, readable).
  void read_line(const char* b, const char* e, bool last) {
    std::string_view text = trim_right(std::string_view(b, static_cast<std::size_t>(e - b)));
    if (text.empty()) return;
    simdjson::ondemand::document doc;
    auto err = line_parser_.iterate(text.data(), text.size(), text.size() + input_padding).get(doc);
    // The document starts at its first byte, after any leading blanks, as in a stream: a record's offset
    // must not depend on which way its line was read (the fuzzer found one that did).
    status s = err ? status::bad : read_doc(doc, skip_blanks(b, b + text.size()), b + text.size());
    if (err) bad_message_ = std::string("not valid JSON (") + simdjson::error_message(err) + ")";
    if (s == status::bad) {
      if (last) sink_.diagnostics().truncated_last_line = true;
      skip_record(line_at(b), offset_of(b), "",
                  last ? "last line cut off or malformed, skipped: " + bad_message_ : bad_message_);
    }
  }

  void skip_record(std::size_t line, std::uint64_t offset, std::string field, std::string message) {
    if (fail_on_bad_) return fail(line, offset, std::move(field), std::move(message));
    auto& d = sink_.diagnostics();
    ++d.skipped_records;
    d.add_issue({line, offset, std::move(field), std::move(message)});
  }

  void skip_value(std::size_t line, std::uint64_t offset, std::string field, std::string message) {
    if (fail_on_bad_) return fail(line, offset, std::move(field), std::move(message));
    auto& d = sink_.diagnostics();
    ++d.skipped_values;
    d.add_issue({line, offset, std::move(field), std::move(message)});
  }

  void fail(std::size_t line, std::uint64_t offset, std::string field, std::string message) {
    if (stopped_) return;
    failure_.code = errc::malformed;
    failure_.file = path_;
    failure_.line = line;
    failure_.byte_offset = offset;
    failure_.field = std::move(field);
    failure_.message = std::move(message);
    stopped_ = true;
  }

  status bad(simdjson::error_code err, const char* what) {
    bad_message_ = std::string(what) + " (" + simdjson::error_message(err) + ")";
    return status::bad;
  }

  // Reads one document in two steps. First every field's key is classified (cached) and its
  // value's token noted, which is all ondemand has to look at; then the record is classified
  // from its keys, and only the values that kind of record uses are parsed.
  template <class Doc>
  status read_doc(Doc& doc, const char* doc_start, const char* end) {
    unsigned flags = 0;
    if (status s = gather(doc, end, false, flags); s != status::ok) return s;
    const record_kind kind = classify(flags);
    if (kind == record_kind::config || kind == record_kind::summary) {
      doc.rewind();  // rare records that keep every field as text: read again, keeping all
      if (status s = gather(doc, end, true, flags); s != status::ok) return s;
    }
    // One line, one value: anything after it on the same line makes the line bad (in a stream
    // the next document starts there; read alone, the line has more tokens).
    // Checked from the next token (OUT_OF_BOUNDS: none, then from the end) back to this object's
    // '}': only blanks between, and a newline if a token follows. Bytes that are no token (stray
    // non-ASCII after the brace) are caught here too.
    const char* next_token = nullptr;
    bool more = !doc.current_location().get(next_token);
    if (more && next_token >= end) {
      // ondemand ran past the batch's last token (stage 1 indexed less than the object, e.g. at
      // stray control bytes) and took a byte after the batch for the closing brace.
      bad_message_ = "malformed object (its closing brace was not found on the line)";
      return status::bad;
    }
    if (!more) {
      // No next token is not always the batch's end: in a stream, a next document that stage 1 could not
      // index (invalid UTF-8 right after the brace) looks the same, and the scan back from the batch's end
      // would then find a stray '}' later on the line (the fuzzer found `{...}\xFF}` read as a record in
      // some block layouts only). The document's own extent ends where the next one begins.
      std::string_view raw;
      if (!doc.raw_json().get(raw) && raw.data() + raw.size() < end) {
        next_token = raw.data() + raw.size();
        more = skip_blanks(next_token, end) < end;
      }
    }
    const char* q = more ? next_token : end;
    bool newline = false;
    while (q > doc_start && (q[-1] == ' ' || q[-1] == '\t' || q[-1] == '\r' || q[-1] == '\n')) newline |= *--q == '\n';
    if (q == doc_start || q[-1] != '}' || (more && !newline)) {
      bad_message_ = "more than one JSON value on the line, or bytes after the object";
      return status::bad;
    }
    // And the object is on one line: a stream would take an object broken over lines whole,
    // a line read alone could not; the result must not depend on which way a line was read.
    if (std::memchr(doc_start, '\n', static_cast<std::size_t>(q - doc_start))) [[unlikely]] {
      bad_message_ = "object spans more than one line";
      return status::bad;
    }
    return emit(kind, doc_start);
  }

  // Reads every field; keeps the (key, token) of those a train or eval record uses, or all of them.
  template <class Doc>
  status gather(Doc& doc, const char* end, bool all, unsigned& flags) {
    simdjson::ondemand::object obj;
    if (auto err = doc.get_object().get(obj))
      return bad(err, err == simdjson::INCORRECT_TYPE ? "not a JSON object" : "not valid JSON");
    std::size_t pos = 0;
    entry_count_ = 0;
    slots_filled_ = 0;
    unsigned slots_taken = 0;
    for (auto field_result : obj) {
      if (auto err = field_result.error()) return bad(err, "not valid JSON");
      // By reference: copying the field out of its result cost a store-forwarding stall per field.
      simdjson::ondemand::field& field = field_result.value_unsafe();
      const char* raw = field.key().raw();
      const jsonl_key* key = keys_.by_position(pos, raw, end);
      if (!key) [[unlikely]] {
        key = keys_.find(pos, std::string_view(raw, raw_string_length(raw)), [&] {
          std::string_view u;
          if (field.unescaped_key().get(u)) return std::string(raw, raw_string_length(raw));
          return std::string(u);
        });
      }
      ++pos;
      flags |= key->flags;
      const jsonl_action action = key->action;
      // A skipped value is never looked at: ondemand steps over it when the next field is asked for.
      if (!all && (action == jsonl_action::skip || (action == jsonl_action::extra && !keep_extra_))) continue;
      simdjson::ondemand::value value = field.value();
      // The first field of a one-value role (step, loss, lr...) that is a plain JSON number goes straight
      // to its slot: no token, no entry. Anything else (a later alias, a string, NaN, a malformed number)
      // becomes an entry and is read in emit() as always, in field order, so the record is the same.
      // get_int64 / get_double consume the value only when they succeed: the entry path can still read it.
      if (!all && is_slot_action(action) && !(slots_taken & slot_bit(action))) {
        slots_taken |= slot_bit(action);
        if (action == jsonl_action::step) {
          std::int64_t step;
          if (!value.get_int64().get(step)) {
            if (step >= -step_limit && step <= step_limit) {
              step_ = step;
              slots_filled_ |= slot_bit(action);
              continue;
            }
            // Read, so no token is left: a JSON integer's text is its decimal digits, kept for the message.
            step_text_ = std::to_string(step);
            if (!push_entry(key, step_text_)) return bad(simdjson::TAPE_ERROR, "not valid JSON");
            continue;
          }
        } else if (json_token_value(value.raw_json_token(), slot_[static_cast<unsigned>(action)])) {
          slots_filled_ |= slot_bit(action);
          continue;
        }
      }
      std::string_view tok = value.raw_json_token();
      if (!push_entry(key, tok)) return bad(simdjson::TAPE_ERROR, "not valid JSON");
      if (!all && tok[0] >= '0' && tok[0] <= '9') {
        entry& en = entries_[entry_count_ - 1];
        en.parsed = json_token_value(tok, en.value);
      }
    }
    return status::ok;
  }

  // A JSON number token (trailing blanks allowed) as a double, converted by json_number_value rather
  // than simdjson's get_double: simdjson 3.0.1 misreads some numbers of more than 19 digits
  // (0.5502720475196837777777777778 comes out as 1.27e-09), and both reading paths must agree.
  // The token lies in the padded input, so reading 32 bytes from its start is safe.
  static bool json_token_value(std::string_view tok, double& out) noexcept {
    if (tok.empty() || !((tok[0] >= '0' && tok[0] <= '9') || tok[0] == '-')) return false;
    const json_number_span num = scan_json_number(tok.data());
    if (!num.end || num.end > tok.data() + tok.size()) return false;
    if (!trim_right(std::string_view(num.end, static_cast<std::size_t>(tok.data() + tok.size() - num.end))).empty())
      return false;
    return json_number_value(tok.data(), num, out);
  }

  // Roles with one value per record, read into slot_ when plain numbers (the step into step_).
  static constexpr bool is_slot_action(jsonl_action a) noexcept {
    return a == jsonl_action::step || a == jsonl_action::loss || a == jsonl_action::val_loss ||
           a == jsonl_action::lr || a == jsonl_action::epoch || a == jsonl_action::wall_time ||
           a == jsonl_action::grad_norm;
  }
  static constexpr unsigned slot_bit(jsonl_action a) noexcept { return 1u << static_cast<unsigned>(a); }
  // Steps beyond this are not taken (as_integer's bound: a double holds every integer up to it).
  static constexpr std::int64_t step_limit = 9'000'000'000'000'000;

  // Notes a field for emit(); false for a missing value ("loss": ,), which a stream and a line read
  // alone would not skip over alike.
  bool push_entry(const jsonl_key* key, std::string_view tok) {
    if (tok.empty() || tok[0] == ',' || tok[0] == '}' || tok[0] == ']' || tok[0] == ':') [[unlikely]]
      return false;
    if (entry_count_ == entries_.size()) [[unlikely]] entries_.resize(entry_count_ ? 2 * entry_count_ : 64);
    entry& en = entries_[entry_count_++];
    en.key = key;
    en.token = tok;
    en.parsed = false;
    return true;
  }

  // The record's kind, from the flags of its keys (and the value of an explicit "type"/"kind").
  record_kind classify(unsigned flags) {
    if (flags & jsonl_flag::type) {
      for (std::size_t i = 0; i < entry_count_; ++i) {
        const entry& en = entries_[i];
        record_kind k;
        if (en.key->kind == jsonl_key_kind::type && kind_from_text(string_value(en.token), k)) return k;
      }
    }
    if (flags & jsonl_flag::summary) return record_kind::summary;
    if (flags & jsonl_flag::val) return record_kind::eval;
    if (((flags & jsonl_flag::model) && !(flags & jsonl_flag::loss)) || !(flags & jsonl_flag::metric))
      return record_kind::config;
    return record_kind::train;
  }

  // Text of a string token (unescaped when it has escapes), or the trimmed token of anything else.
  std::string_view string_value(std::string_view tok) {
    tok = trim_right(tok);
    if (tok.size() < 2 || tok.front() != '"' || tok.back() != '"') return tok;
    std::string_view inner = tok.substr(1, tok.size() - 2);
    if (inner.find('\\') == std::string_view::npos) return inner;
    unescaped_used_ = true;
    return unescaped_.emplace_back(unescape_json(inner));
  }

  enum class number_status { ok, null, not_a_number };

  // A value as a number: JSON numbers, Python's NaN / Infinity / -Infinity, and numbers written as
  // strings ("1.5", "nan"); null is an absent value.
  number_status to_number(std::string_view tok, double& out) {
    const char c = tok[0];
    if ((c >= '0' && c <= '9') || c == '-') {
      const char* b = tok.data();
      const char* e = b + tok.size();
      // Whole numbers (steps) by hand: the common case, and cheaper than a call. (An inline
      // Clinger fast path for decimals measured slower than from_chars on 16-17 digit values.)
      const char* p = b + (c == '-');
      std::uint64_t v = 0;
      const char* digits = p;
      while (p < e && *p >= '0' && *p <= '9' && p - digits < 15) v = v * 10 + static_cast<unsigned>(*p++ - '0');
      if (p > digits && (p == e || *p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') &&
          trim_right(std::string_view(p, static_cast<std::size_t>(e - p))).empty()) {
        out = c == '-' ? -static_cast<double>(v) : static_cast<double>(v);
        return number_status::ok;
      }
      // from_chars (fast_float in libstdc++ 12); a tiny value is zero, as json_number_value has it.
      if (decimal_to_double(b, b + trim_right(tok).size(), out)) return number_status::ok;
      return non_finite_token(tok, out) ? number_status::ok : number_status::not_a_number;
    }
    if (c == 'N' || c == 'I') return non_finite_token(tok, out) ? number_status::ok : number_status::not_a_number;
    if (c == 'n') return trim_right(tok) == "null" ? number_status::null : number_status::not_a_number;
    if (c == '"') {
      std::string_view s = string_value(tok);
      return number_in_text(s, out) || parse_number_text(s, out) ? number_status::ok : number_status::not_a_number;
    }
    return number_status::not_a_number;
  }

  static bool parse_number_text(std::string_view s, double& out) noexcept {
    // The whole text must be a number; from_chars also refuses leading blanks and '+'.
    if (s.empty()) return false;
    double v;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size()) return false;
    out = v;
    return true;
  }

  status emit(record_kind kind, const char* doc_start) {
    if (unescaped_used_) {  // a flag, not unescaped_.empty(): the deque's iterators are cold
      unescaped_.clear();
      unescaped_used_ = false;
    }
    // A record of plain one-value roles (most records) goes to a sink that takes it so without being
    // built as a `record` (the sink's builder, or a parallel batch, would take that apart again). The sink
    // has it written where it keeps it: a copy of a freshly written struct stalls on store forwarding.
    if constexpr (requires(Sink& s) { s.emit_values([](record_values&) {}); }) {
      if (entry_count_ == 0 && (kind == record_kind::train || kind == record_kind::eval)) {
        static constexpr jsonl_action roles[record_values::roles] = {jsonl_action::loss,  jsonl_action::val_loss,
                                                                     jsonl_action::lr,    jsonl_action::epoch,
                                                                     jsonl_action::wall_time, jsonl_action::grad_norm};
        const bool emitted = sink_.emit_values([&](record_values& v) {
          // Every slot is copied; `present` says which ones hold this record's values.
          unsigned present = (slots_filled_ & slot_bit(jsonl_action::step)) ? record_values::step_bit : 0u;
          for (unsigned i = 0; i < record_values::roles; ++i) {
            const auto slot = static_cast<unsigned>(roles[i]);
            v.values[i] = slot_[slot];
            present |= ((slots_filled_ >> slot) & 1u) << i;
          }
          v.kind = kind;
          v.present = static_cast<std::uint8_t>(present);
          v.step = step_;
        });
        if (!emitted) stopped_ = true;
        return stopped_ ? status::stop : status::ok;
      }
    }
    record r;
    r.kind = kind;
    if constexpr (Sink::needs_line) r.line = line_at(doc_start);
    const std::uint64_t offset = r.byte_offset = offset_of(doc_start);
    if (kind == record_kind::config || kind == record_kind::summary) {
      fields_.clear();
      model_shape* model = kind == record_kind::config ? sink_.model() : nullptr;
      for (std::size_t i = 0; i < entry_count_; ++i) {
        const entry& en = entries_[i];
        if (en.token[0] == '{' || en.token[0] == '[') continue;  // scalars only
        fields_.emplace_back(std::string_view(en.key->name), string_value(en.token));
        if (model && (en.key->flags & jsonl_flag::model)) set_model(*model, *en.key, en.token);
      }
      r.fields = fields_;
    } else {
      named_.clear();
      groups_.clear();
      extra_.clear();
      if (slots_filled_) {  // the roles gather() read straight from plain numbers
        if (slots_filled_ & slot_bit(jsonl_action::step)) r.step = step_;
        auto take = [&](jsonl_action a, std::optional<double>& out) {
          if (slots_filled_ & slot_bit(a)) out = slot_[static_cast<unsigned>(a)];
        };
        take(jsonl_action::loss, r.loss);
        take(jsonl_action::val_loss, r.val_loss);
        take(jsonl_action::lr, r.lr);
        take(jsonl_action::epoch, r.epoch);
        take(jsonl_action::wall_time, r.wall_time_s);
        take(jsonl_action::grad_norm, r.grad_norm);
      }
      for (std::size_t i = 0; i < entry_count_; ++i) {
        const entry& en = entries_[i];
        const jsonl_key& k = *en.key;
        jsonl_action action = k.action;
        if (action == jsonl_action::skip || action == jsonl_action::type) continue;
        if (action == jsonl_action::extra && !keep_extra_) continue;
        double v = en.value;
        const number_status ns = en.parsed ? number_status::ok : to_number(en.token, v);
        if (ns != number_status::ok) [[unlikely]] {
          if (action == jsonl_action::step && !r.step) {
            // Without its step a record's values cannot be placed: skipped whole, not misplaced.
            skip_record(line_at(doc_start), offset, k.name,
                        "step is not a number, record skipped: " + std::string(trim_right(en.token).substr(0, 40)));
            return stopped_ ? status::stop : status::ok;
          }
          if (ns == number_status::not_a_number && action != jsonl_action::extra) value_issue(line_at(doc_start), offset, k.name, en);
          continue;
        }
        switch (action) {
          case jsonl_action::step: {
            if (r.step) break;
            std::int64_t s;
            if (!as_integer(v, s)) {
              skip_record(line_at(doc_start), offset, k.name,
                          "step is not a whole number, record skipped: " +
                              std::string(trim_right(en.token).substr(0, 40)));
              return stopped_ ? status::stop : status::ok;
            }
            r.step = s;
            continue;
          }
          case jsonl_action::loss: if (!r.loss) { r.loss = v; continue; } break;
          case jsonl_action::val_loss: if (!r.val_loss) { r.val_loss = v; continue; } break;
          case jsonl_action::named_val_loss: named_.push_back({k.set_name, v}); continue;
          case jsonl_action::lr: if (!r.lr) { r.lr = v; continue; } break;
          case jsonl_action::epoch: if (!r.epoch) { r.epoch = v; continue; } break;
          case jsonl_action::wall_time: if (!r.wall_time_s) { r.wall_time_s = v; continue; } break;
          case jsonl_action::grad_norm: if (!r.grad_norm) { r.grad_norm = v; continue; } break;
          case jsonl_action::lr_group: groups_.push_back({k.name, v}); continue;
          default: break;
        }
        if (keep_extra_ && !(skip_columns_ & columns::extra)) extra_.push_back({k.name, v});  // no role, or a 2nd alias
      }
      if (stopped_) return status::stop;
      r.named_val_losses = named_;
      r.lr_groups = groups_;
      r.extra = extra_;
    }
    if (!sink_.emit(r)) stopped_ = true;
    return stopped_ ? status::stop : status::ok;
  }

  void value_issue(std::size_t line, std::uint64_t offset, const std::string& field, const entry& en) {
    std::string shown(trim_right(en.token).substr(0, 40));
    const char c = en.token[0];
    const char* what = (c == '{' || c == '[') ? "value is an object or array, not a number; skipped: "
                                              : "value is not a number, skipped: ";
    skip_value(line, offset, field, what + shown);
  }

  void set_model(model_shape& m, const jsonl_key& k, std::string_view tok) {
    double v;
    if (to_number(tok, v) != number_status::ok) return;
    std::int64_t i;
    switch (k.role) {
      case metric_role::n_layer: if (as_integer(v, i)) m.n_layer = i; break;
      case metric_role::n_head: if (as_integer(v, i)) m.n_head = i; break;
      case metric_role::n_embd: if (as_integer(v, i)) m.n_embd = i; break;
      case metric_role::block_size: if (as_integer(v, i)) m.block_size = i; break;
      case metric_role::dropout: m.dropout = v; break;
      default: break;
    }
  }

  Sink& sink_;
  std::string path_;
  jsonl_key_cache keys_;
  bool fail_on_bad_ = false;
  unsigned skip_columns_ = 0;
  bool keep_extra_ = true;
  bool stopped_ = false;
  error failure_;
  std::string bad_message_;

  simdjson::ondemand::parser stream_parser_;
  simdjson::ondemand::parser short_parser_;
  simdjson::ondemand::parser line_parser_;
  const char* base_ = nullptr;
  std::uint64_t base_offset_ = 0;
  bool persistent_ = false;
  std::size_t line_ = 1;       // 1-based number of the line at cursor_
  const char* cursor_ = nullptr;

  std::vector<entry> entries_;
  std::size_t entry_count_ = 0;
  double slot_[16] = {};      // by jsonl_action: the one-value roles read as plain numbers
  std::int64_t step_ = 0;
  unsigned slots_filled_ = 0;  // slot_bit() of each role in slot_ / step_ for this record
  std::string step_text_;      // a step read but out of range, for its message
  std::deque<std::string> unescaped_;  // a deque: views into earlier strings survive a push
  bool unescaped_used_ = false;
  std::vector<text_field> fields_;
  std::vector<named_value> named_, groups_, extra_;

  static constexpr std::size_t max_shapes = 8;
  bool shapes_on_ = true;
  std::vector<jsonl_line_shape> shapes_;
  std::size_t last_shape_ = 0, next_evicted_ = 0;
  std::size_t shaped_records_ = 0;
  unsigned learn_failures_ = 0, learn_skipped_ = 0;
  number_byte_map number_map_;
  std::vector<std::pair<const jsonl_key*, std::string_view>> type_values_;
};

}  // namespace trainscope::inline v1::io::detail
