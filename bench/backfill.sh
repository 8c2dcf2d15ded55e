#!/usr/bin/env bash
# Backfill through Athena against replay of the whole prefix (issue 20), on a
# generated organization trail (accounts x Regions x days, CloudTrail's
# layout) served by cmd/ebsguard-localtrail: Athena (DuckDB), Glue and S3
# (gofakes3) over the trail, EC2/KMS/STS (localaws) over its world.
#
# Usage: bench/backfill.sh [check]
#   check: a small trail; fails unless backfill's verdicts equal replay's
#          (make backfill-local)
#   (none): the figures for make bench: bytes read from S3 by backfill
#          against the whole prefix that replay reads, and both wall times.
# Generator settings: GEN="-records 500 -relevant 0.02 -hot 0.05" (see
# ebsguard-localtrail -h). The relevant records sit in a share (-hot) of the
# files, as launches come in bursts; with -hot 1 every file holds some and
# backfill reads every file.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-bench}
if [ "$mode" = check ]; then
  gen=${GEN:-"-months 3 -days 3 -files 3 -records 100 -relevant 0.05 -hot 0.3"}
else
  gen=${GEN:-"-months 3 -days 4 -files 6 -records 500 -relevant 0.02 -hot 0.05"}
fi
work=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
go build -o "$work/ebsguard" ./cmd/ebsguard
go build -o "$work/localtrail" ./cmd/ebsguard-localtrail
# shellcheck disable=SC2086
read -r files records relevant gz < <("$work/localtrail" -dir "$work" -generate $gen)
echo "# trail: $records records ($relevant relevant) in $files .json.gz objects, $((gz / 1000)) kB gzip; $(nproc) cores"

"$work/localtrail" -dir "$work" -serve -env "$work/env" ${QUERY_TIME:+-query-time "$QUERY_TIME"} &
pid=$!
for _ in $(seq 1 300); do [ -f "$work/env" ] && break; sleep 0.1; done
[ -f "$work/env" ] || { echo "ebsguard-localtrail did not start" >&2; exit 1; }

ms() { echo $(($(date +%s%N) / 1000000)); }
s=$(ms)
(
  # shellcheck disable=SC1091
  source "$work/env"
  "$work/ebsguard" backfill --athena-table trail.cloudtrail --workgroup ebsguard --since 2024-01-01 --until 2025-01-01 --format json \
    >"$work/backfill.json" 2>"$work/backfill.err"
) || { cat "$work/backfill.err" >&2; exit 1; }
t_backfill=$(($(ms) - s))
s=$(ms)
"$work/ebsguard" replay --world "$work/world.json" --format json "$work/trail" >"$work/replay.json"
t_replay=$(($(ms) - s))
grep -v '^$' "$work/backfill.err" | sed 's/^/# backfill: /'

if ! cmp -s <(sort "$work/backfill.json") <(sort "$work/replay.json"); then
  echo "backfill and replay disagree:" >&2
  diff <(sort "$work/backfill.json") <(sort "$work/replay.json") | head -20 >&2
  exit 1
fi
n=$(wc -l <"$work/replay.json")
echo "# verdicts: backfill and replay agree on all $n ($(grep -c '"status":"violation"' "$work/replay.json") violations)"
[ "$n" -eq "$relevant" ] || { echo "replay gave $n verdicts for $relevant relevant records" >&2; exit 1; }
[ "$mode" = check ] && exit 0

read_bytes=$(sed -n 's/.*(\([0-9]*\) bytes) from S3.*/\1/p' "$work/backfill.err")
figure() { awk -v w="$1" -v o="$2" -v b="$3" -v u="$4" 'BEGIN { printf "%-18s %8.2f%s %8.2f%s %7.3fx\n", w, o, u, b, u, o / b }'; }
figure backfill-s3-bytes "$(awk -v b="$read_bytes" 'BEGIN { print b / 1e6 }')" "$(awk -v b="$gz" 'BEGIN { print b / 1e6 }')" MB
figure backfill-wall "$(awk -v t="$t_backfill" 'BEGIN { print t / 1000 }')" "$(awk -v t="$t_replay" 'BEGIN { print t / 1000 }')" s
