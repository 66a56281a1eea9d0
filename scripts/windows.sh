#!/usr/bin/env bash
# The Windows build of sigkit, cross-compiled with mingw-w64 (x86-64, posix threads, static
# runtime) and tested under Wine, headless: the windows-cross preset. Installs what it needs
# (scripts/bootstrap.sh --windows), builds GoogleTest for Windows once (build/windows-gtest),
# prepares a Wine prefix of its own (build/wineprefix), then configures, builds and runs the
# Windows test suite. Used by .ci/run; a developer runs it the same way.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
scripts/bootstrap.sh --windows

# Wine, headless and quiet: no display, no Mono/Gecko installers, crashes end the process
# instead of starting winedbg (which would turn a crash into exit code 0).
export WINEPREFIX="$root/build/wineprefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
unset DISPLAY
mkdir -p "$WINEPREFIX"
# Never let Wine's set-up output reach a pipe: wineserver and its services keep it open.
wineserver -p </dev/null >/dev/null 2>&1
trap 'wineserver -k </dev/null >/dev/null 2>&1 || true' EXIT
if [ ! -e "$WINEPREFIX/.sigkit-ready" ]; then
  wine wineboot -i </dev/null >/dev/null 2>&1
  wine reg add 'HKLM\Software\Microsoft\Windows NT\CurrentVersion\AeDebug' \
    /v Debugger /d false /f </dev/null >/dev/null 2>&1
  touch "$WINEPREFIX/.sigkit-ready"
fi

# GoogleTest for Windows, from Debian's sources (libgtest-dev), once.
gtest="$root/build/windows-gtest"
if [ ! -e "$gtest/lib/cmake/GTest/GTestConfig.cmake" ]; then
  cmake -S /usr/src/googletest -B "$root/build/windows-gtest-build" \
    -DCMAKE_TOOLCHAIN_FILE="$root/cmake/mingw-w64-x86_64.cmake" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_INSTALL_PREFIX="$gtest" -Dgtest_force_shared_crt=ON >/dev/null
  cmake --build "$root/build/windows-gtest-build" -j"$(nproc)" >/dev/null
  cmake --install "$root/build/windows-gtest-build" >/dev/null
fi

cmake --preset windows-cross
cmake --build --preset windows-cross -j"$(nproc)"
ctest --preset windows-cross
