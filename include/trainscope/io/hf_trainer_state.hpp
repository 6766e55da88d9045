#pragma once
/**
 * Hugging Face Trainer `trainer_state.json`: `log_history` entries become records
 * (training, evaluation, final summary); top-level fields become config text. Uses simdjson (DOM).
 */
#include <simdjson.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "trainscope/core/metric_keys.hpp"
#include "trainscope/core/record.hpp"
#include "trainscope/core/run.hpp"
#include "trainscope/core/run_builder.hpp"
#include "trainscope/io/detail/input.hpp"
#include "trainscope/io/detail/reader_common.hpp"
#include "trainscope/io/detail/text_number.hpp"
#include "trainscope/io/read_options.hpp"
#include "trainscope/result.hpp"

namespace trainscope::inline v1::io {

namespace detail {

/**
 * Python's json module writes NaN, Infinity and -Infinity bare, which is not JSON.
 * Returns a copy with those tokens quoted ("NaN"), or nullopt when there are none;
 * strings are skipped with their escapes. O(n).
 */
inline std::optional<std::string> quote_bare_non_finite(std::string_view s) {
  std::optional<std::string> out;
  std::size_t copied = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
      continue;
    }
    std::size_t len = 0;
    if (c == 'N' && s.substr(i, 3) == "NaN") len = 3;
    else if (c == 'I' && s.substr(i, 8) == "Infinity") len = 8;
    else if (c == '-' && s.substr(i, 9) == "-Infinity") len = 9;
    if (!len) continue;
    if (!out) {
      out.emplace();
      out->reserve(s.size() + 64);
    }
    out->append(s.substr(copied, i - copied)).append("\"").append(s.substr(i, len)).append("\"");
    copied = i + len;
    i += len - 1;
  }
  if (out) out->append(s.substr(copied));
  return out;
}

/** A JSON value as config text: strings unquoted, everything else minified JSON. */
inline std::string json_text(simdjson::dom::element e) {
  std::string_view sv;
  if (e.get_string().get(sv) == simdjson::SUCCESS) return std::string(sv);
  return simdjson::to_string(e);
}

/** A number, or a quoted non-finite spelling ("NaN", "Infinity", "nan", "inf"); nullopt otherwise. */
inline std::optional<double> json_number(simdjson::dom::element e) {
  double d = 0;
  if (e.is_number() && e.get_double().get(d) == simdjson::SUCCESS) return d;
  std::string_view sv;
  if (e.get_string().get(sv) == simdjson::SUCCESS) {
    const std::string_view t = trim(sv);
    if (iequals(t, "nan") || iequals(t, "infinity") || iequals(t, "-infinity") || iequals(t, "inf") ||
        iequals(t, "-inf") || iequals(t, "-nan"))
      return parse_double(t);
  }
  return std::nullopt;
}

/** What a log_history entry is, from its keys (HF writes no type field). */
inline record_kind hf_entry_kind(simdjson::dom::object entry) {
  bool eval = false, summary = false, plain_loss = false;
  for (auto [key, value] : entry) {
    (void)value;
    if (key.starts_with("eval_")) eval = true;
    if (key == "train_runtime" || key == "total_flos" || key == "train_samples_per_second") summary = true;
    if (key == "loss") plain_loss = true;
  }
  if (eval) return record_kind::eval;
  if (summary && !plain_loss) return record_kind::summary;
  return record_kind::train;
}

}  // namespace detail

/**
 * Reads a `trainer_state.json` into a run.
 *
 * Training entries give loss, learning_rate, grad_norm, epoch at `step`; evaluation entries
 * (any `eval_*` key) give `eval_loss` as validation loss and each `eval_<name>_loss` as a
 * named validation series (the first named set is primary when there is no `eval_loss`);
 * other numbers go to `extra` under their key. The final entry with `train_runtime` /
 * `total_flos` is the summary (its `train_loss` is a run average, not a series).
 * Top-level fields except `log_history` go to `run.config` as text.
 * NaN / Infinity written bare by Python are read as non-finite values.
 * Issue lines are 1-based `log_history` entry indices.
 *
 * Errors: `empty_input`; `malformed` for invalid JSON or a missing `log_history` array;
 * `no_usable_data` when no entry has a loss. O(n).
 */
inline result<run> read_hf_trainer_state(const detail::padded_input& in, const std::string& path,
                                         const read_options& options = {}) {
  std::string_view text = in.view();
  const std::size_t bom = detail::bom_length(text);
  text.remove_prefix(bom);
  if (detail::trim(text).find_first_not_of("\n") == std::string_view::npos)
    return unexpected(detail::make_error(errc::empty_input, path, "empty file"));

  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  simdjson::error_code err;
  std::optional<std::string> rewritten = detail::quote_bare_non_finite(text);
  simdjson::padded_string owned;
  if (rewritten) {
    owned = simdjson::padded_string(*rewritten);
    err = parser.parse(owned).get(doc);
  } else {
    // the input keeps 64 zero bytes after the data: simdjson's padding, so no copy
    static_assert(detail::input_padding >= simdjson::SIMDJSON_PADDING);
    err = parser.parse(reinterpret_cast<const std::uint8_t*>(text.data()), text.size(), false).get(doc);
  }
  if (err)
    return unexpected(detail::make_error(errc::malformed, path,
                                         std::string("not valid JSON: ") + simdjson::error_message(err)));
  simdjson::dom::object root;
  if (doc.get_object().get(root))
    return unexpected(detail::make_error(errc::malformed, path, "not a trainer_state.json: the top level is not an object"));
  simdjson::dom::array history;
  if (root["log_history"].get_array().get(history))
    return unexpected(detail::make_error(errc::malformed, path,
                                         "not a trainer_state.json: no log_history array", 0, 0, "log_history"));

  run_builder builder(source_info{path, "hf_trainer_state"}, options.build);
  builder.diagnostics().byte_order_mark = bom != 0;
  std::vector<text_field> fields;
  std::vector<std::string> field_text;
  for (auto [key, value] : root) {
    if (key == "log_history") continue;
    field_text.push_back(detail::json_text(value));
  }
  {
    std::size_t i = 0;
    for (auto [key, value] : root) {
      (void)value;
      if (key == "log_history") continue;
      fields.emplace_back(key, field_text[i++]);
    }
    record config;
    config.kind = record_kind::config;
    config.fields = fields;
    builder.add(config);
  }

  std::vector<named_value> named, extra;
  std::vector<std::string> summary_text;
  std::optional<std::pair<std::int64_t, double>> last_epoch;
  std::size_t index = 0;
  builder.reserve(history.size());
  for (simdjson::dom::element item : history) {
    ++index;
    simdjson::dom::object entry;
    if (item.get_object().get(entry)) {
      read_issue issue{index, 0, "log_history", "entry is not an object"};
      if (options.on_bad_record == bad_record_policy::fail)
        return unexpected(detail::make_error(errc::malformed, path, issue.message, index, 0, issue.field));
      builder.skip_record(std::move(issue));
      continue;
    }
    record r;
    r.kind = detail::hf_entry_kind(entry);
    r.line = index;
    if (r.kind == record_kind::summary) {
      summary_text.clear();
      fields.clear();
      for (auto [key, value] : entry) summary_text.push_back(detail::json_text(value));
      std::size_t i = 0;
      for (auto [key, value] : entry) {
        (void)value;
        fields.emplace_back(key, summary_text[i++]);
      }
      r.fields = fields;
      builder.add(r);
      continue;
    }
    named.clear();
    extra.clear();
    bool bad = false;
    for (auto [key, value] : entry) {
      const key_role role = classify_key(key, options.keys);
      if (role.role == metric_role::step) {
        std::int64_t s = 0;
        std::uint64_t u = 0;
        double d = 0;
        if (value.get_int64().get(s) == simdjson::SUCCESS) r.step = s;
        else if (value.get_uint64().get(u) == simdjson::SUCCESS) r.step = std::numeric_limits<std::int64_t>::max();
        else if (value.get_double().get(d) == simdjson::SUCCESS && std::isfinite(d) && d == std::floor(d) &&
                 std::fabs(d) < 9e15)
          r.step = static_cast<std::int64_t>(d);
        else {
          builder.skip_value({index, 0, std::string(key), "step is not an integer"});
          bad = true;
        }
        continue;
      }
      const auto v = detail::json_number(value);
      if (!v) {
        // text in a metric slot is a problem; text in other keys (a run name) is not a metric
        if (role.role != metric_role::none) {
          builder.skip_value({index, 0, std::string(key), "not a number"});
          bad = true;
        }
        continue;
      }
      switch (role.role) {
        case metric_role::train_loss: r.loss = *v; break;
        case metric_role::val_loss: r.val_loss = *v; break;
        case metric_role::named_val_loss: named.push_back({role.name, *v}); break;
        case metric_role::lr: r.lr = *v; break;
        case metric_role::epoch: r.epoch = *v; break;
        case metric_role::wall_time: r.wall_time_s = *v; break;
        case metric_role::grad_norm: r.grad_norm = *v; break;
        default: extra.push_back({key, *v}); break;
      }
    }
    if (bad && options.on_bad_record == bad_record_policy::fail)
      return unexpected(detail::make_error(errc::malformed, path, "log_history entry has a non-numeric metric", index,
                                           0, "log_history"));
    // Every entry repeats the epoch; an eval (or each of several eval sets) at a training
    // step carries the same value again, which is not a resumed timeline.
    if (r.epoch && r.step && last_epoch && last_epoch->first == *r.step && last_epoch->second == *r.epoch)
      r.epoch.reset();
    else if (r.epoch && r.step)
      last_epoch = std::pair{*r.step, *r.epoch};
    r.named_val_losses = named;
    r.extra = extra;
    builder.add(r);
  }
  return detail::finish_run(std::move(builder), path, "trainer_state.json");
}

}  // namespace trainscope::inline v1::io
