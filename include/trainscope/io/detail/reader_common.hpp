#pragma once
/** What every reader does at its edges: error values with a place, and the final checks. */
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "trainscope/core/run.hpp"
#include "trainscope/core/run_builder.hpp"
#include "trainscope/result.hpp"

namespace trainscope::inline v1::io::detail {

inline error make_error(errc code, const std::string& path, std::string message, std::size_t line = 0,
                        std::uint64_t byte_offset = 0, std::string field = {}) {
  error e;
  e.code = code;
  e.file = path;
  e.message = std::move(message);
  e.line = line;
  e.byte_offset = byte_offset;
  e.field = std::move(field);
  return e;
}

/** Length of a UTF-8 byte order mark at the start of `s` (0 or 3). */
constexpr std::size_t bom_length(std::string_view s) noexcept {
  return s.size() >= 3 && s[0] == '\xEF' && s[1] == '\xBB' && s[2] == '\xBF' ? 3 : 0;
}

/**
 * Finishes a run: a log with no loss series at all is `no_usable_data` (an error the
 * caller can act on, naming what was found), anything else is returned with its diagnostics.
 */
inline result<run> finish_run(run_builder&& builder, const std::string& path, std::string_view what) {
  run r = std::move(builder).finish();
  if (!r.has_loss()) {
    std::string msg = "no loss series found in this ";
    msg += what;
    msg += " (" + std::to_string(r.diagnostics.records) + " records read, " +
           std::to_string(r.diagnostics.skipped_records) + " skipped)";
    return unexpected(make_error(errc::no_usable_data, path, std::move(msg)));
  }
  return r;
}

}  // namespace trainscope::inline v1::io::detail
