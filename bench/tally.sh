#!/usr/bin/env bash
# The fault tally (issue 8 §5): every sample through the real Lambda path (the
# bootstrap under the runtime interface emulator, the AWS SDK, localaws, goaws
# and the re-check queue's event source mapping), once without faults and once
# per fault scenario, and where each event ended: published (a violation or an
# operational notice), clean (nothing to publish), retried (a function error
# Lambda retries), re-queued (a re-check), lost; and the false findings. It is
# TestFaultTally in internal/localrun (whose comment defines "lost" and "false
# finding"); this prints its table, per scenario and in total.
#
# Usage: bench/tally.sh [--quick] [SCENARIO ...]
#   --quick    leave out slow-attempt: answers slower than the SDK's 5 s
#              per-attempt timeout cost 5 s a sample (about a minute more)
#   SCENARIO   only these scenarios (the fault-free run always runs),
#              e.g. bench/tally.sh ec2-throttle sns-unavailable
# Environment: EBSGUARD_TALLY_PARALLEL child processes at once (default 8;
# they mostly wait), RACE=1 to run the test with -race.
# Exit status: 0 when nothing was lost and nothing was false, else 1.
set -euo pipefail
cd "$(dirname "$0")/.."

slow_attempt=1
only=()
for arg in "$@"; do
  case "$arg" in
    --quick) slow_attempt=0 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "bench/tally.sh: unknown option $arg" >&2; exit 2 ;;
    *) only+=("$arg") ;;
  esac
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
race=()
[ "${RACE:-0}" = 1 ] && race=(-race)
only_list=$(IFS=,; echo "${only[*]:-}")
if [ "$slow_attempt" = 1 ] && [ -n "$only_list" ] && [[ ",$only_list," != *,slow-attempt,* ]]; then
  slow_attempt=0
fi

echo "Running the fault tally (builds the bootstrap and the emulator; about 2 minutes, 3 with slow-attempt)..." >&2
status=0
EBSGUARD_TALLY_OUT="$work/tally.txt" EBSGUARD_TALLY_SLOW_ATTEMPT=$slow_attempt EBSGUARD_TALLY_ONLY="$only_list" \
  go test "${race[@]}" -count=1 -timeout 20m -run '^TestFaultTally$' -v ./internal/localrun > "$work/test.log" 2>&1 || status=1

if [ -s "$work/tally.txt" ]; then
  cat "$work/tally.txt"
fi
if [ "$status" != 0 ] || [ ! -s "$work/tally.txt" ]; then
  echo >&2
  echo "TestFaultTally failed; its output:" >&2
  cat "$work/test.log" >&2
  exit 1
fi
