#!/usr/bin/env bash
# Sets everything up, then runs Tracegate end to end on its embedded default (in-process
# queue and dedupe, no Redis) with the Langfuse emulator standing in for Langfuse:
#   emulator (127.0.0.1, free port) ← tracegate --config examples/tracegate.yaml ← tracegate-cli verify
# and prints the "langfuse-sanity-check" trace as the emulator stored it. Stops everything
# it started on exit. With a real Langfuse, skip the emulator: set LANGFUSE_BASE_URL,
# LANGFUSE_PUBLIC_KEY and LANGFUSE_SECRET_KEY and run build/gateway/tracegate yourself.
#
#   TRACEGATE_SKIP_SETUP=1 TRACEGATE_BUILD_DIR=build scripts/quickstart.sh   # reuse a build
#   (ctest's quickstart_smoke runs it that way, so the README's first command stays tested)
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${TRACEGATE_SKIP_SETUP:-0}" = 1 ] || scripts/setup.sh

PY=${TRACEGATE_PYTHON:-.venv/bin/python3}
BUILD=${TRACEGATE_BUILD_DIR:-build}
WORK=$(mktemp -d /tmp/tracegate-quickstart.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

# 1. The Langfuse emulator on a free loopback port (exits by itself after 10 minutes).
export LANGFUSE_PUBLIC_KEY=pk-lf-quickstart LANGFUSE_SECRET_KEY=sk-lf-quickstart
$PY tests/emulator/langfuse_emulator.py --port 0 --max-lifetime-seconds 600 \
  --public-key "$LANGFUSE_PUBLIC_KEY" --secret-key "$LANGFUSE_SECRET_KEY" \
  >"$WORK/emulator.out" 2>"$WORK/emulator.log" &
pids+=($!)
for _ in $(seq 100); do grep -q '^PORT ' "$WORK/emulator.out" 2>/dev/null && break; sleep 0.1; done
EMU_PORT=$(sed -n 's/^PORT \([0-9]*\)$/\1/p' "$WORK/emulator.out")
[ -n "$EMU_PORT" ] || { echo "emulator did not start"; cat "$WORK/emulator.log"; exit 1; }
export LANGFUSE_BASE_URL="http://127.0.0.1:$EMU_PORT"
echo "== Langfuse emulator on $LANGFUSE_BASE_URL"

# 2. The gateway with the example config, on free loopback ports.
export TRACEGATE_GRPC_LISTEN=127.0.0.1:0 TRACEGATE_ADMIN_LISTEN=127.0.0.1:0 APP_ENV=${APP_ENV:-dev}
"$BUILD/gateway/tracegate" --config=examples/tracegate.yaml 2>"$WORK/gateway.log" &
pids+=($!)
for _ in $(seq 100); do grep -q '"tracegate listening"' "$WORK/gateway.log" 2>/dev/null && break; sleep 0.1; done
GRPC_PORT=$(sed -n 's/.*"tracegate listening".*"grpc_port":"\([0-9]*\)".*/\1/p' "$WORK/gateway.log")
ADMIN_PORT=$(sed -n 's/.*"tracegate listening".*"admin_port":"\([0-9]*\)".*/\1/p' "$WORK/gateway.log")
[ -n "$GRPC_PORT" ] || { echo "gateway did not start"; cat "$WORK/gateway.log"; exit 1; }
echo "== tracegate on 127.0.0.1:$GRPC_PORT (gRPC), http://127.0.0.1:$ADMIN_PORT/metrics"

# 3. Send the sanity trace through gRPC, as a service would.
TRACEGATE_ENDPOINT=127.0.0.1:$GRPC_PORT TRACEGATE_API_KEY=tg_dev_key_change_me \
  "$BUILD/clients/cpp/tracegate-cli" verify --workspace=default --service=quickstart

# 4. Show what reached "Langfuse".
$PY - "$EMU_PORT" <<'PYEOF'
import json, sys, urllib.request
port = sys.argv[1]
url = "http://127.0.0.1:%s/_emulator/wait?traces=1&observations=3&scores=1&timeout=15" % port
with urllib.request.urlopen(url, timeout=20) as r:
    assert r.status == 200
state = json.load(urllib.request.urlopen("http://127.0.0.1:%s/_emulator/state" % port))
(trace,) = [t for t in state["traces"].values() if t["name"] == "langfuse-sanity-check"]
print("== delivered to Langfuse (emulator): trace %s" % trace["id"])
print(json.dumps({k: trace[k] for k in ("name", "tags", "input", "output", "ingestedVia")}, indent=2))
for o in sorted(state["observations"].values(), key=lambda o: o["startTime"]):
    print("   %-10s %-18s parent=%s model=%s" % (o["type"], o["name"], o["parentObservationId"], o["model"]))
for s in state["scores"].values():
    print("   SCORE      %-18s value=%s (%s)" % (s["name"], s["value"], s["ingestedVia"]))
for r in state["requests"]:
    print("   POST %-30s -> %s" % (r["path"], r["status"]))
PYEOF
echo "== done; gateway log: $WORK/gateway.log"
