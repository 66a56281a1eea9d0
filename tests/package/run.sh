#!/usr/bin/env bash
# Packaging tests: sigkit as a consumer sees it.
#
#   tests/package/run.sh <sigkit-source-dir> <work-dir> [step...]
#
# Steps (default: all, in this order):
#   install           configure, build and install a static sigkit (tests/tools/benchmarks/
#                     examples OFF) into <work-dir>/prefix-static; check the installed files
#   find_package      build and run a consumer with find_package(sigkit CONFIG REQUIRED)
#   version           find_package(sigkit 0.1) works; find_package(sigkit <next major>) fails
#   relocated         the same consumer against a copy of the install tree moved elsewhere
#   pkg_config        compile a one-file program with $(pkg-config --cflags --libs sigkit)
#   add_subdirectory  build and run a consumer that add_subdirectory()s the checkout
#   shared            install sigkit with BUILD_SHARED_LIBS=ON; build and run the
#                     find_package consumer against it (and check it uses libsigkit.so)
#   headers           every public header compiles on its own, warning-free; the system
#                     constants API.md names (ITIMER_REAL, SIG_BLOCK, SIG_DFL, ...) are usable
#                     with only the sigkit header that declares the function taking them
#                     (<sigkit/asio.hpp> and <sigkit/uv.hpp> when Boost / libuv are there)
#   adapters_find_package      build and run the event-loop adapters' consumer with
#                     find_package(sigkit CONFIG REQUIRED COMPONENTS asio uv)
#   asio_boost174     build and run that consumer's Asio part against Boost 1.74's headers
#                     (Debian's default libboost-dev; no per-operation cancellation there):
#                     $SIGKIT_BOOST174_INCLUDE, or libboost1.74-dev fetched with
#                     `apt-get download` and unpacked into <work-dir>/boost174
# find_package, version, relocated, pkg_config, adapters_find_package and asio_boost174 need
# the install step's prefix.
#
# Environment: CXX (compiler, default c++), SIGKIT_PACKAGE_JOBS (default 2),
# SIGKIT_PACKAGE_ADAPTERS (set when the build has sigkit::asio and sigkit::uv: add_subdirectory
# then also builds and runs the adapters' consumer, and the default steps include theirs).
# Needs cmake >= 3.25, a C++20 compiler and pkg-config (Debian: cmake g++ pkg-config).
set -euo pipefail

if [[ $# -lt 2 ]]; then
  echo "usage: $0 <sigkit-source-dir> <work-dir> [step...]" >&2
  exit 2
fi
src=$(cd "$1" && pwd)
mkdir -p "$2"
work=$(cd "$2" && pwd)
shift 2
steps=("$@")
if [[ ${#steps[@]} -eq 0 ]]; then
  steps=(install find_package version relocated pkg_config add_subdirectory shared headers)
  # The adapters' steps need Boost.Asio and libuv (scripts/bootstrap.sh installs them).
  if [[ -n ${SIGKIT_PACKAGE_ADAPTERS:-} ]]; then
    steps+=(adapters_find_package asio_boost174)
  fi
fi

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
jobs=${SIGKIT_PACKAGE_JOBS:-2}
export CXX=${CXX:-c++}
# Sanitizer or other flags of an enclosing build must not leak into these builds.
unset CXXFLAGS LDFLAGS CMAKE_BUILD_TYPE CMAKE_PREFIX_PATH PKG_CONFIG_PATH || true

common=(-DCMAKE_BUILD_TYPE=Release)
sigkit_off=(-DSIGKIT_BUILD_TESTS=OFF -DSIGKIT_BUILD_TOOLS=OFF -DSIGKIT_BUILD_BENCHMARKS=OFF
            -DSIGKIT_BUILD_EXAMPLES=OFF)
project_version=$(sed -n 's/^project(sigkit VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")

say() { printf '\n---- package: %s\n' "$*"; }
fail() {
  printf 'package test FAILED: %s\n' "$*" >&2
  exit 1
}

# Configures, builds and installs sigkit into <work>/prefix-<name>; extra args go to cmake.
install_sigkit() {
  local name=$1
  shift
  local build="$work/build-$name" prefix="$work/prefix-$name"
  rm -rf "$build" "$prefix"
  cmake -S "$src" -B "$build" "${common[@]}" "${sigkit_off[@]}" \
    -DCMAKE_INSTALL_PREFIX="$prefix" "$@"
  cmake --build "$build" -j"$jobs"
  cmake --install "$build"
  check_layout "$prefix"
}

# The files a consumer needs are installed, and the private headers are not.
check_layout() {
  local prefix=$1 f
  for f in include/sigkit/sigkit.hpp include/sigkit/signum.hpp include/sigkit/version.hpp; do
    [[ -f "$prefix/$f" ]] || fail "$f is not installed"
  done
  for f in sigkit-config.cmake sigkit-config-version.cmake sigkit-targets.cmake; do
    [[ -n $(find "$prefix" -path "*/cmake/sigkit/$f") ]] || fail "cmake/sigkit/$f is not installed"
  done
  [[ -n $(find "$prefix" -path '*/pkgconfig/sigkit.pc') ]] || fail "pkgconfig/sigkit.pc is not installed"
  for f in syscalls.hpp registry.hpp state.hpp util.hpp; do
    [[ -z $(find "$prefix" -name "$f") ]] || fail "private header $f is installed"
  done
  [[ ! -e "$prefix/include/sigkit/detail" ]] || fail "include/sigkit/detail is installed"
}

# Builds the find_package consumer against <prefix> in <work>/<name> and runs it.
find_package_consumer() {
  local name=$1 prefix=$2
  shift 2
  local build="$work/$name"
  rm -rf "$build"
  cmake -S "$here/find_package" -B "$build" "${common[@]}" -DCMAKE_PREFIX_PATH="$prefix" "$@"
  cmake --build "$build" -j"$jobs"
  "$build/consumer" || fail "$name: the consumer exited with $?"
}

need_prefix() {
  [[ -d "$work/prefix-static" ]] || fail "no install in $work/prefix-static: run the install step first"
}

step_install() {
  say "install a static sigkit"
  install_sigkit static
  [[ -n $(find "$work/prefix-static" -name libsigkit.a) ]] || fail "libsigkit.a is not installed"
}

step_find_package() {
  need_prefix
  say "find_package consumer (static)"
  find_package_consumer consumer-find-package "$work/prefix-static"
}

step_version() {
  need_prefix
  say "find_package with a version"
  local major=${project_version%%.*}
  rm -rf "$work/consumer-version-ok" "$work/consumer-version-bad"
  cmake -S "$here/find_package" -B "$work/consumer-version-ok" "${common[@]}" \
    -DCMAKE_PREFIX_PATH="$work/prefix-static" -DSIGKIT_WANTED_VERSION="$major.0" >/dev/null ||
    fail "find_package(sigkit $major.0) failed"
  if cmake -S "$here/find_package" -B "$work/consumer-version-bad" "${common[@]}" \
    -DCMAKE_PREFIX_PATH="$work/prefix-static" -DSIGKIT_WANTED_VERSION="$((major + 1)).0" \
    >/dev/null 2>&1; then
    fail "find_package(sigkit $((major + 1)).0) accepted version $project_version"
  fi
}

step_relocated() {
  need_prefix
  say "find_package consumer against a moved install tree"
  rm -rf "$work/prefix-moved"
  cp -a "$work/prefix-static" "$work/prefix-moved"
  find_package_consumer consumer-relocated "$work/prefix-moved"
}

step_pkg_config() {
  need_prefix
  say "pkg-config consumer"
  command -v pkg-config >/dev/null || fail "pkg-config is not installed (Debian: apt-get install pkg-config)"
  local pcdir
  pcdir=$(dirname "$(find "$work/prefix-static" -path '*/pkgconfig/sigkit.pc' | head -n1)")
  export PKG_CONFIG_PATH=$pcdir
  pkg-config --exists sigkit || fail "pkg-config does not find sigkit"
  local version
  version=$(pkg-config --modversion sigkit)
  [[ $version == "$project_version" ]] || fail "pkg-config version $version, project $project_version"
  local cflags libs
  cflags=$(pkg-config --cflags sigkit)
  libs=$(pkg-config --libs sigkit)
  echo "cflags: $cflags"
  echo "libs:   $libs"
  rm -rf "$work/consumer-pkg-config"
  mkdir -p "$work/consumer-pkg-config"
  # shellcheck disable=SC2086 # word splitting of the flags is intended
  "$CXX" -O2 -Wall -Wextra -Wpedantic -Werror $cflags "$here/consumer/main.cpp" \
    -o "$work/consumer-pkg-config/consumer" $libs
  "$work/consumer-pkg-config/consumer" || fail "pkg-config: the consumer exited with $?"
  unset PKG_CONFIG_PATH
}

step_add_subdirectory() {
  say "add_subdirectory consumer"
  local build="$work/consumer-add-subdirectory"
  rm -rf "$build"
  cmake -S "$here/add_subdirectory" -B "$build" "${common[@]}" -DSIGKIT_SOURCE_DIR="$src"
  cmake --build "$build" -j"$jobs"
  "$build/consumer" || fail "add_subdirectory: the consumer exited with $?"
  if [[ -n ${SIGKIT_PACKAGE_ADAPTERS:-} ]]; then
    [[ -x $build/adapters_consumer ]] || fail "add_subdirectory: no sigkit::asio / sigkit::uv"
    "$build/adapters_consumer" || fail "add_subdirectory: the adapters consumer exited with $?"
  fi
}

step_shared() {
  say "install a shared sigkit (BUILD_SHARED_LIBS=ON)"
  install_sigkit shared -DBUILD_SHARED_LIBS=ON
  [[ -n $(find "$work/prefix-shared" -name 'libsigkit.so*') ]] || fail "libsigkit.so is not installed"
  [[ -z $(find "$work/prefix-shared" -name libsigkit.a) ]] || fail "a shared build installed libsigkit.a"
  say "find_package consumer (shared)"
  find_package_consumer consumer-shared "$work/prefix-shared"
  if command -v ldd >/dev/null; then
    local libs
    libs=$(ldd "$work/consumer-shared/consumer")
    grep -q "libsigkit\.so" <<<"$libs" || fail "the shared consumer does not link libsigkit.so"
  fi
}

# True if the compiler finds <header> (a dependency of an optional adapter header).
have_header() {
  printf '#include <%s>\n' "$1" | "$CXX" -std=c++20 -fsyntax-only -x c++ - 2>/dev/null
}

step_headers() {
  say "public headers are self-contained"
  local flags=(-std=c++20 -fsyntax-only -Wall -Wextra -Wpedantic -Werror -I"$src/include")
  local header failed=0 out="$work/headers"
  rm -rf "$out"
  mkdir -p "$out"
  for header in "$src"/include/sigkit/*.hpp; do
    header=$(basename "$header")
    case $header in
      asio.hpp) have_header boost/asio.hpp || { echo "skipped <sigkit/asio.hpp>: no Boost.Asio"; continue; } ;;
      uv.hpp) have_header uv.h || { echo "skipped <sigkit/uv.hpp>: no libuv"; continue; } ;;
    esac
    printf '#include <sigkit/%s>\n#include <sigkit/%s>\n' "$header" "$header" >"$out/$header.cpp"
    if ! "$CXX" "${flags[@]}" "$out/$header.cpp"; then
      echo "FAILED: <sigkit/$header> does not compile on its own (or twice)"
      failed=1
    fi
  done
  local check
  for check in "$here"/headers/*.cpp; do
    if ! "$CXX" "${flags[@]}" "$check"; then
      echo "FAILED: $(basename "$check"): $(sed -n '1,2s|^// ||p' "$check" | tr '\n' ' ')"
      failed=1
    fi
  done
  [[ $failed == 0 ]] || fail "headers"
}

# The event-loop adapters as consumers see them: sigkit::asio and sigkit::uv from an installed
# sigkit (find_package with components) and from add_subdirectory.
step_adapters_find_package() {
  need_prefix
  say "adapters consumer: find_package(sigkit COMPONENTS asio uv)"
  local build="$work/consumer-adapters-find-package"
  rm -rf "$build"
  cmake -S "$here/adapters" -B "$build" "${common[@]}" -DCMAKE_PREFIX_PATH="$work/prefix-static"
  cmake --build "$build" -j"$jobs"
  "$build/consumer" || fail "adapters find_package: the consumer exited with $?"
  [[ -n $(find "$work/prefix-static" -name sigkit-asio-targets.cmake) ]] ||
    fail "sigkit-asio-targets.cmake is not installed"
  [[ -n $(find "$work/prefix-static" -name sigkit-uv-targets.cmake) ]] ||
    fail "sigkit-uv-targets.cmake is not installed"
}

# <sigkit/asio.hpp> must build (minus per-operation cancellation) against Boost 1.74.
step_asio_boost174() {
  need_prefix
  say "Asio adapter against Boost 1.74"
  local include=${SIGKIT_BOOST174_INCLUDE:-}
  if [[ -z $include ]]; then
    include="$work/boost174/usr/include"
    if [[ ! -f $include/boost/version.hpp ]]; then
      command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null ||
        fail "no Boost 1.74 headers: set SIGKIT_BOOST174_INCLUDE (needs apt-get and dpkg-deb otherwise)"
      mkdir -p "$work/boost174"
      (cd "$work/boost174" && apt-get download -qq libboost1.74-dev 2>/dev/null) ||
        fail "apt-get download libboost1.74-dev failed"
      dpkg-deb -x "$work"/boost174/libboost1.74-dev_*.deb "$work/boost174" ||
        fail "cannot unpack libboost1.74-dev"
    fi
  fi
  grep -q '^#define BOOST_VERSION 1074' "$include/boost/version.hpp" ||
    fail "$include holds no Boost 1.74"
  local prefix="$work/prefix-static" out="$work/consumer-asio-boost174"
  local libdir
  libdir=$(dirname "$(find "$prefix" -name libsigkit.a | head -n1)")
  rm -rf "$out"
  mkdir -p "$out"
  "$CXX" -std=c++20 -O1 -Wall -Wextra -Wpedantic -Werror -DSIGKIT_CONSUMER_NO_UV \
    -isystem "$include" -I"$prefix/include" "$here/adapters/main.cpp" -o "$out/consumer" \
    "$libdir/libsigkit.a" -pthread || fail "<sigkit/asio.hpp> does not build against Boost 1.74"
  local said
  said=$("$out/consumer") || fail "Boost 1.74: the consumer exited with $?"
  echo "$said"
  grep -q "Boost 107400, cancellation 0" <<<"$said" || fail "the consumer did not use Boost 1.74"
}

for step in "${steps[@]}"; do
  case $step in
    headers | install | find_package | version | relocated | pkg_config | add_subdirectory | shared | \
      adapters_find_package | asio_boost174)
      "step_$step" ;;
    *) fail "unknown step '$step'" ;;
  esac
done
say "ok: ${steps[*]}"
