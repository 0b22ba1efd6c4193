#!/usr/bin/env bash
# Builds the libFuzzer targets with clang-14 (ASan + UBSan, -DTRACEGATE_FUZZ=ON) in their own
# build tree and runs each one on its corpus for a while. Exit status 1 on any crash, leak,
# sanitizer report or broken invariant; the input that caused it is saved in
# <build>/fuzz-artifacts/. New inputs found go to a scratch directory, not to the repository.
#
#   tests/fuzz/run_fuzz.sh                          # every target, 20 s each, build in build-fuzz/
#   tests/fuzz/run_fuzz.sh --seconds 600 trace_event config_yaml
#   tests/fuzz/run_fuzz.sh --build /tmp/fz --jobs 2 --keep-corpus DIR
#
# Needs clang-14 and libclang-rt-14-dev (scripts/install-deps.sh test).
set -euo pipefail
src="$(cd "$(dirname "$0")/../.." && pwd)"
seconds=20
build="$src/build-fuzz"
jobs=2
keep=""
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --build) build="$2"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    --keep-corpus) keep="$2"; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) targets+=("$1"); shift ;;
  esac
done
if [ ${#targets[@]} -eq 0 ]; then
  targets=(config_yaml trace_event otlp_roundtrip ingestion_response ingest_request auth_header)
fi
if ! command -v clang++-14 >/dev/null 2>&1; then
  echo "run_fuzz: clang++-14 is not installed (scripts/install-deps.sh test)" >&2
  exit 2
fi

mkdir -p "$build"
CC=clang-14 CXX=clang++-14 cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DTRACEGATE_FUZZ=ON >"$build/configure.log" 2>&1 || { cat "$build/configure.log" >&2; exit 2; }
ninja_targets=()
for t in "${targets[@]}"; do ninja_targets+=("fuzz_$t"); done
ninja -C "$build" -j "$jobs" "${ninja_targets[@]}"

mkdir -p "$build/fuzz-artifacts"
failed=0
for t in "${targets[@]}"; do
  scratch="$(mktemp -d)"
  echo "run_fuzz: $t for ${seconds}s"
  # -timeout: one input taking > 10 s is a hang; -rss_limit_mb guards against runaway memory.
  if ! ASAN_OPTIONS="detect_leaks=1:abort_on_error=1" UBSAN_OPTIONS="print_stacktrace=1" \
      "$build/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 \
      -max_len=1048576 -print_final_stats=1 -artifact_prefix="$build/fuzz-artifacts/$t-" \
      "$scratch" "$src/tests/fuzz/corpus/$t" 2>"$build/fuzz-$t.log"; then
    echo "run_fuzz: $t FAILED; see $build/fuzz-$t.log and $build/fuzz-artifacts/" >&2
    tail -n 40 "$build/fuzz-$t.log" >&2
    failed=1
  else
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$build/fuzz-$t.log" | \
      sed "s/^/run_fuzz: $t /"
  fi
  if [ -n "$keep" ]; then mkdir -p "$keep/$t" && cp -n "$scratch"/* "$keep/$t/" 2>/dev/null || true; fi
  rm -rf "$scratch"
done
exit $failed
