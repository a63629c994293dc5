#!/usr/bin/env bash
# Runs each fuzzer for SECONDS (default 60), one after another:
#   bash tests/fuzz/run.sh [SECONDS] [fuzz_problem|fuzz_npy|fuzz_csv ...]
# Builds into $FUZZ_DIR (default build-fuzz/).  The committed seeds
# (tests/fuzz/seeds/NAME) are read, never written; what a run discovers goes to
# $FUZZ_DIR/corpus/NAME and is reused by the next run.  A crash leaves
# $FUZZ_DIR/crash-* (libFuzzer's reproducer: ./build-fuzz/NAME FILE) and exits non-zero.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
secs=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_problem fuzz_npy fuzz_csv)
dir=${FUZZ_DIR:-$root/build-fuzz}
bash "$root/tests/fuzz/build.sh" "$dir"
for t in "${targets[@]}"; do
  mkdir -p "$dir/corpus/$t"
  echo "== $t: ${secs}s" >&2
  # -timeout: one input over 10 s is a hang; -rss_limit_mb: a blow-up is a finding
  dict=(); [ -f "$root/tests/fuzz/$t.dict" ] && dict=(-dict="$root/tests/fuzz/$t.dict")
  "$dir/$t" "${dict[@]}" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$dir/" "$dir/corpus/$t" "$root/tests/fuzz/seeds/$t"
done
