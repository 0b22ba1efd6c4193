# Shared by the tests/deploy/check_*.sh scripts (sourced, not run).
# shellcheck shell=bash
set -euo pipefail
SRC="${TRACEGATE_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
TOOLS_BIN="${TRACEGATE_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tracegate-tools}/bin"
PATH="$PATH:$TOOLS_BIN"
PYTHON3="${PYTHON3:-$SRC/.venv/bin/python3}"

# need TOOL...: fail (not skip) when a checker is missing.
need() {
  local t
  for t in "$@"; do
    command -v "$t" >/dev/null 2>&1 && continue
    echo "FAIL: $t is not installed; run: scripts/install-deps.sh deploy-checks" >&2
    exit 1
  done
}

# A fresh temporary folder, removed on exit.
make_tmp() {
  mkdir -p "${TRACEGATE_TEST_TMP:-/tmp}"
  TMP=$(mktemp -d "${TRACEGATE_TEST_TMP:-/tmp}/deploy.XXXXXX")
  trap 'rm -rf "$TMP"' EXIT
}

# An .env made from .env.example by deploy/gen-env.sh, in $TMP/.env.
make_env() {
  cp "$SRC/.env.example" "$TMP/.env"
  "$SRC/deploy/gen-env.sh" "$TMP/.env" >/dev/null
}
