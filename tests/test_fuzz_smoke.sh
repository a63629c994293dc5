#!/usr/bin/env bash
# ctest: builds the libFuzzer harnesses (tests/fuzz/) with clang next to the tiedseq
# binary and runs each for FUZZ_SMOKE_SECONDS (default 10) from the committed seeds,
# which also replays every seed (past findings stay fixed).  Skipped (77) without
# clang; scripts/deps.sh installs it, so CI always runs it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:?usage: test_fuzz_smoke.sh path/to/tiedseq}
secs=${FUZZ_SMOKE_SECONDS:-10}
if ! command -v "${CLANG:-clang}" >/dev/null; then
  echo "test_fuzz_smoke: SKIPPED: clang not installed (apt-get install clang)"
  exit 77
fi
out=$(cd "$(dirname "$bin")" && pwd)/fuzz
bash "$root/tests/fuzz/build.sh" "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for t in fuzz_problem fuzz_npy fuzz_csv; do
  mkdir -p "$work/$t"
  # new inputs go to the scratch corpus; the seeds directory is only read
  dict=(); [ -f "$root/tests/fuzz/$t.dict" ] && dict=(-dict="$root/tests/fuzz/$t.dict")
  if ! "$out/$t" "${dict[@]}" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
       -artifact_prefix="$work/" "$work/$t" "$root/tests/fuzz/seeds/$t" >"$work/$t.log" 2>&1; then
    tail -40 "$work/$t.log"
    echo "test_fuzz_smoke: FAIL: $t found a crash; reproducer: $(ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* 2>/dev/null | head -1)" >&2
    exit 1
  fi
  # the figures: last coverage line and the run count
  echo "$t: $(grep -E '^#[0-9]+' "$work/$t.log" | tail -1 | cut -c1-100); $(grep -E '^Done [0-9]+ runs' "$work/$t.log")"
done
echo "test_fuzz_smoke: PASS"
