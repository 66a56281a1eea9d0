# Warnings for sigkit's own targets (PRIVATE, never imposed on consumers).
function(sigkit_set_warnings target)
  if(MSVC)  # a native Windows build with Microsoft's compiler (README, "Windows")
    target_compile_options(${target} PRIVATE /W4 /permissive- $<$<BOOL:${SIGKIT_WERROR}>:/WX>)
    return()
  endif()
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wnon-virtual-dtor
    -Wold-style-cast -Wcast-align -Woverloaded-virtual -Wnull-dereference -Wimplicit-fallthrough
    $<$<BOOL:${SIGKIT_WERROR}>:-Werror>
    # GCC 12's -O2 flow analysis reports std::optional members as maybe-uninitialized when
    # they are not (GCC bug 80635); keep the warning, never fail the build on it.
    $<$<AND:$<BOOL:${SIGKIT_WERROR}>,$<CXX_COMPILER_ID:GNU>>:-Wno-error=maybe-uninitialized>
    # The same for its -O2 -Wnull-dereference and -Wrestrict reports inside libstdc++'s own
    # streambuf iterators and string concatenation (for -Wrestrict: GCC bug 105329): seen, not
    # fatal. sigkit's own code is clean of both.
    $<$<AND:$<BOOL:${SIGKIT_WERROR}>,$<CXX_COMPILER_ID:GNU>>:-Wno-error=null-dereference>
    $<$<AND:$<BOOL:${SIGKIT_WERROR}>,$<CXX_COMPILER_ID:GNU>>:-Wno-error=restrict>)
endfunction()
