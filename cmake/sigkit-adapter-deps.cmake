# The optional dependencies of sigkit's event-loop adapters, found the same way when sigkit is
# built (top-level or add_subdirectory) and when a consumer runs find_package(sigkit): the
# installed sigkit-config.cmake includes this file.
#
# Defines, when found, the IMPORTED INTERFACE targets
#   sigkit_deps::boost_asio   Boost.Asio's headers (Boost >= 1.74; per-operation cancellation
#                             needs >= 1.77), from find_path(boost/asio.hpp)
#   sigkit_deps::libuv        libuv, from pkg-config (libuv.pc), else find_path/find_library
# and sets SIGKIT_BOOST_VERSION (e.g. 108100). Nothing else in sigkit depends on them.
# Set SIGKIT_BOOST_INCLUDE_DIR, SIGKIT_LIBUV_INCLUDE_DIR / SIGKIT_LIBUV_LIBRARY to choose.
#
# The targets carry plain include paths and library files (no references to other imported
# targets), so they resolve the same in every directory of the build that links sigkit::asio
# or sigkit::uv; sigkit's own build makes them GLOBAL for add_subdirectory consumers.

macro(sigkit_find_adapter_deps)
  cmake_parse_arguments(_sigkit_deps "GLOBAL" "" "" ${ARGN})
  set(_sigkit_deps_scope "")
  if(_sigkit_deps_GLOBAL)
    set(_sigkit_deps_scope GLOBAL)
  endif()

  # ---- Boost.Asio (header-only) -------------------------------------------------------------
  if(NOT TARGET sigkit_deps::boost_asio)
    find_path(SIGKIT_BOOST_INCLUDE_DIR boost/asio.hpp boost/version.hpp
              DOC "The directory that holds boost/asio.hpp (Boost >= 1.74)")
    if(SIGKIT_BOOST_INCLUDE_DIR AND EXISTS "${SIGKIT_BOOST_INCLUDE_DIR}/boost/version.hpp")
      file(STRINGS "${SIGKIT_BOOST_INCLUDE_DIR}/boost/version.hpp" _sigkit_boost_line
           REGEX "^#define BOOST_VERSION [0-9]+")
      string(REGEX REPLACE "^#define BOOST_VERSION ([0-9]+).*" "\\1" SIGKIT_BOOST_VERSION
                           "${_sigkit_boost_line}")
      if(SIGKIT_BOOST_VERSION GREATER_EQUAL 107400)
        add_library(sigkit_deps::boost_asio INTERFACE IMPORTED ${_sigkit_deps_scope})
        set_target_properties(sigkit_deps::boost_asio PROPERTIES
          INTERFACE_INCLUDE_DIRECTORIES "${SIGKIT_BOOST_INCLUDE_DIR}")
      else()
        message(STATUS "sigkit: Boost ${SIGKIT_BOOST_VERSION} in ${SIGKIT_BOOST_INCLUDE_DIR} "
                       "is older than 1.74; no sigkit::asio")
      endif()
    endif()
  endif()

  # ---- libuv -----------------------------------------------------------------------------------
  if(NOT TARGET sigkit_deps::libuv)
    if(NOT SIGKIT_LIBUV_INCLUDE_DIR OR NOT SIGKIT_LIBUV_LIBRARY)
      find_package(PkgConfig QUIET)
      if(PKG_CONFIG_FOUND)
        pkg_check_modules(_SIGKIT_PC_LIBUV QUIET libuv>=1.0)
      endif()
      if(_SIGKIT_PC_LIBUV_FOUND)
        find_path(SIGKIT_LIBUV_INCLUDE_DIR uv.h HINTS ${_SIGKIT_PC_LIBUV_INCLUDE_DIRS})
        find_library(SIGKIT_LIBUV_LIBRARY NAMES uv libuv HINTS ${_SIGKIT_PC_LIBUV_LIBRARY_DIRS})
      else()
        find_path(SIGKIT_LIBUV_INCLUDE_DIR uv.h)
        find_library(SIGKIT_LIBUV_LIBRARY NAMES uv libuv)
      endif()
    endif()
    if(SIGKIT_LIBUV_INCLUDE_DIR AND SIGKIT_LIBUV_LIBRARY)
      add_library(sigkit_deps::libuv INTERFACE IMPORTED ${_sigkit_deps_scope})
      set_target_properties(sigkit_deps::libuv PROPERTIES
        INTERFACE_INCLUDE_DIRECTORIES "${SIGKIT_LIBUV_INCLUDE_DIR}"
        INTERFACE_LINK_LIBRARIES "${SIGKIT_LIBUV_LIBRARY}")
    endif()
  endif()
endmacro()
