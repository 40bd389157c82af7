#!/bin/sh
# Regenerates the Go code for stage.proto. Needs protoc (Debian: protobuf-compiler)
# and the Go generators:
#   go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
#   go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.2
set -eu
cd "$(dirname "$0")"
PATH="$(go env GOPATH)/bin:$PATH"
for tool in protoc protoc-gen-go protoc-gen-go-grpc; do
	command -v "$tool" >/dev/null 2>&1 || { echo "gen.sh: $tool not found (see the comment at the top of this script)" >&2; exit 1; }
done
protoc -I . \
	--go_out=stagev1 --go_opt=paths=source_relative \
	--go-grpc_out=stagev1 --go-grpc_opt=paths=source_relative \
	stage.proto
