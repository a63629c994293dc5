#!/usr/bin/env bash
# compare and summary on hand-made points.csv fixtures (tests/fixtures/compare):
# the ratios, the geomean and the noise flags are computed by hand from the
# fixture's medians, mins and cvs; summary must pick the fastest ok variant.
# Then every bad input: one stderr line, exit status 2.
set -u
TS=${1:?usage: test_compare.sh path/to/tiedseq}
FX=tests/fixtures/compare
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# has OUTPUT LINE: OUTPUT contains LINE as a whole line
has() { if grep -qxF -- "$2" <<<"$1"; then ok; else bad "missing line: $2"; echo "$1" | sed 's/^/    /'; fi; }
# has_part OUTPUT TEXT: TEXT somewhere
has_part() { if grep -qF -- "$2" <<<"$1"; then ok; else bad "missing: $2"; echo "$1" | sed 's/^/    /'; fi; }

# expect_error NEEDLE CMD...: exit 2, exactly one stderr line containing NEEDLE, nothing on stdout
expect_error() {
  local needle=$1; shift
  local out err rc
  out=$("$@" 2>"$work/err"); rc=$?
  err=$(cat "$work/err")
  if [ $rc -eq 2 ] && [ "$(grep -c '' <<<"$err")" -eq 1 ] && [[ "$err" == *"$needle"* ]] && [ -z "$out" ]; then
    ok
  else
    bad "$* -> rc=$rc, want '$needle', got: $err"
  fi
}

# --- two runs, matched by (variant, problem) -----------------------------------
# speed-up = A median / B median; best = A min / B min:
#   naive  rnn  100/101 = 0.990099  90/89 = 1.01124   |r-1| < 2*0.01      -> noise
#   avx2   rnn   50/40  = 1.25      48/39 = 1.23077   [48,51] vs [39,40.8] -> real
#   naive  lstm 400/500 = 0.8      380/490 = 0.77551                      -> real
#   avx2   lstm 100/50  = 2         98/49 = 2                             -> real
#   onednn lstm  80/80  = 1         79/78 = 1.01282                       -> noise
# geomean (0.990099*1.25*0.8*2*1)^(1/5) = 1.146; best 1.143
out=$("$TS" compare $FX/A $FX/B --csv) || bad "compare --csv exit status"
has "$out" "variant_a,variant_b,problem,a_median_us,b_median_us,a_min_us,b_min_us,a_cv,b_cv,speedup,speedup_best,noise"
has "$out" "naive,naive,rnn:b1:i4:h4:e2:d2:teacher:t1,100,101,90,89,0.01,0.01,0.990099,1.01124,1"
has "$out" "avx2,avx2,rnn:b1:i4:h4:e2:d2:teacher:t1,50,40,48,39,0.02,0.02,1.25,1.23077,0"
has "$out" "naive,naive,lstm:b2:i8:h8:e3:d3:teacher:t1,400,500,380,490,0.01,0.01,0.8,0.77551,0"
has "$out" "avx2,avx2,lstm:b2:i8:h8:e3:d3:teacher:t1,100,50,98,49,0.01,0.01,2,2,0"
has "$out" "onednn,onednn,lstm:b2:i8:h8:e3:d3:teacher:t1,80,80,79,78,0.01,0.05,1,1.01282,1"
[ "$(grep -c '' <<<"$out")" -eq 6 ] && ok || bad "compare --csv: want 5 rows + header"

out=$("$TS" compare $FX/A/points.csv $FX/B) || bad "compare table exit status"
has_part "$out" "geomean speed-up (B over A): 1.146x (best: 1.143x) over 5 points: B faster on 2, slower on 1, within noise on 2"
# skipped avx512 rnn (both) and blocked lstm (fail in A): not ok; blocked rnn only in A;
# onednn-ldigo, gru and the t2 problem only in B
has_part "$out" "not compared: 1 only in A, 3 only in B, 2 not ok"
has_part "$out" "~noise"

# --variants with two runs filters the variants compared
out=$("$TS" compare $FX/A $FX/B --variants avx2 --csv)
[ "$(grep -c '^avx2,avx2,' <<<"$out")" -eq 2 ] && [ "$(grep -c '' <<<"$out")" -eq 3 ] && ok || bad "--variants avx2 filter: $out"

# --- two variants of one run, matched by problem -------------------------------
# naive/avx2: rnn 100/50 = 2 (90/48 = 1.875), lstm 400/100 = 4 (380/98 = 3.87755); geomean sqrt(8)
out=$("$TS" compare $FX/A --variants naive,avx2 --csv)
has "$out" "naive,avx2,rnn:b1:i4:h4:e2:d2:teacher:t1,100,50,90,48,0.01,0.02,2,1.875,0"
has "$out" "naive,avx2,lstm:b2:i8:h8:e3:d3:teacher:t1,400,100,380,98,0.01,0.01,4,3.87755,0"
out=$("$TS" compare $FX/A --variants naive,avx2)
has_part "$out" "geomean speed-up (B over A): 2.828x (best: 2.696x) over 2 points"
# onednn has no rnn row: only the lstm point, 400/80
out=$("$TS" compare $FX/A --variants naive,onednn)
has_part "$out" "5.000x"
has_part "$out" "not compared: 1 only in A, 0 only in B, 0 not ok"

# --- summary -------------------------------------------------------------------
# B: rnn t1 best avx2 (40 us; naive 101 -> 2.52x; no onednn row), lstm best avx2
# (50 us; naive 500 -> 10x; fastest oneDNN is onednn-ldigo 70 -> 1.40x), gru only
# avx2, the t2 problem has no ok row.
out=$("$TS" summary $FX/B) || bad "summary exit status"
has "$out" "rnn:b1:i4:h4:e2:d2:teacher:t1  avx2      2.50    2.5%    2.52x         -"
has "$out" "lstm:b2:i8:h8:e3:d3:teacher:t1 avx2     12.50   12.5%   10.00x     1.40x"
has "$out" "gru:b1:i4:h8:e2:d2:teacher:t1  avx2      3.00    3.0%        -         -"
has "$out" "rnn:b1:i4:h4:e2:d2:teacher:t2  -            -       -        -         -  (no variant ok)"
has_part "$out" "best variant per problem (4 problems): avx2 3"
# A: lstm best is onednn (80 us) ahead of avx2 (100) and blocked (failed, never timed)
out=$("$TS" summary $FX/A)
has "$out" "lstm:b2:i8:h8:e3:d3:teacher:t1 onednn      5.00    5.0%    5.00x     1.00x"
has_part "$out" "avx2 1, onednn 1"

# --- bad input -----------------------------------------------------------------
mkdir -p "$work/empty"
expect_error "No such file" "$TS" compare "$work/nope" $FX/B
expect_error "no points.csv" "$TS" compare $FX/A "$work/empty"
expect_error "no column 'cv'" "$TS" compare $FX/bad-column $FX/B
expect_error "points.csv:3: 24 fields, the header has 27" "$TS" compare $FX/A $FX/bad-row
expect_error "'1o0' is not a number" "$TS" compare $FX/bad-number $FX/B
expect_error "--variants A,B" "$TS" compare $FX/A
expect_error "itself" "$TS" compare $FX/A --variants avx2,avx2
expect_error "two results folders" "$TS" compare $FX/A $FX/B $FX/A
expect_error "unknown or incomplete option" "$TS" compare --bogus $FX/A $FX/B
expect_error "empty list" "$TS" compare $FX/A --variants ,
expect_error "one results folder" "$TS" summary
expect_error "no points.csv" "$TS" summary "$work/empty"
expect_error "no column 'median_us'" "$TS" summary <(echo "variant,problem,status")
: >"$work/empty.csv"
expect_error "empty file" "$TS" summary "$work/empty.csv"
# two runs with nothing in common: a failure (exit 1), not a usage error
out=$("$TS" compare $FX/A $FX/B --variants onednn-ldigo 2>"$work/err"); rc=$?
[ $rc -eq 1 ] && grep -q "no point is ok on both sides" "$work/err" && ok || bad "nothing in common -> rc=$rc"

echo "test_compare: $pass passed, $fail failed"
[ $fail -eq 0 ]
