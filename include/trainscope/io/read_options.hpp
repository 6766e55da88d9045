#pragma once
/** Options every reader takes. */
#include "trainscope/core/metric_keys.hpp"
#include "trainscope/core/run_builder.hpp"

namespace trainscope::inline v1::io {

/** How a reader treats a record it cannot read. */
enum class bad_record_policy {
  skip,  ///< count it, keep its line in diagnostics.issues, read on (default)
  fail,  ///< stop with an error naming file, line and field
};

/**
 * Optional per-step columns a reader may leave unread (bitwise-or into read_options::skip_columns).
 * Step, losses and lr are always read; every column left out is time and memory saved on big logs.
 */
namespace columns {
inline constexpr unsigned epoch = 1u << 0;
inline constexpr unsigned wall_time = 1u << 1;
inline constexpr unsigned grad_norm = 1u << 2;
inline constexpr unsigned lr_groups = 1u << 3;
inline constexpr unsigned extra = 1u << 4;  ///< numeric fields without a role
}  // namespace columns

/** Options shared by all readers: key mapping, bad-record policy, run collection. */
struct read_options {
  key_mapping keys;                               ///< explicit keys; empty entries are detected
  bad_record_policy on_bad_record = bad_record_policy::skip;
  build_options build;                            ///< restart handling
  unsigned threads = 1;                           ///< readers that can parse blocks in parallel may use this many
  unsigned skip_columns = 0;                      ///< columns:: bits a reader may leave unread
  /// Readers of large files may parse them through a memory map instead of copying block by block
  /// (faster). Off by default: if another process truncates the file while it is read, the reader
  /// touches a page past the end and the process gets SIGBUS, which the caller must handle.
  bool map_input = false;
};

}  // namespace trainscope::inline v1::io
