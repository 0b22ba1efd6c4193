#!/usr/bin/env bash
# Time the TypeScript and Go clients add to the caller per traced LLM call (µs), against the
# real gateway (+ Langfuse emulator) of a build directory.
#   bench/clients_ts_go/run.sh [build-dir]        (default: build; needs scripts/setup.sh)
#   TS_CALLS=20000 TS_ROUNDS=5 GO_CALLS=100000 GO_COUNT=5 bench/clients_ts_go/run.sh
# Prints the TypeScript JSON and the `go test -bench` lines; see README.md for how to read them.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=$(realpath "${1:-build}")
export TRACEGATE_BUILD_DIR="$BUILD"
echo "== TypeScript (node $(node --version)) =="
(cd clients/typescript && npm run --silent build)
node bench/clients_ts_go/ts_bench.js "${TS_CALLS:-20000}" "${TS_ROUNDS:-5}"
echo "== Go ($(go version | cut -d' ' -f3)) =="
(cd clients/go && ./gen.sh && go test ./tracegatetest -run '^$' -bench . \
  -benchtime "${GO_CALLS:-100000}x" -count "${GO_COUNT:-5}")
