#!/usr/bin/env bash
# Builds the OpenTelemetry Collector used as bench/run's reference peer, with the Collector
# Builder (ocb) from the Go module proxy: bench/otelcol/_build/otelcol-bench.
# Needs Go (>= 1.22). Not run by CI (bench/run skips the Collector when the binary is absent).
#   bench/otelcol/build.sh            # ~3-10 min on 2 cores, downloads ~300 MB of modules
set -euo pipefail
cd "$(dirname "$0")"
OCB_VERSION=0.165.0
command -v go >/dev/null || { echo "build.sh: Go is not installed (https://go.dev/dl or apt golang)" >&2; exit 2; }
GOBIN="$PWD/_build/bin" go install "go.opentelemetry.io/collector/cmd/builder@v${OCB_VERSION}"
"$PWD/_build/bin/builder" --config=builder-config.yaml
echo "build.sh: built $PWD/_build/otelcol-bench"
