# Our warnings, for our own targets only: consumers of the INTERFACE library never get them.
function(trainscope_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic)
  if(TRAINSCOPE_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
