#!/usr/bin/env bash
# Installs the Debian packages sigkit's build, tests, tool, examples and benchmarks need
# (with --windows also those of the Windows cross-build, scripts/windows.sh).
# Idempotent: does nothing when everything is already there. Run as root (or with sudo).
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libgtest-dev libgmock-dev libbenchmark-dev
  libcli11-dev libfmt-dev nlohmann-json3-dev libcpp-httplib-dev
  util-linux procps
  locales
  binutils llvm gdb  # sigkit symbolize (addr2line, objcopy; llvm-symbolizer); core-file checks
  # the event-loop adapters (sigkit::asio needs Boost >= 1.77 for per-operation cancellation:
  # libboost1.81-dev, which replaces Debian's default libboost-dev 1.74; sigkit::uv: libuv)
  libboost1.81-dev libuv1-dev
  man-db groff-base bash-completion zsh fish  # sigkit(1) and the completions: rendered, loaded by the tests
  # engineering hygiene (issue 14): fuzzing, clang-tidy, coverage, the API reference
  clang libclang-rt-14-dev clang-tidy gcovr doxygen  # llvm: see above
)
# scripts/windows.sh: the Windows cross-build (mingw-w64) and Wine to run its tests; 1.1 GB,
# so only with --windows.
if [ "${1:-}" = --windows ]; then
  packages+=(g++-mingw-w64-x86-64-posix wine64 wine)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "sigkit: installing Debian packages: ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
