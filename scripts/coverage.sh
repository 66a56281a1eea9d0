#!/usr/bin/env bash
# Line and branch coverage of src/ and cli/ by the whole test suite (gcov + gcovr).
#
#   scripts/coverage.sh
#
# Builds the coverage preset (Debug, --coverage), deletes the counters of earlier runs, runs
# every test of the dev suite (the packaging tests excepted: they build other projects), then
# prints the coverage of each file of src/ and cli/, the files under 80% line coverage, and
# the totals. HTML with every line: build/coverage/html/index.html.
#
# Branch figures leave out the branches gcc adds for exceptions and the ones it can prove
# unreachable (--exclude-throw-branches, --exclude-unreachable-branches). gcov writes a
# process's counters at a normal exit; in this build _exit(), _Exit() and a raise() that may
# end the process write them first (cmake/coverage_flush.cpp), so forked test children and
# processes that die by a signal they raise count too. A process killed from outside (a
# watchdog's SIGKILL, a fault) does not.
#
# A test that fails gets one more run (timing under instrumentation); the coverage is printed
# either way, and the script fails if a test failed twice.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
start=$(date +%s)

cmake --preset coverage >/dev/null
# Counters of an earlier run go first: the build itself runs each test binary (test discovery).
[ -d build/coverage ] && find build/coverage -name '*.gcda' -delete
cmake --build --preset coverage -j"$(nproc)"
find build/coverage -name '*.gcda' -delete

tests_ok=true
ctest --preset coverage --repeat until-pass:2 >build/coverage/ctest.log 2>&1 || tests_ok=false
grep -E "tests passed|tests failed|Total Test time" build/coverage/ctest.log || true
if [ "$tests_ok" = false ]; then
  sed -n '/The following tests FAILED/,$p' build/coverage/ctest.log
fi

mkdir -p build/coverage/html
gcovr_options=(--root . --object-directory build/coverage --filter 'src/' --filter 'cli/'
               --exclude-throw-branches --exclude-unreachable-branches -j "$(nproc)"
               --exclude-directories 'build/coverage/CMakeFiles/[0-9.]+')
gcovr "${gcovr_options[@]}" --txt build/coverage/lines.txt \
  --json-summary-pretty --json-summary build/coverage/summary.json \
  --html-details build/coverage/html/index.html >/dev/null

python3 - build/coverage/summary.json <<'EOF'
import json, pathlib, sys
summary = json.load(open(sys.argv[1]))
rows = sorted(summary["files"], key=lambda f: f["filename"])
def pct(covered, total):
    return 100.0 * covered / total if total else 100.0
print(f"\n{'file':<34} {'lines':>15} {'branches':>15}")
for f in rows:
    lines = f"{f['line_covered']}/{f['line_total']} {pct(f['line_covered'], f['line_total']):5.1f}%"
    branches = f"{f['branch_covered']}/{f['branch_total']} {pct(f['branch_covered'], f['branch_total']):5.1f}%"
    print(f"{f['filename']:<34} {lines:>15} {branches:>15}")
low = [f for f in rows if pct(f["line_covered"], f["line_total"]) < 80.0]
print("\nfiles under 80% line coverage:", "none" if not low else "")
for f in low:
    print(f"  {f['filename']}: {pct(f['line_covered'], f['line_total']):.1f}%")
reported = {f["filename"] for f in rows}
unbuilt = sorted(str(p) for d in ("src", "cli") for p in pathlib.Path(d).rglob("*")
                 if p.suffix in (".cpp", ".cc", ".c") and str(p) not in reported)
if unbuilt:
    print("\nnot built here, so not counted (another platform or an option that is off):")
    for name in unbuilt:
        print(f"  {name}")
print(f"\ncoverage of src/ and cli/: lines {summary['line_covered']}/{summary['line_total']} "
      f"= {summary['line_percent']:.1f}%, branches {summary['branch_covered']}/"
      f"{summary['branch_total']} = {summary['branch_percent']:.1f}%")
EOF
echo "per-line HTML: build/coverage/html/index.html  ($(($(date +%s) - start)) s)"
if [ "$tests_ok" = false ]; then
  echo "sigkit: tests failed under the coverage build (see build/coverage/ctest.log)" >&2
  exit 1
fi
