# Warnings and sanitizers for the project's own targets only; never the global flags.
function(billing_target_options target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic)
  if(BILLING_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(BILLING_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer
                                             -fno-sanitize-recover=all)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()
