#pragma once
/** The run model every reader produces and every analysis consumes. */
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "trainscope/core/column_summary.hpp"
#include "trainscope/core/series.hpp"

namespace trainscope::inline v1 {

/** Model shape read from a config/metadata record (absent fields stay empty). */
struct model_shape {
  std::optional<std::int64_t> n_layer;
  std::optional<std::int64_t> n_head;
  std::optional<std::int64_t> n_embd;
  std::optional<std::int64_t> block_size;
  std::optional<double> dropout;
  bool any() const noexcept { return n_layer || n_head || n_embd || block_size || dropout; }
};

/** One problem met while reading, kept so the user can find the line. */
struct read_issue {
  std::size_t line = 0;            ///< 1-based line (or record index for binary formats)
  std::uint64_t byte_offset = 0;   ///< offset of the record's first byte
  std::string field;               ///< key or column, empty when the whole record is bad
  std::string message;
};

/** What the reader met besides data: every skipped or replaced record is counted. */
struct read_diagnostics {
  std::size_t records = 0;            ///< records read and used (all kinds)
  std::size_t skipped_records = 0;    ///< records that could not be read at all
  std::size_t skipped_values = 0;     ///< single fields ignored (e.g. a non-numeric loss)
  std::size_t repeated_steps = 0;     ///< samples replaced by a later record at the same or earlier step
  std::size_t non_finite_values = 0;  ///< NaN / Infinity read as such
  std::size_t restarts = 0;           ///< counter went back to its start: a new run in the same file
  std::size_t dropped_records_before_restart = 0;  ///< records of earlier runs not analysed
  bool truncated_last_line = false;   ///< the input ended mid-record (a crashed or cut-off run)
  bool byte_order_mark = false;
  std::vector<read_issue> issues;     ///< the first `max_kept_issues` problems, in file order
  static constexpr std::size_t max_kept_issues = 100;

  void add_issue(read_issue issue) {
    if (issues.size() < max_kept_issues) issues.push_back(std::move(issue));
  }
};

/** Where a run came from. */
struct source_info {
  std::string path;    ///< as given by the user; "-" for standard input
  std::string format;  ///< detected or forced reader name, e.g. "jsonl"
};

/**
 * A training run as named series over the log's own step values.
 *
 * Roles are fixed members because every analysis asks for them by role; anything
 * else numeric a reader finds goes to `extra` under its own name.
 */
struct run {
  source_info source;

  series train_loss{"train_loss"};                        ///< per-step training loss
  series val_loss{"val_loss"};                            ///< primary validation loss
  std::string val_loss_key;                               ///< key the primary validation series came from
  std::vector<series> named_val_loss;                     ///< eval_<name>_loss sets, name = "<name>"
  series checkpoint_train_loss{"checkpoint_train_loss"};  ///< train_loss carried by evaluation records
  series lr{"lr"};                                        ///< learning rate (first parameter group)
  std::vector<series> lr_groups;                          ///< every parameter group when there are several
  series epoch{"epoch"};                                  ///< epoch at any record that carries one
  series wall_time_s{"wall_time_s"};                      ///< wall-clock seconds (absolute or elapsed, as logged)
  /// Instead of `epoch` / `wall_time_s` (left empty), when read with build_options::summarize_epoch /
  /// summarize_wall_time: what the run's overview reads of them.
  epoch_column_summary epoch_summary;
  column_summary wall_time_summary;
  series grad_norm{"grad_norm"};
  std::vector<series> extra;                              ///< other numeric per-step metrics

  model_shape model;
  /// Config / metadata / summary keys as text, in file order (e.g. "lr_schedule" -> "WarmupCosineLR").
  std::vector<std::pair<std::string, std::string>> config;
  std::vector<std::pair<std::string, std::string>> summary;

  read_diagnostics diagnostics;

  /// Config or metadata value for `key`, if the log had one.
  const std::string* config_value(std::string_view key) const {
    for (const auto& [k, v] : config)
      if (k == key) return &v;
    return nullptr;
  }

  /// True when anything a loss analysis can use was read.
  bool has_loss() const noexcept {
    return !train_loss.empty() || !val_loss.empty() || !checkpoint_train_loss.empty();
  }
};

}  // namespace trainscope::inline v1
