#!/usr/bin/env bash
# The README's main command: dependencies, build, list, verify every variant,
# then (when built with Google Benchmark) measure the machine's peak, run the
# default sweep into results/<run-id>/, draw the plots and print a summary.
# Environment: SWEEP_ARGS (extra `tiedseq sweep` arguments), RUN_DIR.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/build.sh"
ts="$root/build/tiedseq"
echo "== variants on this machine"
"$ts" list
echo "== verify: every variant against the reference (default problem set)"
"$ts" verify --quiet
if ! "$ts" sweep --help >/dev/null 2>&1; then
  echo "tiedseq: built without Google Benchmark: no sweep (apt-get install libbenchmark-dev)" >&2
  exit 1
fi
run=${RUN_DIR:-$root/results/$(date -u +%Y%m%d-%H%M%S)-$(hostname -s)}
mkdir -p "$run"
echo "== peak: this machine's measured limits"
"$ts" peak --out "$run/peak.json"
echo "== sweep -> $run"
# A point that fails verification is recorded (status=fail, never timed) and
# makes sweep exit 1; the plots and summary of what passed still get made, and
# this script then exits with the sweep's status.
status=0
# shellcheck disable=SC2086
"$ts" sweep --out "$run" ${SWEEP_ARGS:-} || status=$?
[ -s "$run/points.csv" ] || exit "$status"
echo "== plots"
bash "$root/scripts/plot.sh" "$run"
echo "== summary"
"$ts" summary "$run"
echo "results: $run"
exit "$status"
