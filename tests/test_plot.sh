#!/usr/bin/env bash
# Plot test: scripts/plot.sh draws the fixed fixture (tests/fixtures/plot-run) into a
# temporary copy; every expected figure must exist as a non-empty PNG and an SVG
# that is XML.  Then the edge cases: one thread count (thread scaling skipped with a
# note, exit 0), no meta.json/peak.json (notes, still plots), and malformed input
# (empty file, header only, a missing column, a short row, a non-number) — each a
# one-line error, a non-zero exit, and an untouched plots/ folder.
# Usage (from the repo root, as ctest runs it): bash tests/test_plot.sh [path/to/tiedseq]
# The tiedseq argument is not needed: plotting reads only the results folder.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
plot=$root/scripts/plot.sh
fixture=$root/tests/fixtures/plot-run
for tool in gnuplot jq; do
  command -v "$tool" >/dev/null || { echo "test_plot: $tool not installed (scripts/deps.sh)" >&2; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
pass() { echo "ok: $*"; }

# expect_files DIR NAME...: each NAME.png is a PNG and NAME.svg is an SVG, both non-empty.
expect_files() {
  local d=$1 name f; shift
  for name in "$@"; do
    f=$d/plots/$name.png
    if [ -s "$f" ] && [ "$(head -c 8 "$f" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]; then :
    else fail "$f missing, empty or not a PNG"; fi
    f=$d/plots/$name.svg
    if [ -s "$f" ] && head -c 100 "$f" | grep -Eq '^(<\?xml|<svg)' && grep -q '</svg>' "$f"; then :
    else fail "$f missing, empty or not an SVG"; fi
  done
}

# ---- 1. the fixture: every figure -------------------------------------------------
run=$tmp/run
cp -r "$fixture" "$run"
if out=$(bash "$plot" "$run" 2>&1); then pass "fixture plotted"; else fail "plot.sh on the fixture: $out"; fi
all=(throughput_vs_batch_lstm throughput_vs_batch_gru time_vs_seqlen thread_scaling roofline variant_speedup)
expect_files "$run" "${all[@]}"
n=$(find "$run/plots" -type f | wc -l)
[ "$n" -eq $((2 * ${#all[@]})) ] && pass "exactly ${#all[@]} figures x 2 formats" || fail "plots/ holds $n files, want $((2 * ${#all[@]}))"
echo "$out" | grep -qi 'warning' && fail "gnuplot warnings: $(echo "$out" | grep -i warning | head -n 2)"
# the footer: run id with its underscores, CPU model, threads (noenhanced text)
grep -q 'fixture_run_01' "$run/plots/roofline.svg" && grep -q 'Intel(R) Xeon(R) Processor (fixture)' "$run/plots/roofline.svg" &&
  grep -q 'threads: 1,2' "$run/plots/roofline.svg" && pass "footer in the SVG" || fail "footer (run id, CPU, threads) not in roofline.svg"
ls -a "$run" | grep -q '^\.plots-tmp' && fail "temporary folder left in $run"
# a second run replaces plots/ as a whole
touch "$run/plots/stale.png"
bash "$plot" "$run" >/dev/null 2>&1 && [ ! -e "$run/plots/stale.png" ] && pass "re-run replaces plots/" ||
  fail "re-run left a stale file in plots/"

# ---- 2. one thread count: thread scaling skipped with a note, never an error ----------
one=$tmp/one
mkdir "$one"
cp "$fixture/meta.json" "$fixture/peak.json" "$one/"
awk -F, 'NR == 1 || $12 == 2' "$fixture/points.csv" >"$one/points.csv"
if out=$(bash "$plot" "$one" 2>&1); then
  pass "one thread count: exit 0"
  echo "$out" | grep -q 'thread_scaling: skipped: every row was measured at 2 threads' &&
    pass "one thread count: note printed" || fail "one thread count: no note about thread scaling in: $out"
  echo "$out" | grep -qv '^plot.sh: ' && fail "one thread count: a note spans several lines: $out"
  [ ! -e "$one/plots/thread_scaling.png" ] || fail "one thread count: thread_scaling.png drawn anyway"
  expect_files "$one" throughput_vs_batch_lstm time_vs_seqlen roofline variant_speedup
else
  fail "one thread count: plot.sh failed: $out"
fi

# ---- 3. no meta.json, no peak.json: notes, footer from the CSV, no roofs ---------------
bare=$tmp/bare
mkdir "$bare"
cp "$fixture/points.csv" "$bare/"
if out=$(bash "$plot" "$bare" 2>&1); then
  pass "no meta/peak: exit 0"
  echo "$out" | grep -q 'no peak.json' && pass "no meta/peak: note printed" || fail "no meta/peak: no note in: $out"
  expect_files "$bare" "${all[@]}"
  grep -q 'fixture_run_01' "$bare/plots/roofline.svg" || fail "no meta: run id not taken from points.csv"
else
  fail "no meta/peak: plot.sh failed: $out"
fi

# ---- 4. malformed input: one-line error, non-zero exit, plots/ untouched ---------------
# bad_case NAME WANT_REGEX: writes $tmp/NAME/points.csv from stdin, expects the error.
bad_case() {
  local name=$1 want=$2 d=$tmp/$1 out rc=0
  mkdir -p "$d/plots"
  echo keep >"$d/plots/old.png"
  cat >"$d/points.csv"
  out=$(bash "$plot" "$d" 2>&1) || rc=$?
  if [ "$rc" -eq 0 ]; then fail "$name: exit 0, want an error"; return; fi
  [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] || fail "$name: error is not one line: $out"
  printf '%s' "$out" | grep -Eq "$want" || fail "$name: error '$out' does not match /$want/"
  [ "$(ls "$d/plots")" = old.png ] || fail "$name: plots/ was changed"
  ls -a "$d" | grep -q '^\.plots-tmp' && fail "$name: temporary folder left behind"
  pass "$name: $out"
}
hdr=$(head -n 1 "$fixture/points.csv")
row=$(sed -n 2p "$fixture/points.csv")
printf '' | bad_case empty 'empty file'
printf '%s\n' "$hdr" | bad_case header_only 'no data rows'
printf '%s\n%s\n' "${hdr/,median_us,/,}" "$row" | bad_case missing_column 'lacks column.*median_us'
printf '%s\n%s\n' "$hdr" "${row%,*}" | bad_case short_row 'line 2 has 26 fields'
printf '%s\n%s\n' "$hdr" "$(echo "$row" | awk -F, -v OFS=, '{ $15 = "fast"; print }')" | bad_case not_a_number 'median_us'
out=$(bash "$plot" "$tmp/nowhere" 2>&1) && fail "missing folder: exit 0" || pass "missing folder: $out"

[ "$fails" -eq 0 ] && echo "test_plot: all passed" || { echo "test_plot: $fails failure(s)" >&2; exit 1; }
