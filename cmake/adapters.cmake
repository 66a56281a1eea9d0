# sigkit's event-loop adapters (docs/event_loops.md): header-only INTERFACE targets, each of
# which exists only when its dependency is found; sigkit::sigkit itself depends on nothing.
#   sigkit::asio   <sigkit/asio.hpp>   Boost.Asio >= 1.74 (cancellation: >= 1.77)
#   sigkit::uv     <sigkit/uv.hpp>     libuv
# Each is installed in its own export set, which the installed sigkit-config.cmake includes
# only when the consumer's machine has the dependency too (find_package(sigkit COMPONENTS
# asio uv) makes them required).
option(SIGKIT_WITH_ASIO "Provide sigkit::asio when Boost.Asio is found" ON)
option(SIGKIT_WITH_UV "Provide sigkit::uv when libuv is found" ON)

include(${CMAKE_CURRENT_LIST_DIR}/sigkit-adapter-deps.cmake)

# For sigkit's own targets that use Boost.Asio (tests, examples, benchmarks), after
# sigkit_set_warnings(): GCC reports two warnings inside Asio's headers that are Asio's, not
# ours, so they must not fail our -Werror builds: -Wnull-dereference from -O2 inlining of
# Asio's scheduler, and -Wtsan (ThreadSanitizer does not model the std::atomic_thread_fence in
# Asio's handler invocation; Asio's queues synchronise with mutexes, which TSan does model).
function(sigkit_set_asio_warnings target)
  target_compile_options(${target} PRIVATE
    $<$<CXX_COMPILER_ID:GNU>:-Wno-tsan -Wno-null-dereference>)
endfunction()
sigkit_find_adapter_deps(GLOBAL)

set(SIGKIT_ADAPTERS "")
if(SIGKIT_WITH_ASIO AND TARGET sigkit_deps::boost_asio)
  add_library(sigkit_asio INTERFACE)
  add_library(sigkit::asio ALIAS sigkit_asio)
  target_link_libraries(sigkit_asio INTERFACE sigkit sigkit_deps::boost_asio)
  set_target_properties(sigkit_asio PROPERTIES EXPORT_NAME asio)
  install(TARGETS sigkit_asio EXPORT sigkit-asio-targets)
  install(EXPORT sigkit-asio-targets NAMESPACE sigkit:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/sigkit)
  list(APPEND SIGKIT_ADAPTERS "asio (Boost ${SIGKIT_BOOST_VERSION})")
endif()
if(SIGKIT_WITH_UV AND TARGET sigkit_deps::libuv)
  add_library(sigkit_uv INTERFACE)
  add_library(sigkit::uv ALIAS sigkit_uv)
  target_link_libraries(sigkit_uv INTERFACE sigkit sigkit_deps::libuv)
  set_target_properties(sigkit_uv PROPERTIES EXPORT_NAME uv)
  install(TARGETS sigkit_uv EXPORT sigkit-uv-targets)
  install(EXPORT sigkit-uv-targets NAMESPACE sigkit:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/sigkit)
  list(APPEND SIGKIT_ADAPTERS "uv")
endif()
install(FILES ${CMAKE_CURRENT_LIST_DIR}/sigkit-adapter-deps.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/sigkit)
if(SIGKIT_ADAPTERS)
  string(JOIN ", " _sigkit_adapters_text ${SIGKIT_ADAPTERS})
  message(STATUS "sigkit: event-loop adapters: ${_sigkit_adapters_text}")
else()
  message(STATUS "sigkit: no event-loop adapters (Boost.Asio and libuv not found)")
endif()
