# Warnings for sigkit's own targets (PRIVATE, never imposed on consumers).
function(sigkit_set_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wnon-virtual-dtor
    -Wold-style-cast -Wcast-align -Woverloaded-virtual -Wnull-dereference -Wimplicit-fallthrough
    $<$<BOOL:${SIGKIT_WERROR}>:-Werror>)
endfunction()
