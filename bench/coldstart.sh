#!/usr/bin/env bash
# Cold start against a baseline (issue 10 §4): builds the ebsguard bootstrap
# and a hello-world aws-lambda-go function the same way (lambda.norpc, static,
# stripped, trimmed, for this machine's architecture) and the Runtime
# Interface Emulator pinned in go.mod, then times N cold starts of each,
# alternating, from starting the emulator to the first response: for an
# EventBridge event of another kind (skipped) and for a RunInstances sample
# through localaws. Prints notes (lines starting with #) and one line per
# figure: what ours baseline ratio (ratio = ours/hello-world; goal on the
# skipped event: <= 1.5x).
#
# Usage: bench/coldstart.sh [N]   (default 25)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-${N:-25}}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "# load average $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
lambda_build() { CGO_ENABLED=0 go build -tags lambda.norpc -trimpath -ldflags='-s -w' -o "$1" "$2"; }
lambda_build "$work/ours/bootstrap" ./lambda/handler
lambda_build "$work/hello/bootstrap" ./bench/hello
go build -o "$work/aws-lambda-rie" github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie
go build -o "$work/coldstart" ./bench/coldstart
# Every process listens on 127.0.0.1 and is stopped by the program; localaws
# and SNS run inside it.
"$work/coldstart" -rie "$work/aws-lambda-rie" -ours "$work/ours/bootstrap" -hello "$work/hello/bootstrap" -n "$n"
