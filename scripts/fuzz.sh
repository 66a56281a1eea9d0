#!/usr/bin/env bash
# Runs every libFuzzer target in fuzz/ (see fuzz/README.md), one at a time.
#
#   scripts/fuzz.sh [--fresh] [SECONDS] [TARGET...]   fuzz each target for SECONDS (default 60)
#   scripts/fuzz.sh --coverage [TARGET...]    the source coverage each target's corpus reaches
#
# Builds the fuzz preset (clang, -fsanitize=fuzzer,address,undefined), then runs each target
# on its checked-in seed corpus (fuzz/corpus/NAME, read only) plus a working corpus that
# grows across runs (build/fuzz/work/NAME/corpus), with its dictionary. A crash, an invariant
# violation, a leak or a hang fails the script: the sanitizer's report, the input (base64 and
# a hex dump) and the command that reproduces it are printed, and the reproducer is kept in
# build/fuzz/work/NAME/artifacts/. Exit status: 0 if every target ran clean, 1 otherwise.
# --fresh empties the working corpora first, so the run starts from the checked-in seeds
# only (what .ci/run does).
#
# --coverage builds the fuzz-coverage preset (clang source-based coverage, no sanitizers), runs
# each target once over its seed and working corpora and prints the line, branch and function
# coverage of the files it is about (COVERS in fuzz/CMakeLists.txt).
set -euo pipefail
cd "$(dirname "$0")/.."

mode=fuzz
seconds=60
fresh=false
if [ "${1:-}" = "--fresh" ]; then
  fresh=true
  shift
fi
if [ "${1:-}" = "--coverage" ]; then
  mode=coverage
  shift
elif [[ "${1:-}" =~ ^[0-9]+$ ]]; then
  seconds=$1
  shift
fi
wanted=("$@")

scripts/bootstrap.sh
preset=fuzz
if [ "$mode" = coverage ]; then
  preset=fuzz-coverage
  # ccache's base_dir makes the compiler see relative paths, which then do not match the file
  # names given to llvm-cov below.
  unset CCACHE_BASEDIR
fi
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" -j"$(nproc)"
manifest=build/$preset/fuzz/targets.tsv
work_root=build/fuzz/work

selected() {
  [ ${#wanted[@]} -eq 0 ] && return 0
  local w
  for w in "${wanted[@]}"; do [ "$w" = "$1" ] && return 0; done
  return 1
}

tool() {  # the unversioned LLVM tool, or Debian's -14 one
  command -v "$1" || command -v "$1-14" || { echo "sigkit: $1 not found (apt-get install llvm)" >&2; exit 1; }
}

if [ "$mode" = coverage ]; then
  profdata=$(tool llvm-profdata)
  cov=$(tool llvm-cov)
  while IFS=$'\t' read -r name binary seeds dict covers; do
    selected "$name" || continue
    dir=build/fuzz-coverage/work/$name
    rm -rf "$dir" && mkdir -p "$dir"
    corpora=("$seeds")
    [ -d "$work_root/$name/corpus" ] && corpora+=("$work_root/$name/corpus")
    inputs=$(find "${corpora[@]}" -type f | wc -l)
    LLVM_PROFILE_FILE="$dir/%p.profraw" "$binary" -runs=0 -dict="$dict" "${corpora[@]}" \
      </dev/null >"$dir/log" 2>&1 || { cat "$dir/log"; exit 1; }
    "$profdata" merge -sparse "$dir"/*.profraw -o "$dir/merged.profdata"
    printf '\n==== %s: coverage of %s inputs (%s)\n' "$name" "$inputs" "${corpora[*]}"
    # shellcheck disable=SC2086  # covers is a space-separated list of files
    "$cov" report "$binary" -instr-profile="$dir/merged.profdata" $covers
    # shellcheck disable=SC2086
    "$cov" report -show-functions -Xdemangler=c++filt "$binary" \
      -instr-profile="$dir/merged.profdata" $covers | grep -v '^\s*$' | grep -v '^---' || true
  done <"$manifest"
  exit 0
fi

failed=()
summary=()
while IFS=$'\t' read -r name binary seeds dict _covers; do
  selected "$name" || continue
  dir=$work_root/$name
  [ "$fresh" = true ] && rm -rf "$dir/corpus"
  mkdir -p "$dir/corpus"
  rm -rf "$dir/artifacts" && mkdir -p "$dir/artifacts"
  printf '\n==== fuzzing %s for %ss\n' "$name" "$seconds"
  command=("$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048
           -print_final_stats=1 -dict="$dict"
           -artifact_prefix="$dir/artifacts/" "$dir/corpus" "$seeds")
  status=0
  # The outer timeout only guards against libFuzzer itself wedging.
  timeout -k 10 $((seconds + 300)) "${command[@]}" </dev/null >"$dir/log" 2>&1 || status=$?
  final_stat() { sed -n "s/^stat::$1: *//p" "$dir/log" | tail -1; }
  execs=$(final_stat number_of_executed_units)
  per_second=$(final_stat average_exec_per_sec)
  coverage=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$dir/log" | tail -1 || true)
  corpus=$(find "$dir/corpus" "$seeds" -type f | wc -l)
  if [ "$status" -eq 0 ]; then
    summary+=("$(printf '%-20s ok     %10s runs %8s/s  %-18s %6s inputs' "$name" "${execs:-?}" \
      "${per_second:-?}" "${coverage:-cov: ?}" "$corpus")")
    tail -n 12 "$dir/log"
    continue
  fi
  failed+=("$name")
  summary+=("$(printf '%-20s FAILED (exit status %s)' "$name" "$status")")
  echo "---- $name FAILED (exit status $status); libFuzzer's log (last 150 lines):"
  tail -n 150 "$dir/log"
  for artifact in "$dir"/artifacts/*; do
    [ -f "$artifact" ] || continue
    echo "---- reproducer $artifact ($(wc -c <"$artifact") bytes), base64:"
    base64 -w 76 "$artifact"
    echo "---- hex dump (first 1 KiB):"
    head -c 1024 "$artifact" | od -A d -t x1z -v
    echo "---- reproduce: echo '<base64 above>' | base64 -d > crash && $binary crash"
    echo "     (or: $binary $artifact)"
  done
  if ! compgen -G "$dir/artifacts/*" >/dev/null; then
    echo "---- no reproducer was written (libFuzzer itself failed?)"
  fi
done <"$manifest"

printf '\n==== fuzzing summary (%ss a target; cov = edges, ft = features)\n' "$seconds"
printf '%s\n' "${summary[@]}"
if [ ${#summary[@]} -eq 0 ]; then
  echo "sigkit: no fuzz target matched: ${wanted[*]}" >&2
  exit 1
fi
if [ ${#failed[@]} -gt 0 ]; then
  echo "sigkit: fuzz targets failed: ${failed[*]}" >&2
  exit 1
fi
