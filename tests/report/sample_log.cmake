# Lets test_report regenerate the bundled sample log and compare it byte for byte with the checked-in one.
# Included from tests/CMakeLists.txt after the per-area test programs are defined.
if(TARGET test_report AND TARGET generate_sample_log)
  add_dependencies(test_report generate_sample_log)
  target_compile_definitions(test_report PRIVATE
    TRAINSCOPE_SAMPLE_LOG_GENERATOR="$<TARGET_FILE:generate_sample_log>")
endif()
