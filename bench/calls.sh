#!/usr/bin/env bash
# AWS calls per event (issue 10 §3): a stream of EVENTS (default 1000) events
# built from events/samples goes through one warm engine (the Lambda's
# default cache TTL) with the real SDK clients against localaws; the calls are
# localaws's own counts. Prints notes (lines starting with #: cold figures,
# warm figures with a finding, by API) and one line per figure:
#   what ours baseline ratio   (baseline = the issue's goal, ratio = ours/goal: <= 1 meets it)
# VERBOSE=1 adds every template's cold and warm calls by API.
#
# Usage: bench/calls.sh [EVENTS]
set -euo pipefail
cd "$(dirname "$0")/.."
events=${1:-${EVENTS:-1000}}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "# load average $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
go build -o "$work/calls" ./bench/calls
args=(-samples events/samples -events "$events")
if [ "${VERBOSE:-0}" = 1 ]; then args+=(-v); fi
# localaws runs inside the program, on 127.0.0.1, and stops with it.
"$work/calls" "${args[@]}"
