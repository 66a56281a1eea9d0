#!/bin/sh
# Runs a Windows program under Wine for ctest and gtest_discover_tests (the windows-cross
# preset's CMAKE_CROSSCOMPILING_EMULATOR). scripts/windows.sh prepares the Wine prefix.
# - Output goes through a file, never a pipe: wineserver, services.exe and conhost.exe
#   inherit the program's stdout and keep it open, so ctest would wait for them.
# - GoogleTest writes TEST_PREMATURE_EXIT_FILE when a test program starts and removes it when
#   it ends normally. Wine 8 ends a process on an unhandled Ctrl+C with exit code 0, not
#   STATUS_CONTROL_C_EXIT: such a premature end must fail, not pass.
# Wine as scripts/windows.sh sets it up, whoever runs this (ctest, gtest_discover_tests at
# build time): that script's prefix, headless, quiet, no Mono/Gecko installers.
here=$(cd "$(dirname "$0")" && pwd)
export WINEPREFIX="${WINEPREFIX:-$here/../build/wineprefix}"
export WINEDEBUG="${WINEDEBUG:--all}" WINEDLLOVERRIDES="${WINEDLLOVERRIDES:-mscoree,mshtml=}"
unset DISPLAY
tmp=$(mktemp -d "${TMPDIR:-/tmp}/wine-test.XXXXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
TEST_PREMATURE_EXIT_FILE="Z:$tmp/premature" wine "$@" >"$tmp/out" 2>&1 </dev/null
rc=$?
cat "$tmp/out"
if [ -e "$tmp/premature" ]; then
  echo "wine-test.sh: $1 exited (code $rc) before GoogleTest finished" >&2
  [ "$rc" -ne 0 ] && exit "$rc"
  exit 86
fi
exit "$rc"
