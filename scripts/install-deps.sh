#!/usr/bin/env bash
# The one list of what Tracegate needs installed, by purpose. scripts/setup.sh and
# deploy/Dockerfile both call this script, so a developer machine, CI and the image agree.
#
#   scripts/install-deps.sh build           compilers and -dev libraries (Debian 12 packages)
#   scripts/install-deps.sh runtime         shared libraries the tracegate binary loads, plus
#                                           curl for the container health check
#   scripts/install-deps.sh test            unit/integration test dependencies; checks that
#                                           Node.js >= 20 and Go >= 1.21 are there (clients)
#   scripts/install-deps.sh deploy-checks   offline checkers for deploy/ (docker-compose, nginx,
#                                           promtool, shellcheck, openssl, PostgreSQL for the init
#                                           script) and kubeconform, built with `go install`
#                                           into $TRACEGATE_TOOLS_DIR/bin
#   scripts/install-deps.sh --list GROUP    print a group's Debian packages, install nothing
#
# Idempotent: installed packages are skipped; apt-get update runs only when something is missing.
# Runs as root, or through sudo when it is there.
set -euo pipefail

KUBECONFORM_VERSION="v0.6.7"
TOOLS_DIR="${TRACEGATE_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tracegate-tools}"

packages_for() {
  case "$1" in
    build)
      echo build-essential cmake ninja-build pkg-config ccache git ca-certificates \
        libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libabsl-dev \
        libcurl4-openssl-dev zlib1g-dev libssl-dev libhiredis-dev \
        nlohmann-json3-dev libyaml-cpp-dev prometheus-cpp-dev libcpp-httplib-dev libjemalloc-dev
      ;;
    runtime)
      # Keep in step with the binary: tests/deploy checks that every library tracegate
      # links is owned by one of these packages.
      echo ca-certificates curl libstdc++6 libgcc-s1 zlib1g libssl3 libcurl4 \
        libabsl20220623 libprotobuf32 libgrpc29 libgrpc++1.51 libhiredis0.14 \
        libyaml-cpp0.7 libprometheus-cpp-core1.0 libcpp-httplib0.11 libre2-9 libjemalloc2
      ;;
    test)
      # clang-14 + libclang-rt-14-dev: libFuzzer/ASan/UBSan for tests/fuzz (ctest fuzz_smoke).
      echo libgtest-dev libgmock-dev redis-server python3 python3-venv python3-pip \
        clang-14 libclang-rt-14-dev
      ;;
    deploy-checks)
      echo docker-compose nginx prometheus shellcheck openssl postgresql
      ;;
    *)
      echo "install-deps: unknown group \"$1\" (build, runtime, test, deploy-checks)" >&2
      return 2
      ;;
  esac
}

SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi

apt_install() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "install-deps: installing ${missing[*]}"
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
}

# kubeconform from the Go module proxy; uses the machine's Go, or Debian's when there is none.
install_kubeconform() {
  local bin="$TOOLS_DIR/bin/kubeconform" stamp="$TOOLS_DIR/bin/.kubeconform-version"
  if [ -x "$bin" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$KUBECONFORM_VERSION" ]; then
    return 0
  fi
  if ! command -v go >/dev/null 2>&1; then
    if [ -x /usr/local/go/bin/go ]; then
      PATH="/usr/local/go/bin:$PATH"
    else
      apt_install golang-go
    fi
  fi
  echo "install-deps: go install kubeconform@${KUBECONFORM_VERSION} into $TOOLS_DIR/bin"
  mkdir -p "$TOOLS_DIR/bin"
  GOBIN="$TOOLS_DIR/bin" GOFLAGS=-mod=mod \
    go install "github.com/yannh/kubeconform/cmd/kubeconform@${KUBECONFORM_VERSION}"
  echo "$KUBECONFORM_VERSION" >"$stamp"
}

# Node.js and Go for the TypeScript and Go clients: Debian 12 packages are too old (Node 18,
# Go 1.19), so they come from the machine (nodejs.org / go.dev tarballs, nodesource, ...).
# Go >= 1.21 is enough: it fetches the toolchain clients/go/go.mod names from the Go proxy.
check_client_toolchains() {
  local ok=1 v
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "install-deps: Node.js >= 20 with npm is needed (TypeScript client); install it from" \
      "https://nodejs.org or https://deb.nodesource.com" >&2
    ok=0
  else
    v=$(node -p 'process.versions.node.split(".")[0]')
    if [ "$v" -lt 20 ]; then
      echo "install-deps: Node.js $(node --version) is too old; the TypeScript client needs >= 20" >&2
      ok=0
    fi
  fi
  if [ -x /usr/local/go/bin/go ] && ! command -v go >/dev/null 2>&1; then
    PATH="/usr/local/go/bin:$PATH"
  fi
  if ! command -v go >/dev/null 2>&1; then
    echo "install-deps: Go >= 1.21 is needed (Go client); install it from https://go.dev/dl" >&2
    ok=0
  else
    v=$(go env GOVERSION | sed -n 's/^go1\.\([0-9]*\).*/\1/p')
    if [ -z "$v" ] || [ "$v" -lt 21 ]; then
      echo "install-deps: $(go env GOVERSION) is too old; the Go client needs >= go1.21" >&2
      ok=0
    fi
  fi
  [ "$ok" -eq 1 ]
}

if [ "${1:-}" = "--list" ]; then
  packages_for "${2:?--list needs a group}"
  exit 0
fi
if [ $# -eq 0 ]; then
  echo "usage: $0 GROUP... | --list GROUP   (groups: build runtime test deploy-checks)" >&2
  exit 2
fi
for group in "$@"; do
  read -r -a pkgs <<<"$(packages_for "$group")"
  apt_install "${pkgs[@]}"
  if [ "$group" = deploy-checks ]; then install_kubeconform; fi
  if [ "$group" = test ]; then check_client_toolchains; fi
done
