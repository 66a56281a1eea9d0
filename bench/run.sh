#!/usr/bin/env bash
# bench/run.sh - builds sigkit in release mode, runs every benchmark with bounded time and
# prints one table (markdown). See bench/README.md for how to read it.
#
# Environment:
#   SIGKIT_BENCH_BUILD_DIR  build directory (default: the release preset's build/release)
#   SIGKIT_BENCH_NO_BUILD   set to skip the build step
#   SIGKIT_BENCH_CPU        the CPU both ping-pong processes are pinned to (default 0)
#   SIGKIT_BENCH_QUICK      set for a short smoke run (fewer round trips and repetitions)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

build_dir=${SIGKIT_BENCH_BUILD_DIR:-build/release}
cpu=${SIGKIT_BENCH_CPU:-0}

if [[ -z ${SIGKIT_BENCH_NO_BUILD:-} ]]; then
  echo "building (release) in $build_dir ..." >&2
  if [[ $build_dir == build/release ]]; then
    cmake --preset release >/dev/null
    cmake --build --preset release -j2 --target sigkit_benchmarks >/dev/null
  else
    cmake --preset release -B "$build_dir" >/dev/null
    cmake --build "$build_dir" -j2 --target sigkit_benchmarks >/dev/null
  fi
fi

bin=$build_dir/bench
logs=$build_dir/bench-logs
mkdir -p "$logs"
rows=$logs/rows.tsv
: >"$rows"

if [[ -n ${SIGKIT_BENCH_QUICK:-} ]]; then
  micro_args=(--benchmark_min_time=0.01)
  pingpong_args=(--round-trips=2000 --seconds=0.5 --reps=1 "--cpu=$cpu")
  adapters_args=(--round-trips=2000 --seconds=0.5 --reps=1 --unpinned=0 "--cpu=$cpu")
  burst_args=(--count=20000 "--cpu=$cpu")
  faulthandler_args=(--runs=50)
  shutdown_args=(--runs=10)
  trace_args=(--round-trips=2000 --seconds=0.5 --reps=1 "--cpu=$cpu")
else
  # Repetitions in random order, median reported: a noisy moment hits sigkit and its
  # baseline alike instead of one of them.
  micro_args=(--benchmark_min_time=0.03 --benchmark_repetitions=5
              --benchmark_enable_random_interleaving=true
              --benchmark_report_aggregates_only=true)
  pingpong_args=(--round-trips=20000 --seconds=2 --reps=5 "--cpu=$cpu")
  # Short runs, many of them: on a shared machine some come through undisturbed.
  adapters_args=(--round-trips=5000 --seconds=1 --reps=9 --unpinned=0 "--cpu=$cpu")
  burst_args=(--count=20000 "--cpu=$cpu")
  faulthandler_args=(--runs=1000)
  shutdown_args=(--runs=100)
  trace_args=(--round-trips=20000 --seconds=1 --reps=3 "--cpu=$cpu")
fi

failed=0
# run NAME BINARY ARGS...: at most 60 s each; ROW lines go to the table, the rest to a log.
run() {
  local name=$1
  shift
  echo "running $name ..." >&2
  local start=$SECONDS
  if timeout --kill-after=5 60 "$@" >"$logs/$name.out" 2>"$logs/$name.err"; then
    :
  else
    local rc=$?
    echo "  $name exited with status $rc (see $logs/$name.err)" >&2
    printf 'ROW\t%s\t(binary)\tFAILED: exit status %s\t-\t-\t-\tFAILED\n' "$name" "$rc" >>"$rows"
    failed=1
  fi
  grep '^ROW' "$logs/$name.out" >>"$rows" || true
  echo "  done in $((SECONDS - start)) s" >&2
}

run micro "$bin/sigkit_bench_micro" "${micro_args[@]}"
run pingpong "$bin/sigkit_bench_pingpong" "${pingpong_args[@]}"
run burst "$bin/sigkit_bench_burst" "${burst_args[@]}"
run idle "$bin/sigkit_bench_idle" --seconds=1
run faulthandler "$bin/sigkit_bench_faulthandler" "${faulthandler_args[@]}"
run shutdown "$bin/sigkit_bench_shutdown" "${shutdown_args[@]}"
# Built when Boost.Asio and libuv are found (the event-loop adapters).
if [[ -x $bin/sigkit_bench_adapters ]]; then
  run adapters "$bin/sigkit_bench_adapters" "${adapters_args[@]}"
fi
run trace "$bin/sigkit_bench_trace" "${trace_args[@]}"

echo
echo "sigkit benchmarks - $(date -u '+%Y-%m-%d %H:%M UTC') - $(nproc) CPUs," \
  "$(lscpu | sed -n 's/^Model name: *//p' | head -1), $(uname -sr)," \
  "load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
awk -F'\t' '
  {
    for (i = 2; i <= 8; ++i) {
      c = $i; gsub(/\|/, "\\|", c)   # a "|" inside a cell would end it in markdown
      cell[NR, i] = c; if (length(c) > w[i]) w[i] = length(c)
    }
  }
  END {
    split("section|case|result|baseline|ratio|target|verdict", head, "|")
    for (i = 2; i <= 8; ++i) if (length(head[i - 1]) > w[i]) w[i] = length(head[i - 1])
    line = "|"; sep = "|"
    for (i = 2; i <= 8; ++i) {
      line = line sprintf(" %-*s |", w[i], head[i - 1])
      dash = sprintf("%*s", w[i], ""); gsub(/ /, "-", dash); sep = sep "-" dash "-|"
    }
    print line; print sep
    for (r = 1; r <= NR; ++r) {
      line = "|"
      for (i = 2; i <= 8; ++i) line = line sprintf(" %-*s |", w[i], cell[r, i])
      print line
    }
  }' "$rows"
echo
met=$(awk -F'\t' '$8 == "MET"' "$rows" | wc -l)
missed=$(awk -F'\t' '$8 ~ /^MISSED/' "$rows" | wc -l)
broken=$(awk -F'\t' '$8 == "FAILED"' "$rows" | wc -l)
echo "targets: $met met, $missed missed, $broken failed to run. Details: $logs/"
if ((broken > 0 || failed)); then exit 1; fi
