#!/usr/bin/env bash
# clang-tidy with the checked-in .clang-tidy over every translation unit of src/ and cli/
# (and the headers they include from include/sigkit, src/ and cli/), in parallel. Fails on
# any finding, printing each.
#
#   scripts/tidy.sh [BUILD_DIR]      (default build/dev; configured here if it is not yet)
#
# Uses the compile commands of the gcc dev build, so it checks exactly what is built here.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/dev}
if [ ! -f "$build/compile_commands.json" ]; then
  scripts/bootstrap.sh
  cmake --preset dev >/dev/null
fi
tidy=$(command -v run-clang-tidy || command -v run-clang-tidy-14) ||
  { echo "sigkit: run-clang-tidy not found (apt-get install clang-tidy)" >&2; exit 1; }

log=$(mktemp)
trap 'rm -f "$log"' EXIT
start=$(date +%s)
status=0
"$tidy" -p "$build" -j "$(nproc)" -quiet "^$PWD/(src|cli)/.*\.(cpp|cc)\$" 2>&1 |
  sed 's/\x1b\[[0-9;]*m//g' >"$log" || status=$?
# clang-tidy prints "N warnings generated" for the suppressed findings in system headers; the
# real findings are file:line:col: warning|error lines (with their notes and source lines).
findings=$(grep -cE '^[^ ]+:[0-9]+:[0-9]+: (warning|error):' "$log" || true)
files=$(grep -c '^clang-tidy' "$log" || true)
if [ "$findings" -gt 0 ] || [ "$status" -ne 0 ]; then
  grep -vE '^[0-9]+ warnings? generated\.$|^Suppressed [0-9]+ warnings|^Use -header-filter|^clang-tidy' \
    "$log" || true
  echo "sigkit: clang-tidy: $findings finding(s) in src/ and cli/ (run-clang-tidy exit status $status)" >&2
  exit 1
fi
echo "clang-tidy: $files translation units of src/ and cli/ clean ($(($(date +%s) - start)) s)"
