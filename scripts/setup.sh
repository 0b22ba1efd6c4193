#!/usr/bin/env bash
# Installs everything Tracegate needs on a fresh Debian 12 machine, then builds it.
#   scripts/setup.sh            # apt packages, Python test packages (.venv), Release build in build/
# Re-running is cheap: apt and pip skip what is installed, ninja rebuilds only what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: the lists live in scripts/install-deps.sh (deploy/Dockerfile uses it too).
# deploy-checks: the offline checkers that tests/deploy runs (docker-compose, nginx,
# promtool, ShellCheck, kubeconform).
scripts/install-deps.sh build test deploy-checks

# Python packages for the Langfuse emulator and the end-to-end tests, in a private venv
# (Debian's system Python refuses global pip installs).
if [ ! -x .venv/bin/python3 ]; then
  python3 -m venv .venv
fi
.venv/bin/python3 -m pip install -q --disable-pip-version-check -r tests/requirements.txt
.venv/bin/python3 -m pip install -q --disable-pip-version-check -r tests/deploy/requirements.txt
# The Python client (clients/python), editable: its tests and the tracegate-verify command.
# Its dependencies come pinned through tests/requirements.txt.
if [ ! -x .venv/bin/tracegate-verify ] || ! .venv/bin/python3 -c 'import tracegate.langchain' 2>/dev/null; then
  .venv/bin/python3 -m pip install -q --disable-pip-version-check --no-deps -e clients/python
fi

# TypeScript client (clients/typescript): npm packages from its package-lock.json (Node 20
# and npm are on the machine). Re-run only when the lock file changed.
ts=clients/typescript
if [ ! -f $ts/node_modules/.package-lock.json ] || [ $ts/package-lock.json -nt $ts/node_modules/.package-lock.json ]; then
  (cd $ts && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
# Go client (clients/go): modules, the protoc plugins (go install at go.mod's versions) and
# the stubs generated from proto/.
(cd clients/go && go mod download && ./gen.sh)

scripts/build.sh build -DTRACEGATE_PYTHON="$PWD/.venv/bin/python3"
echo "setup: built build/gateway/tracegate and build/clients/cpp/tracegate-cli"
