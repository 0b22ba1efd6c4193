#!/usr/bin/env bash
# Configures and builds Tracegate with CMake + Ninja. scripts/setup.sh and deploy/Dockerfile
# both build through this script.
#   scripts/build.sh [BUILD_DIR] [extra cmake -D options...]
#   TRACEGATE_BUILD_TARGETS="tracegate" scripts/build.sh build -DTRACEGATE_BUILD_TESTS=OFF
# CMAKE_BUILD_TYPE defaults to Release; TRACEGATE_BUILD_TARGETS (space-separated) limits what
# is built (default: everything).
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir="${1:-build}"
if [ $# -gt 0 ]; then shift; fi

cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="${CMAKE_BUILD_TYPE:-Release}" "$@" >/dev/null
targets=()
if [ -n "${TRACEGATE_BUILD_TARGETS:-}" ]; then
  read -r -a names <<<"$TRACEGATE_BUILD_TARGETS"
  targets=(--target "${names[@]}")
fi
cmake --build "$build_dir" -j "$(nproc)" "${targets[@]}"
