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

/** Options shared by all readers: key mapping, bad-record policy, run collection. */
struct read_options {
  key_mapping keys;                               ///< explicit keys; empty entries are detected
  bad_record_policy on_bad_record = bad_record_policy::skip;
  build_options build;                            ///< restart handling
  unsigned threads = 1;                           ///< readers that can parse blocks in parallel may use this many
};

}  // namespace trainscope::inline v1::io
