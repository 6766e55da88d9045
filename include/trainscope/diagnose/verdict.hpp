#pragma once
/** What happened to a run, in one word. */
#include <string_view>

namespace trainscope::inline v1 {

/** The overall verdict of `diagnose`; see diagnose_run.hpp for the rules behind each. */
enum class verdict { well_fit, under_trained, overfitting, memorization, plateau, diverged, insufficient_data };

/// Stable lower-case name used in reports and JSON ("well_fit", "under_trained", ...).
constexpr std::string_view to_string(verdict v) noexcept {
  switch (v) {
    case verdict::well_fit: return "well_fit";
    case verdict::under_trained: return "under_trained";
    case verdict::overfitting: return "overfitting";
    case verdict::memorization: return "memorization";
    case verdict::plateau: return "plateau";
    case verdict::diverged: return "diverged";
    case verdict::insufficient_data: return "insufficient_data";
  }
  return "insufficient_data";
}

}  // namespace trainscope::inline v1
