# Extra report tests that need more than the per-area test program; included from tests/CMakeLists.txt after
# the per-area programs are defined.

# test_report regenerates the bundled sample log and compares it byte for byte with the checked-in one.
if(TARGET test_report AND TARGET generate_sample_log)
  add_dependencies(test_report generate_sample_log)
  target_compile_definitions(test_report PRIVATE
    TRAINSCOPE_SAMPLE_LOG_GENERATOR="$<TARGET_FILE:generate_sample_log>")
endif()

# PNG figures through librsvg (tools/png_rasterizer.hpp), when librsvg is installed. pkg_check_modules'
# imported targets are local to a directory, so tools/' PkgConfig::RSVG is not visible here.
if(TRAINSCOPE_WITH_RSVG)
  find_package(PkgConfig QUIET)
  if(PkgConfig_FOUND)
    pkg_check_modules(TRAINSCOPE_TEST_RSVG QUIET IMPORTED_TARGET librsvg-2.0)
  endif()
  if(TRAINSCOPE_TEST_RSVG_FOUND)
    add_executable(test_report_png ${CMAKE_CURRENT_LIST_DIR}/png_rasterizer_check.cpp)
    target_link_libraries(test_report_png PRIVATE trainscope_test_main PkgConfig::TRAINSCOPE_TEST_RSVG)
    target_include_directories(test_report_png PRIVATE ${PROJECT_SOURCE_DIR}/tools)
    target_compile_definitions(test_report_png PRIVATE TRAINSCOPE_HAVE_RSVG=1)
    trainscope_warnings(test_report_png)
    add_test(NAME report_png COMMAND test_report_png)
  endif()
endif()
