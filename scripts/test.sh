#!/usr/bin/env bash
# Builds sigkit (dev preset: Debug, -Werror) and runs the full test suite: the unit, stress,
# CLI and example tests, then the packaging tests (find_package, add_subdirectory, pkg-config).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
cmake --preset dev
cmake --build --preset dev -j"$(nproc)"
ctest --preset dev
ctest --preset package
