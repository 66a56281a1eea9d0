#!/usr/bin/env bash
# Builds everything (release preset) and runs the sigkit tool on real processes.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
cmake --preset release >/dev/null
cmake --build --preset release -j"$(nproc)"
sigkit=build/release/cli/sigkit
run() {
  printf '\n$'; printf ' %q' "$@"; printf '\n'
  "$@" || printf '(exit status %d)\n' "$?"
}

run "$sigkit" --version
run "$sigkit" list INT TERM USR1 RTMIN+2
# A child that ignores TERM: sigkit run sends TERM at the deadline, then KILL after the grace.
run "$sigkit" run --timeout 1s --grace 500ms -- sh -c 'trap "" TERM; echo child $$ ignores TERM; exec sleep 30'
# A child that dies by a signal: sigkit dies by the same signal, so the shell sees 128+N.
run bash -c "\"$sigkit\" run -- sh -c 'kill -USR1 \$\$'; echo \"shell saw status \$?\""
# Send a queued signal with a payload to a waiting process and see who sent it.
"$sigkit" wait USR1 --timeout 5s &
waiter=$!
sleep 0.5
run "$sigkit" send USR1 "$waiter" --value 42
wait "$waiter" || true
# What does this shell do with its signals?
run "$sigkit" status $$
