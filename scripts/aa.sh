#!/usr/bin/env bash
# The A/A test: the same sweep run twice, back to back, with identical code,
# then compared.  Nothing changed, so every difference it reports is the
# measurement's own: a trustworthy suite flags few points and agrees with
# itself.  Prints tiedseq compare's table and the A/A figures (also written to
# OUT/aa.txt):
#   - points called faster/slower by `tiedseq compare A B` (target <= 5 %), and
#     by `compare --calibrated`
#   - points whose calibrated times agree within +-5 % (target >= 90 %), and the
#     same for plain median times
#   - variant-vs-variant paired ratios (pairs.csv) that agree within +-3 %
#     (target >= 90 %)
#   - with peers in the sweep (--peers tensorflow,pytorch): the peer-vs-tiedseq
#     ratios (a pair with one peer, one tiedseq variant) that agree within +-5 %
# Usage: bash scripts/aa.sh [OUT] [tiedseq sweep arguments]   (default: the default set)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/build.sh" >/dev/null
ts="$root/build/tiedseq"
out=${1:-$root/results/aa-$(date -u +%Y%m%d-%H%M%S)-$(hostname -s)}
[ $# -gt 0 ] && shift
mkdir -p "$out"
"$ts" peak --out "$out/peak.json" >/dev/null
for run in A B; do
  echo "== A/A: run $run -> $out/$run"
  "$ts" sweep --out "$out/$run" --peak "$out/peak.json" "$@" 2>"$out/$run.log" >/dev/null || true
  tail -1 "$out/$run.log"
done
"$ts" compare "$out/A" "$out/B" | tee "$out/compare.txt"
"$ts" compare "$out/A" "$out/B" --csv > "$out/compare.csv"
"$ts" compare "$out/A" "$out/B" --csv --calibrated > "$out/compare-calibrated.csv"
python3 - "$out" <<'PY' | tee "$out/aa.txt"
import csv, os, sys
out = sys.argv[1]
rows = list(csv.DictReader(open(os.path.join(out, "compare.csv"))))
n = len(rows)
flag = sum(r["call"] != "same" for r in rows)
crows = list(csv.DictReader(open(os.path.join(out, "compare-calibrated.csv"))))
cflag = sum(r["call"] != "same" for r in crows)
def pts(run):
    return {(r["variant"], r["problem"]): r for r in csv.DictReader(open(os.path.join(out, run, "points.csv")))
            if r["status"] == "ok"}
A, B = pts("A"), pts("B")
keys = [k for k in A if k in B]
def within(col, tol):
    ok = [abs(float(A[k][col]) / float(B[k][col]) - 1) <= tol for k in keys if A[k][col] and B[k][col]]
    return sum(ok), len(ok)
def pairs(run):
    return {(r["variant_a"], r["problem_a"], r["variant_b"], r["problem_b"]): float(r["ratio"])
            for r in csv.DictReader(open(os.path.join(out, run, "pairs.csv")))
            if r["problem_a"] == r["problem_b"] and r["ratio"]}
PA, PB = pairs("A"), pairs("B")
common = [k for k in PA if k in PB]
agree = sum(abs(PA[k] / PB[k] - 1) <= 0.03 for k in common)
cal_ok, cal_n = within("cal", 0.05)
raw_ok, raw_n = within("median_us", 0.05)
is_peer = lambda v: v in ("tensorflow", "pytorch") or v.startswith(("tf-", "pytorch-"))
peer_keys = [k for k in common if is_peer(k[0]) != is_peer(k[2])]
peer_agree = sum(abs(PA[k] / PB[k] - 1) <= 0.05 for k in peer_keys)
pct = lambda a, b: 100.0 * a / b if b else float("nan")
print("A/A figures (%s)" % out)
print("  flagged faster/slower by compare: %d of %d points (%.1f %%; target <= 5 %%)" % (flag, n, pct(flag, n)))
print("  ... by compare --calibrated:       %d of %d points (%.1f %%)" % (cflag, len(crows), pct(cflag, len(crows))))
print("  calibrated times within +-5 %%:    %d of %d points (%.1f %%; target >= 90 %%)" % (cal_ok, cal_n, pct(cal_ok, cal_n)))
print("  plain median times within +-5 %%:  %d of %d points (%.1f %%)" % (raw_ok, raw_n, pct(raw_ok, raw_n)))
print("  variant/variant ratios within +-3 %%: %d of %d pairs (%.1f %%; target >= 90 %%)" % (agree, len(common), pct(agree, len(common))))
if peer_keys:
    print("  peer/tiedseq ratios within +-5 %%:   %d of %d pairs (%.1f %%)" % (peer_agree, len(peer_keys), pct(peer_agree, len(peer_keys))))
    for k in sorted(peer_keys):
        print("    %s/%s vs %s: %.4g and %.4g (%+.1f %%)" % (k[0], k[1], k[2], PA[k], PB[k], 100 * (PA[k] / PB[k] - 1)))
PY
