#!/usr/bin/env bash
# Generates the Python protobuf/gRPC stubs of tracegate.v1 from proto/ into src/tracegate/v1/.
#   clients/python/generate.sh           # (re)write the stubs
#   clients/python/generate.sh --check   # exit 1 if the committed stubs are stale
# The stubs are committed so that `pip install clients/python` needs no protoc. They are
# never edited by hand. Uses $PYTHON (default: <repo>/.venv/bin/python3, else python3) with
# the grpcio-tools version pinned in clients/python/requirements-dev.txt, because another
# version writes different code (and a different runtime version check).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
if [ -z "${PYTHON:-}" ]; then
  if [ -x "$REPO/.venv/bin/python3" ]; then PYTHON="$REPO/.venv/bin/python3"; else PYTHON=python3; fi
fi
want="$(sed -n 's/^grpcio-tools==\([^ ]*\).*/\1/p' "$HERE/requirements-dev.txt")"
have="$("$PYTHON" -c 'import importlib.metadata as m; print(m.version("grpcio-tools"))' 2>/dev/null || true)"
if [ "$want" != "$have" ]; then
  echo "generate.sh: need grpcio-tools==$want (have '${have:-none}'): $PYTHON -m pip install grpcio-tools==$want" >&2
  exit 2
fi

PROTOS=(tracegate/v1/trace_event.proto tracegate/v1/ingest_service.proto)
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
(cd "$REPO/proto" && "$PYTHON" -m grpc_tools.protoc -I . --python_out="$out" --pyi_out="$out" \
  --grpc_python_out="$out" "${PROTOS[@]}")
printf '"""Generated protobuf and gRPC stubs of tracegate.v1 (clients/python/generate.sh)."""\n' \
  > "$out/tracegate/v1/__init__.py"

dest="$HERE/src/tracegate/v1"
if [ "${1:-}" = "--check" ]; then
  if diff -r -x __pycache__ "$out/tracegate/v1" "$dest" >/dev/null; then
    echo "generate.sh: stubs are fresh"
    exit 0
  fi
  diff -r -x __pycache__ "$out/tracegate/v1" "$dest" | head -20 >&2 || true
  echo "generate.sh: stubs in $dest are stale; run clients/python/generate.sh and commit" >&2
  exit 1
fi
rm -rf "$dest"
mkdir -p "$dest"
cp "$out"/tracegate/v1/* "$dest/"
echo "generate.sh: wrote $(ls "$dest" | wc -l) files to $dest"
