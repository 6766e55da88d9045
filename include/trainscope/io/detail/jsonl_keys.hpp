#pragma once
/** JSONL key classification, done once per distinct key and cached by the key's bytes. */
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "trainscope/core/metric_keys.hpp"
#include "trainscope/io/read_options.hpp"

namespace trainscope::inline v1::io::detail {

/** What a key tells the reader, beyond its run-model role. */
enum class jsonl_key_kind : std::uint8_t {
  other,     ///< no role: an extra metric (number) or a config/summary field (text)
  role,      ///< one of the run model's roles (metric_role)
  lr_group,  ///< learning rate of one parameter group (lr/pg0, lr-AdamW/pg1, lr_group0...)
  summary,   ///< only end-of-run summaries carry it (HF train_runtime, total_flos...)
  type,      ///< an explicit record type: "type" or "kind"
};

/** What a train or eval record does with a key's value, decided once per key. */
enum class jsonl_action : std::uint8_t {
  skip, step, loss, val_loss, named_val_loss, lr, epoch, wall_time, grad_norm, lr_group, extra, type,
};

/// Flags a key contributes to its record's classification (or-ed over the record's keys).
namespace jsonl_flag {
inline constexpr unsigned summary = 1u << 0;  ///< HF summary key
inline constexpr unsigned val = 1u << 1;      ///< a validation loss
inline constexpr unsigned loss = 1u << 2;     ///< any loss
inline constexpr unsigned metric = 1u << 3;   ///< step, epoch, loss, grad norm, per-group lr
inline constexpr unsigned model = 1u << 4;    ///< model shape
inline constexpr unsigned type = 1u << 5;     ///< an explicit "type"/"kind"
}  // namespace jsonl_flag

/** One distinct key, classified. Addresses are stable for the reader's lifetime. */
struct jsonl_key {
  std::string raw;   ///< bytes between the quotes, escapes kept (the cache's identity)
  std::string name;  ///< unescaped
  jsonl_key_kind kind = jsonl_key_kind::other;
  metric_role role = metric_role::none;
  std::string_view set_name;  ///< for named_val_loss: "<name>" of eval_<name>_loss (view into `name`)
  jsonl_action action = jsonl_action::skip;
  unsigned flags = 0;
  // Keys of up to 15 bytes are matched with two 8-byte loads: raw bytes and the closing quote.
  std::uint64_t head[2] = {0, 0}, head_mask[2] = {0, 0};
};

/// The record-classification flags and train/eval action of a classified key.
inline void plan_jsonl_key(jsonl_key& k, unsigned skip_columns) {
  using A = jsonl_action;
  auto unless = [&](unsigned column, A a) { return (skip_columns & column) ? A::skip : a; };
  switch (k.kind) {
    case jsonl_key_kind::summary: k.flags = jsonl_flag::summary; k.action = unless(columns::extra, A::extra); return;
    case jsonl_key_kind::type: k.flags = jsonl_flag::type; k.action = A::type; return;
    case jsonl_key_kind::lr_group: k.flags = jsonl_flag::metric; k.action = unless(columns::lr_groups, A::lr_group); return;
    case jsonl_key_kind::other: k.action = unless(columns::extra, A::extra); return;
    case jsonl_key_kind::role: break;
  }
  switch (k.role) {
    case metric_role::step: k.flags = jsonl_flag::metric; k.action = A::step; break;
    case metric_role::train_loss: k.flags = jsonl_flag::metric | jsonl_flag::loss; k.action = A::loss; break;
    case metric_role::val_loss:
      k.flags = jsonl_flag::metric | jsonl_flag::loss | jsonl_flag::val;
      k.action = A::val_loss;
      break;
    case metric_role::named_val_loss:
      k.flags = jsonl_flag::metric | jsonl_flag::loss | jsonl_flag::val;
      k.action = A::named_val_loss;
      break;
    case metric_role::lr: k.action = A::lr; break;
    case metric_role::epoch: k.flags = jsonl_flag::metric; k.action = unless(columns::epoch, A::epoch); break;
    case metric_role::wall_time: k.action = unless(columns::wall_time, A::wall_time); break;
    case metric_role::grad_norm: k.flags = jsonl_flag::metric; k.action = unless(columns::grad_norm, A::grad_norm); break;
    case metric_role::n_layer: case metric_role::n_head: case metric_role::n_embd:
    case metric_role::block_size: case metric_role::dropout:
      k.flags = jsonl_flag::model;
      k.action = unless(columns::extra, A::extra);
      break;
    case metric_role::none: break;
  }
}

/// HF Trainer writes these only in the final summary (its train_loss is then a run average).
inline constexpr std::string_view summary_keys[] = {"train_runtime", "train_samples_per_second",
                                                    "train_steps_per_second", "total_flos"};

/** True for per-parameter-group learning-rate keys: lr/pg0, lr-AdamW/pg1, lr_group0, lr_pg2. */
constexpr bool is_lr_group_key(std::string_view k) noexcept {
  if (!k.starts_with("lr")) return false;
  k.remove_prefix(2);
  if (k.starts_with("-")) {  // Lightning's LearningRateMonitor: lr-<optimizer>/pg<N>
    auto slash = k.find('/');
    if (slash == std::string_view::npos) return false;
    k.remove_prefix(slash);
  }
  for (std::string_view p : {std::string_view("/pg"), std::string_view("_pg"), std::string_view("_group"),
                             std::string_view("/group")}) {
    if (k.starts_with(p) && k.size() > p.size()) {
      for (char c : k.substr(p.size()))
        if (c < '0' || c > '9') return false;
      return true;
    }
  }
  return false;
}

/** Role and kind of an (unescaped) key name under the alias rules and an optional explicit mapping. */
inline void classify_jsonl_key(jsonl_key& k, const key_mapping& mapping) {
  key_role r = mapping.empty() ? classify_key(k.name) : classify_key(k.name, mapping);
  if (r.role != metric_role::none) {
    k.kind = jsonl_key_kind::role;
    k.role = r.role;
    k.set_name = r.name;  // a view into k.name, which never moves (keys live behind unique_ptr)
    return;
  }
  if (k.name == "type" || k.name == "kind") {
    k.kind = jsonl_key_kind::type;
    return;
  }
  for (auto s : summary_keys)
    if (k.name == s) {
      k.kind = jsonl_key_kind::summary;
      return;
    }
  if (is_lr_group_key(k.name)) {
    k.kind = jsonl_key_kind::lr_group;
    return;
  }
  // Lightning names a single-group optimizer's rate lr-<optimizer> (lr-SGD, lr-AdamW).
  if (k.name.starts_with("lr-") && k.name.size() > 3 && k.name.find('/') == std::string::npos &&
      mapping.lr.empty()) {
    k.kind = jsonl_key_kind::role;
    k.role = metric_role::lr;
  }
}

/**
 * Cache of classified keys. Records of one log repeat the same keys in the same order,
 * so the key seen at the same position in the previous record is tried first (one
 * memcmp); a miss falls back to a hash lookup; a key never seen is classified once.
 */
class jsonl_key_cache {
 public:
  explicit jsonl_key_cache(key_mapping mapping = {}, unsigned skip_columns = 0)
      : mapping_(std::move(mapping)), skip_columns_(skip_columns) {}

  /// The cached key whose raw bytes start at `raw` (just after the opening quote), or nullptr.
  /// `end` bounds the key (its closing quote lies before it); 16 bytes from `raw` are readable.
  const jsonl_key* by_position(std::size_t pos, const char* raw, const char* end) const noexcept {
    if (pos >= by_position_.size()) return nullptr;
    const jsonl_key* k = by_position_[pos];
    if (k->head_mask[0]) {
      std::uint64_t w[2];
      std::memcpy(w, raw, 16);
      const bool same = ((w[0] & k->head_mask[0]) == k->head[0]) & ((w[1] & k->head_mask[1]) == k->head[1]);
      return same ? k : nullptr;
    }
    const std::size_t n = k->raw.size();
    if (static_cast<std::size_t>(end - raw) > n && std::memcmp(raw, k->raw.data(), n) == 0 && raw[n] == '"')
      return k;
    return nullptr;
  }

  /// Looks up (or classifies and adds) the key with raw bytes `raw`; `unescape` gives its name when new.
  template <class Unescape>
  const jsonl_key* find(std::size_t pos, std::string_view raw, Unescape&& unescape) {
    const jsonl_key* k;
    if (auto it = by_raw_.find(raw); it != by_raw_.end()) {
      k = it->second;
    } else {
      auto fresh = std::make_unique<jsonl_key>();
      fresh->raw.assign(raw);
      if (raw.find('\\') == std::string_view::npos) fresh->name = fresh->raw;
      else fresh->name = unescape();
      classify_jsonl_key(*fresh, mapping_);
      plan_jsonl_key(*fresh, skip_columns_);
      if (raw.size() < 16) {
        unsigned char bytes[16] = {}, mask[16] = {};
        std::memcpy(bytes, raw.data(), raw.size());
        bytes[raw.size()] = '"';
        std::memset(mask, 0xFF, raw.size() + 1);
        std::memcpy(fresh->head, bytes, 16);
        std::memcpy(fresh->head_mask, mask, 16);
      }
      k = fresh.get();
      by_raw_.emplace(std::string_view(fresh->raw), fresh.get());
      keys_.push_back(std::move(fresh));
    }
    if (pos >= by_position_.size()) by_position_.resize(pos + 1, k);
    by_position_[pos] = k;
    return k;
  }

  std::size_t size() const noexcept { return keys_.size(); }

 private:
  key_mapping mapping_;
  unsigned skip_columns_ = 0;
  std::vector<std::unique_ptr<jsonl_key>> keys_;
  std::unordered_map<std::string_view, const jsonl_key*> by_raw_;
  std::vector<const jsonl_key*> by_position_;
};

/// Length of a JSON string's raw bytes starting after its opening quote (stage 1 checked it is closed).
inline std::size_t raw_string_length(const char* raw) noexcept {
  const char* p = raw;
  while (*p != '"') p += (*p == '\\') ? 2 : 1;
  return static_cast<std::size_t>(p - raw);
}

}  // namespace trainscope::inline v1::io::detail
