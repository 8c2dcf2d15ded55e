#!/usr/bin/env bash
# make bench (issue 10 §5): runs the bench/ scripts one after the other, shows
# their notes as they come, then prints one line per figure, all measured in
# this run:
#   what  ours  baseline  ratio  goal  met  load
# where each script defines its ratio (replay: baseline time / ours, higher is
# better; calls: ours / the goal; cold start and size: ours / hello-world), goal
# is the issue's condition on that ratio, and load is the 1-minute load average
# when the script started. Timings are noisy on a busy machine: compare the
# load column, and rerun when it is high.
#
# Exits 1 if a script fails; a missed goal is reported, not an error.
# Usage: bench/bench.sh [SCRIPT...]   (default: replay, calls, coldstart, backfill)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts=("$@")
if [ ${#scripts[@]} -eq 0 ]; then
  scripts=(bench/replay.sh bench/calls.sh bench/coldstart.sh bench/backfill.sh)
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
: >"$work/figures"
started=$(date +%s)
failed=()
for s in "${scripts[@]}"; do
  load=$(cut -d' ' -f1 /proc/loadavg)
  echo "== $s (load average $(cut -d' ' -f1-3 /proc/loadavg))"
  if ! "$s" | tee "$work/out"; then
    failed+=("$s")
    continue
  fi
  # A figure line is four fields, the last a ratio such as 1.25x; notes start with #.
  awk -v load="$load" '!/^#/ && NF == 4 && $4 ~ /^[0-9.]+x$/ { print $0, load }' "$work/out" >>"$work/figures"
done

echo
echo "== make bench: $(nproc) cores ($(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)), $(($(date +%s) - started)) s"
awk '
BEGIN {
  # The issue'"'"'s goals, as conditions on each script'"'"'s ratio.
  goal["replay-vs-jq"] = ">=5"
  goal["replay-vs-zcat"] = ">=0.5"
  goal["replay-rss-1GB"] = ">=1"
  goal["calls-warm-RunInstances"] = "<=1"
  goal["calls-warm-CopyImage"] = "<=1"
  goal["coldstart-skipped"] = "<=1.5"
  goal["backfill-s3-bytes"] = "<=0.1"
  printf "%-26s %11s %11s %8s %7s %-6s %s\n", "what", "ours", "baseline", "ratio", "goal", "met", "load"
}
{
  r = $4; sub(/x$/, "", r); r += 0
  g = goal[$1]; met = "-"
  if (g ~ /^>=/) { met = (r >= substr(g, 3) + 0) ? "yes" : "MISSED" }
  if (g ~ /^<=/) { met = (r <= substr(g, 3) + 0) ? "yes" : "MISSED" }
  if (g == "") { g = "-" } else { g = g "x" }
  printf "%-26s %11s %11s %8s %7s %-6s %s\n", $1, $2, $3, $4, g, met, $5
}' "$work/figures"
if [ ${#failed[@]} -gt 0 ]; then
  echo "failed: ${failed[*]}" >&2
  exit 1
fi
