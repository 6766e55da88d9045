#pragma once
/// Library version, kept in step with project(VERSION) in CMakeLists.txt.
#define TRAINSCOPE_VERSION_MAJOR 0
#define TRAINSCOPE_VERSION_MINOR 1
#define TRAINSCOPE_VERSION_PATCH 0
#define TRAINSCOPE_VERSION_STRING "0.1.0"

namespace trainscope::inline v1 {
inline constexpr int version_major = TRAINSCOPE_VERSION_MAJOR;
inline constexpr int version_minor = TRAINSCOPE_VERSION_MINOR;
inline constexpr int version_patch = TRAINSCOPE_VERSION_PATCH;
inline constexpr const char* version_string = TRAINSCOPE_VERSION_STRING;
}  // namespace trainscope::inline v1
