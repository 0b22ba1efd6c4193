#!/usr/bin/env bash
# Installs everything Tracegate needs on a fresh Debian 12 machine, then builds it.
#   scripts/setup.sh            # apt packages, Python test packages (.venv), Release build in build/
# Re-running is cheap: apt and pip skip what is installed, ninja rebuilds only what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

APT_PACKAGES=(
  build-essential cmake ninja-build pkg-config ccache git ca-certificates
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libabsl-dev
  libcurl4-openssl-dev zlib1g-dev libssl-dev libhiredis-dev redis-server
  libgtest-dev libgmock-dev
  nlohmann-json3-dev libyaml-cpp-dev prometheus-cpp-dev libcpp-httplib-dev
  python3 python3-venv python3-pip
)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

# Python packages for the Langfuse emulator and the end-to-end tests, in a private venv
# (Debian's system Python refuses global pip installs).
if [ ! -x .venv/bin/python3 ]; then
  python3 -m venv .venv
fi
.venv/bin/python3 -m pip install -q --disable-pip-version-check -r tests/requirements.txt

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE="${CMAKE_BUILD_TYPE:-Release}" \
  -DTRACEGATE_PYTHON="$PWD/.venv/bin/python3" >/dev/null
cmake --build build -j "$(nproc)"
echo "setup: built build/gateway/tracegate and build/clients/cpp/tracegate-cli"
