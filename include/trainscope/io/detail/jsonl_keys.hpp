#pragma once
/** JSONL key classification, done once per distinct key and cached by the key's bytes. */
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "trainscope/core/metric_keys.hpp"

namespace trainscope::inline v1::io::detail {

/** What a key tells the reader, beyond its run-model role. */
enum class jsonl_key_kind : std::uint8_t {
  other,     ///< no role: an extra metric (number) or a config/summary field (text)
  role,      ///< one of the run model's roles (metric_role)
  lr_group,  ///< learning rate of one parameter group (lr/pg0, lr-AdamW/pg1, lr_group0...)
  summary,   ///< only end-of-run summaries carry it (HF train_runtime, total_flos...)
  type,      ///< an explicit record type: "type" or "kind"
};

/** One distinct key, classified. Addresses are stable for the reader's lifetime. */
struct jsonl_key {
  std::string raw;   ///< bytes between the quotes, escapes kept (the cache's identity)
  std::string name;  ///< unescaped
  jsonl_key_kind kind = jsonl_key_kind::other;
  metric_role role = metric_role::none;
  std::string_view set_name;  ///< for named_val_loss: "<name>" of eval_<name>_loss (view into `name`)
};

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
  explicit jsonl_key_cache(key_mapping mapping = {}) : mapping_(std::move(mapping)) {}

  /// The cached key whose raw bytes start at `raw` (just after the opening quote), or nullptr.
  /// `end` bounds the readable input; the key's closing quote lies before it.
  const jsonl_key* by_position(std::size_t pos, const char* raw, const char* end) const noexcept {
    if (pos >= by_position_.size()) return nullptr;
    const jsonl_key* k = by_position_[pos];
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
