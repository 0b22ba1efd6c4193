#!/usr/bin/env bash
# Generates the Go stubs of proto/tracegate/v1 into tracegatev1/ (git-ignored; never edit).
#   clients/go/gen.sh        (run by scripts/setup.sh and before `go test` in ctest)
# protoc-gen-go and protoc-gen-go-grpc are built with `go install` at the versions that
# go.mod pins (its `tool` block), into clients/go/.bin/.
set -euo pipefail
cd "$(dirname "$0")"
MODULE=github.com/tracegate/tracegate/clients/go
GOBIN="$PWD/.bin" go install google.golang.org/protobuf/cmd/protoc-gen-go \
  google.golang.org/grpc/cmd/protoc-gen-go-grpc
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
protoc -I ../../proto \
  --plugin=protoc-gen-go=.bin/protoc-gen-go --plugin=protoc-gen-go-grpc=.bin/protoc-gen-go-grpc \
  --go_out="$out" --go_opt=module=$MODULE \
  --go-grpc_out="$out" --go-grpc_opt=module=$MODULE \
  ../../proto/tracegate/v1/*.proto
rm -rf tracegatev1
mv "$out/tracegatev1" tracegatev1
