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

#include <bit>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "trainscope/core/record.hpp"
#include "trainscope/core/run.hpp"
#include "trainscope/io/detail/input.hpp"
#include "trainscope/io/detail/jsonl_keys.hpp"
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

inline bool is_blank(const char* b, const char* e) noexcept {
  for (; b != e; ++b)
    if (*b != ' ' && *b != '\t' && *b != '\r' && *b != '\n') return false;
  return true;
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
  if (!std::isfinite(d) || d != std::floor(d) || std::fabs(d) > 9.0e15) return false;
  out = static_cast<std::int64_t>(d);
  return true;
}

/**
 * Reads JSONL into a sink. `Sink` provides:
 *   bool emit(const record&)          // false stops reading
 *   read_diagnostics& diagnostics()
 *   model_shape* model()              // where config records' model shape goes, or nullptr
 * Amortised O(bytes); memory is the parser (about 6x the block) plus per-record scratch.
 */
template <class Sink>
class jsonl_parser {
 public:
  jsonl_parser(Sink& sink, std::string path, const read_options& opts)
      : sink_(sink), path_(std::move(path)), keys_(opts.keys), fail_on_bad_(opts.on_bad_record == bad_record_policy::fail) {}

  /// Whether numeric fields without a role are read into record.extra (they cost time and memory).
  void keep_extra(bool keep) noexcept { keep_extra_ = keep; }

  /**
   * Reads the whole lines in [b, e): `e` is just past a '\n', `input_padding` bytes after it are
   * readable, and `offset` is the input offset of `b`. Returns false once reading must stop.
   */
  bool parse(const char* b, const char* e, std::uint64_t offset) {
    base_ = b;
    base_offset_ = offset;
    const char* pos = b;
    while (pos < e && !stopped_) pos = parse_stream(pos, e);
    return !stopped_;
  }

  /// Reads the input's last line, which has no newline (a cut-off line is counted as truncated).
  bool parse_last_line(const char* b, const char* e, std::uint64_t offset) {
    base_ = b;
    base_offset_ = offset;
    if (!is_blank(b, e)) read_line(b, e, /*last=*/true);
    return !stopped_;
  }

  bool failed() const noexcept { return failure_.code != errc::none; }
  const error& failure() const noexcept { return failure_; }
  std::size_t lines() const noexcept { return line_ - 1; }

 private:
  enum class status { ok, bad, stop };

  struct entry {
    enum type_t : std::uint8_t { number, text, boolean, null, nested, bad_number, unparsed_number };
    const jsonl_key* key;
    std::string_view token;  ///< raw value token (trailing blanks included), or unescaped string for text
    double value;
    type_t type;
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
    simdjson::ondemand::document_stream stream;
    if (stream_parser_.iterate_many(pos, len, batch).get(stream)) return parse_one_by_one(pos, e);

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
      parse_stream(pos, cut_line, false);
      return parse_one_by_one(cut_line, e);
    }
    const char* scan = pos;        // newlines before `scan` are counted in line_
    const char* line_start = pos;  // start of line line_
    const char* last_ok_line = nullptr;
    std::size_t last_ok_line_no = 0;
    for (; it != stream.end(); ++it) {
      const char* doc_start = pos + it.current_index();
      if (doc_start >= e) break;
      while (scan < doc_start) {
        auto* nl = static_cast<const char*>(std::memchr(scan, '\n', static_cast<std::size_t>(doc_start - scan)));
        if (!nl) break;
        ++line_;
        scan = line_start = nl + 1;
      }
      scan = doc_start;
      simdjson::ondemand::document_reference doc;
      if ((*it).get(doc)) {
        // A stream error after good documents: re-read the rest line by line.
        if (!last_ok_line) return parse_one_by_one(line_start, e);
        line_ = last_ok_line_no + 1;
        return parse_one_by_one(next_line(last_ok_line, e), e);
      }
      status s = read_doc(doc, line_, offset_of(doc_start), e);
      if (s == status::stop) return e;
      if (s == status::bad) {
        if (line_start == last_ok_line) {  // a second document on a line already read
          skip_record(line_, offset_of(doc_start), "", std::string("unreadable JSON after the first object: ") +
                                                           bad_message_);
          const char* next = next_line(line_start, e);
          if (next[-1] == '\n') ++line_;
          return next;
        }
        // Re-read this line alone (it reports the problem), then stream again after it.
        const char* next = next_line(line_start, e);
        read_line(line_start, next, false);
        if (next[-1] == '\n') ++line_;
        return next;
      }
      last_ok_line = line_start;
      last_ok_line_no = line_;
    }
    line_ += count_newlines(scan, e);
    return e;
  }

  // Re-reads [b, e) one line at a time; line_ is the number of the line at `b`.
  const char* parse_one_by_one(const char* b, const char* e) {
    const char* p = b;
    while (p < e && !stopped_) {
      const char* next = next_line(p, e);
      if (!is_blank(p, next)) read_line(p, next, false);
      if (next[-1] == '\n') ++line_;
      p = next;
    }
    return e;
  }

  static const char* next_line(const char* p, const char* e) noexcept {
    auto* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(e - p)));
    return nl ? nl + 1 : e;
  }

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
    status s = err ? status::bad : read_doc(doc, line_, offset_of(b), b + text.size());
    if (err) bad_message_ = std::string("not valid JSON (") + simdjson::error_message(err) + ")";
    if (s == status::bad) {
      if (last) sink_.diagnostics().truncated_last_line = true;
      skip_record(line_, offset_of(b), "",
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

  // Reads one document: every field's key is classified (cached) and its value kept, then the
  // record is classified, then the values are given their meaning for that kind.
  template <class Doc>
  status read_doc(Doc& doc, std::size_t line, std::uint64_t offset, const char* end) {
    simdjson::ondemand::object obj;
    if (auto err = doc.get_object().get(obj))
      return bad(err, err == simdjson::INCORRECT_TYPE ? "not a JSON object" : "not valid JSON");
    entries_.clear();
    std::size_t pos = 0;
    for (auto field_result : obj) {
      simdjson::ondemand::field field;
      if (auto err = std::move(field_result).get(field)) return bad(err, "not valid JSON");
      const char* raw = field.key().raw();
      const jsonl_key* key = keys_.by_position(pos, raw, end);
      if (!key) {
        key = keys_.find(pos, std::string_view(raw, raw_string_length(raw)), [&] {
          std::string_view u;
          if (field.unescaped_key().get(u)) return std::string(raw, raw_string_length(raw));
          return std::string(u);
        });
      }
      ++pos;
      simdjson::ondemand::value v = field.value();
      std::string_view tok = v.raw_json_token();
      if (tok.empty()) return bad(simdjson::TAPE_ERROR, "not valid JSON");
      const bool numeric = key->kind == jsonl_key_kind::role || key->kind == jsonl_key_kind::lr_group ||
                           key->kind == jsonl_key_kind::summary || keep_extra_;
      entry en{key, tok, 0.0, entry::number};
      switch (tok[0]) {
        case '-':
        case '0': case '1': case '2': case '3': case '4':
        case '5': case '6': case '7': case '8': case '9':
          if (!numeric) {
            en.type = entry::unparsed_number;
          } else if (v.get_double().get(en.value)) {
            if (!non_finite_token(tok, en.value)) en.type = entry::bad_number;
          }
          break;
        case 'N': case 'I':
          if (!non_finite_token(tok, en.value)) return bad(simdjson::N_ATOM_ERROR, "not valid JSON");
          break;
        case '"': {
          std::string_view s;
          if (auto err = v.get_string().get(s)) return bad(err, "not valid JSON");
          en.token = s;
          en.type = entry::text;
          if (key->kind == jsonl_key_kind::role || key->kind == jsonl_key_kind::lr_group) {
            // Loggers that write numbers as strings: accept "1.5" and "nan", refuse "abc".
            double d;
            if (number_in_text(s, d) || parse_number_text(s, d)) {
              en.value = d;
              en.type = entry::number;
            }
          }
          break;
        }
        case 't':
          if (trim_right(tok) != "true") return bad(simdjson::T_ATOM_ERROR, "not valid JSON");
          en.type = entry::boolean;
          break;
        case 'f':
          if (trim_right(tok) != "false") return bad(simdjson::F_ATOM_ERROR, "not valid JSON");
          en.type = entry::boolean;
          break;
        case 'n':
          if (trim_right(tok) != "null") return bad(simdjson::N_ATOM_ERROR, "not valid JSON");
          en.type = entry::null;
          break;
        case '{': case '[':
          en.type = entry::nested;
          break;
        default:
          return bad(simdjson::TAPE_ERROR, "not valid JSON");
      }
      entries_.push_back(en);
    }
    return emit(classify(), line, offset);
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

  // Decides the record's kind before any value is given a meaning.
  record_kind classify() const noexcept {
    bool summary = false, val = false, loss = false, metric = false, model = false;
    for (const auto& en : entries_) {
      const jsonl_key& k = *en.key;
      if (k.kind == jsonl_key_kind::type && en.type == entry::text) {
        record_kind explicit_kind;
        if (kind_from_text(en.token, explicit_kind)) return explicit_kind;
      }
      summary |= k.kind == jsonl_key_kind::summary;
      metric |= k.kind == jsonl_key_kind::lr_group;
      if (k.kind != jsonl_key_kind::role) continue;
      switch (k.role) {
        case metric_role::val_loss: case metric_role::named_val_loss: val = loss = metric = true; break;
        case metric_role::train_loss: loss = metric = true; break;
        case metric_role::step: case metric_role::epoch: case metric_role::grad_norm: metric = true; break;
        case metric_role::n_layer: case metric_role::n_head: case metric_role::n_embd:
        case metric_role::block_size: case metric_role::dropout: model = true; break;
        default: break;
      }
    }
    // Check every field for "type" first: it may come after the keys that suggest otherwise.
    if (summary) return record_kind::summary;
    if (val) return record_kind::eval;
    if ((model && !loss) || !metric) return record_kind::config;
    return record_kind::train;
  }

  status emit(record_kind kind, std::size_t line, std::uint64_t offset) {
    record r;
    r.kind = kind;
    r.line = line;
    r.byte_offset = offset;
    if (kind == record_kind::config || kind == record_kind::summary) {
      fields_.clear();
      model_shape* model = kind == record_kind::config ? sink_.model() : nullptr;
      for (const auto& en : entries_) {
        if (en.type == entry::nested) continue;
        std::string_view text = en.type == entry::text ? en.token : trim_right(en.token);
        fields_.emplace_back(std::string_view(en.key->name), text);
        if (model && en.key->kind == jsonl_key_kind::role) set_model(*model, *en.key, en);
      }
      r.fields = fields_;
    } else {
      named_.clear();
      groups_.clear();
      extra_.clear();
      for (const auto& en : entries_) {
        const jsonl_key& k = *en.key;
        if (en.type == entry::null || k.kind == jsonl_key_kind::type) continue;
        if (k.kind == jsonl_key_kind::role && k.role == metric_role::step && !r.step) {
          // Without its step a record's values cannot be placed: the record is skipped, not misplaced.
          std::int64_t s;
          if (en.type != entry::number || !as_integer(en.value, s)) {
            skip_record(line, offset, k.name,
                        "step is not a whole number, record skipped: " +
                            std::string(trim_right(en.token).substr(0, 40)));
            return stopped_ ? status::stop : status::ok;
          }
          r.step = s;
          continue;
        }
        if (en.type != entry::number) {
          if (k.kind == jsonl_key_kind::role || k.kind == jsonl_key_kind::lr_group ||
              (en.type == entry::bad_number && keep_extra_))
            value_issue(line, offset, k.name, en);
          continue;
        }
        const double v = en.value;
        if (k.kind == jsonl_key_kind::lr_group) {
          groups_.push_back({k.name, v});
          continue;
        }
        if (k.kind == jsonl_key_kind::role) {
          switch (k.role) {
            case metric_role::step: break;  // a second step alias: kept as an extra
            case metric_role::train_loss: if (!r.loss) { r.loss = v; continue; } break;
            case metric_role::val_loss: if (!r.val_loss) { r.val_loss = v; continue; } break;
            case metric_role::named_val_loss: named_.push_back({k.set_name, v}); continue;
            case metric_role::lr: if (!r.lr) { r.lr = v; continue; } break;
            case metric_role::epoch: if (!r.epoch) { r.epoch = v; continue; } break;
            case metric_role::wall_time: if (!r.wall_time_s) { r.wall_time_s = v; continue; } break;
            case metric_role::grad_norm: if (!r.grad_norm) { r.grad_norm = v; continue; } break;
            default: break;
          }
        }
        if (keep_extra_) extra_.push_back({k.name, v});  // a second alias of a role, or no role
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
    const char* what = en.type == entry::nested ? "value is an object or array, not a number; skipped: "
                                                : "value is not a number, skipped: ";
    skip_value(line, offset, field, what + shown);
  }

  static void set_model(model_shape& m, const jsonl_key& k, const entry& en) {
    if (en.type != entry::number) return;
    const double v = en.value;
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
  bool keep_extra_ = true;
  bool stopped_ = false;
  error failure_;
  std::string bad_message_;

  simdjson::ondemand::parser stream_parser_;
  simdjson::ondemand::parser line_parser_;
  const char* base_ = nullptr;
  std::uint64_t base_offset_ = 0;
  std::size_t line_ = 1;  // 1-based number of the line being read

  std::vector<entry> entries_;
  std::vector<text_field> fields_;
  std::vector<named_value> named_, groups_, extra_;
};

}  // namespace trainscope::inline v1::io::detail
