#!/usr/bin/env bash
# Measures Redis-server CPU per event of the Redis stores against a private redis-server,
# once with AOF off and once with AOF everysec (the production setting).
#   bench/redis/run.sh [build dir] [extra tracegate-bench-redis flags...]
#   e.g. bench/redis/run.sh build --events=500000 --threads=2
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD="${1:-build}"
shift || true
BIN="$BUILD/bench/redis/tracegate-bench-redis"
if [ ! -x "$BIN" ]; then
  cmake --build "$BUILD" --target tracegate-bench-redis
fi
DIR="$(mktemp -d /tmp/tracegate-bench-redis-XXXXXX)"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
PID=""
cleanup() {
  if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  rm -rf "$DIR"
}
trap cleanup EXIT

for aof in no yes; do
  rm -rf "${DIR:?}"/*
  redis-server --bind 127.0.0.1 --port "$PORT" --dir "$DIR" --save "" --appendonly "$aof" \
    --appendfsync everysec --daemonize no --logfile "$DIR/redis.log" &
  PID=$!
  for _ in $(seq 100); do redis-cli -p "$PORT" ping >/dev/null 2>&1 && break; sleep 0.05; done
  label="AOF off"
  if [ "$aof" = yes ]; then label="AOF everysec"; fi
  "$BIN" --url="redis://127.0.0.1:$PORT/0" --label="$label" "$@"
  kill "$PID"; wait "$PID" 2>/dev/null || true
  PID=""
done
