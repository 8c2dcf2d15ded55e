#!/usr/bin/env bash
# Replay at the speed of decompression (issue 10): on an archive laid out like
# a CloudTrail S3 prefix (N records, default 100000, in 20 .json.gz files; noise
# records of about 1.3 KB and 2% RunInstances/CopyImage records built from
# events/samples, evaluated against one world), runs side by side:
#   ebsguard replay, jq merely selecting the two event names, zcat to /dev/null;
# then the peak RSS of replay on a ~1 GB log (RSS_BYTES to change its size).
#
# Usage: bench/replay.sh [N]
# Prints one line per figure: what ours baseline ratio, where ratio is
# baseline/ours (higher is better). Goals: replay-vs-jq >= 5x,
# replay-vs-zcat >= 0.5x, replay-rss-1GB >= 1x (the baseline is the 100 MB limit);
# the same two ratios with a world of 50,000 volumes, 20,000 snapshots and
# 5,000 images (bigworld-vs-jq >= 5x, bigworld-vs-zcat >= 0.5x).
# Each time is the best of RUNS (default 3) runs. Lines starting with # are notes.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100000}
runs=${RUNS:-3}
rss_bytes=${RSS_BYTES:-1000000000}

missing=()
command -v jq >/dev/null || missing+=(jq)
command -v zcat >/dev/null || missing+=(gzip)
[ -x /usr/bin/time ] || missing+=(time)
if [ ${#missing[@]} -gt 0 ]; then
  echo "bench/replay.sh needs: apt-get install ${missing[*]}" >&2
  exit 2
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/ebsguard" ./cmd/ebsguard
go build -o "$work/record" ./bench/record
read -r records relevant raw gz < <("$work/record" -out "$work" -records "$n" -files 20)
mapfile -t files < <(find "$work/trail" -name '*.json.gz' | sort)
echo "# archive: $records records ($relevant RunInstances/CopyImage) in ${#files[@]} .json.gz files, $((raw / 1000000)) MB ($((gz / 1000000)) MB gzip); $(nproc) cores"

# best SECONDS of $runs runs of a command, its output discarded
best() {
  local b="" s e t
  for ((i = 0; i < runs; i++)); do
    s=$(date +%s%N)
    "$@" >/dev/null
    e=$(date +%s%N)
    t=$(((e - s) / 1000000))
    if [ -z "$b" ] || [ "$t" -lt "$b" ]; then b=$t; fi
  done
  awk -v ms="$b" 'BEGIN { printf "%.3f", ms / 1000 }'
}

replay() { "$work/ebsguard" replay --world "$work/world.json" --format json "$work/trail"; }
jqselect() { zcat "${files[@]}" | jq -c '.Records[] | select(.eventName == "RunInstances" or .eventName == "CopyImage")'; }
unzip() { zcat "${files[@]}"; }

# The figures mean nothing unless replay found what jq finds.
got=$(replay | wc -l)
want=$(jqselect | wc -l)
if [ "$got" -ne "$relevant" ] || [ "$want" -ne "$relevant" ]; then
  echo "replay printed $got verdicts and jq selected $want records; the archive holds $relevant" >&2
  exit 1
fi

# The same archive against a world the size of a real account's (issue 17):
# the samples' resources and 50,000 volumes, 20,000 snapshots and 5,000
# images of no concern. Replay's lookups answer from indexes, so its time
# must not grow with the world's size; loading the world is part of it.
mkdir -p "$work/big"
"$work/record" -out "$work/big" -world-only -world-volumes 50000 -world-snapshots 20000 -world-images 5000 >/dev/null
echo "# big world: 50000 volumes, 20000 snapshots, 5000 images; $(($(stat -c %s "$work/big/world.json") / 1000000)) MB"
replaybig() { "$work/ebsguard" replay --world "$work/big/world.json" --format json "$work/trail"; }
got=$(replaybig | wc -l)
if [ "$got" -ne "$relevant" ]; then
  echo "replay with the big world printed $got verdicts; the archive holds $relevant" >&2
  exit 1
fi

t_replay=$(best replay)
t_big=$(best replaybig)
t_jq=$(best jqselect)
t_zcat=$(best unzip)
figure() { awk -v w="$1" -v o="$2" -v b="$3" -v u="$4" 'BEGIN { printf "%-18s %8.2f%s %8.2f%s %7.2fx\n", w, o, u, b, u, b / o }'; }
figure replay-vs-jq "$t_replay" "$t_jq" s
figure replay-vs-zcat "$t_replay" "$t_zcat" s
figure bigworld-vs-jq "$t_big" "$t_jq" s
figure bigworld-vs-zcat "$t_big" "$t_zcat" s

# Peak memory on one big log, streamed on standard input.
"$work/record" -log "$rss_bytes" |
  /usr/bin/time -f %M -o "$work/rss" "$work/ebsguard" replay --world "$work/world.json" --format json - >/dev/null
rss_mb=$(awk '{ printf "%.1f", $1 / 1024 }' "$work/rss")
figure "replay-rss-$((rss_bytes / 1000000000))GB" "$rss_mb" 100 MB
