#!/usr/bin/env bash
# Runs every test: C++ unit tests, the Langfuse emulator's tests and the end-to-end tests
# (real gateway + emulator on 127.0.0.1, port 0). Builds first if needed.
#   scripts/test.sh                 # all
#   scripts/test.sh -L unit         # extra arguments go to ctest (e.g. -R queue)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f build/build.ninja ]; then
  scripts/setup.sh
fi
cmake --build build -j "$(nproc)"
ctest --test-dir build --output-on-failure -j 2 "$@"
