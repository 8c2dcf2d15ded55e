#!/usr/bin/env bash
# Replay throughput and memory: N copies of a sample record (JSON lines),
# evaluated against the sample's world. Usage: bench/replay.sh [N] [SAMPLE]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100000}
sample=${2:-launch-encrypted-shared}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/ebsguard" ./cmd/ebsguard
# One record per line, each with its own eventID.
record=$(go run ./bench/record "events/samples/$sample/event.json")
for ((i = 0; i < n; i++)); do printf '%s\n' "${record/__ID__/bench-$i}"; done > "$work/in.jsonl"
echo "input: $n records, $(du -h "$work/in.jsonl" | cut -f1)"
/usr/bin/time -f "wall %e s, max RSS %M KB, CPU %P" \
  "$work/ebsguard" replay --world "events/samples/$sample/world.json" --format json "$work/in.jsonl" | wc -l
