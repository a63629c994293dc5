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
# The fixtures are an older points.csv without intervals or calibration: they
# still load, and each difference is called by the 3 % minimum effect alone.
#   naive  rnn  100/101 = 0.990099  same;  avx2 rnn 50/40 = 1.25 faster
#   naive  lstm 400/500 = 0.8 slower;     avx2 lstm 100/50 = 2 faster;  onednn 80/80 same
# geomean (0.990099*1.25*0.8*2*1)^(1/5) = 1.146
out=$("$TS" compare $FX/A $FX/B --csv) || bad "compare --csv exit status"
has "$out" "variant_a,variant_b,problem,a_median_us,b_median_us,speedup,speedup_lo,speedup_hi,basis,call"
has "$out" "naive,naive,rnn:b1:i4:h4:e2:d2:teacher:t1,100,101,0.990099,,,no-interval,same"
has "$out" "avx2,avx2,rnn:b1:i4:h4:e2:d2:teacher:t1,50,40,1.25,,,no-interval,faster"
has "$out" "naive,naive,lstm:b2:i8:h8:e3:d3:teacher:t1,400,500,0.8,,,no-interval,slower"
has "$out" "avx2,avx2,lstm:b2:i8:h8:e3:d3:teacher:t1,100,50,2,,,no-interval,faster"
has "$out" "onednn,onednn,lstm:b2:i8:h8:e3:d3:teacher:t1,80,80,1,,,no-interval,same"
[ "$(grep -c '' <<<"$out")" -eq 6 ] && ok || bad "compare --csv: want 5 rows + header"

out=$("$TS" compare $FX/A/points.csv $FX/B) || bad "compare table exit status"
has_part "$out" "geomean speed-up (B over A): 1.146x over 5 points: B faster on 2, slower on 1, same on 2"
has_part "$out" "within +-5%: 2 of 5 points (40%)"
# skipped avx512 rnn (both) and blocked lstm (fail in A): not ok; blocked rnn only in A;
# onednn-ldigo, gru and the t2 problem only in B
has_part "$out" "not compared: 1 only in A, 3 only in B, 2 not ok"
# --min-effect 0.3: only avx2 lstm (2x) is further than 30 % from 1
out=$("$TS" compare $FX/A $FX/B --min-effect 0.3)
has_part "$out" "B faster on 1, slower on 0, same on 4"

# --variants with two runs filters the variants compared
out=$("$TS" compare $FX/A $FX/B --variants avx2 --csv)
[ "$(grep -c '^avx2,avx2,' <<<"$out")" -eq 2 ] && [ "$(grep -c '' <<<"$out")" -eq 3 ] && ok || bad "--variants avx2 filter: $out"

# --- runs with intervals: log-space interval of the medians (or calibrated) -------
# C vs D --calibrated: avx2 cal 10 [9.5, 10.5] vs 5 [4.9, 5.1] -> 2x, interval exp(ln 2 +- sqrt(h1^2+h2^2))
#   h1 = ln(10.5/9.5)/2 = 0.050041, h2 = ln(5.1/4.9)/2 = 0.020004 -> 0.053891 -> [1.8951, 2.1107]
#   naive cal 100 [90, 110] vs 102 [95, 110]: the interval holds 1 -> same
#   (the plain times say 1000 [950, 1050] vs 800 [780, 820] us: 1.25x, faster)
out=$("$TS" compare $FX/C $FX/D --csv --calibrated)
has "$out" "avx2,avx2,lstm:b2:i8:h8:e3:d3:teacher:t1,100,50,2,1.89507,2.11074,calibrated,faster"
has "$out" "naive,naive,lstm:b2:i8:h8:e3:d3:teacher:t1,1000,800,0.980392,0.865834,1.11011,calibrated,same"
out=$("$TS" compare $FX/C $FX/D --csv)
has "$out" "naive,naive,lstm:b2:i8:h8:e3:d3:teacher:t1,1000,800,1.25,1.18199,1.32192,time,faster"

# --- two variants of one run, matched by problem -------------------------------
# without pairs.csv (A): medians, no interval: rnn 100/50 = 2, lstm 400/100 = 4; geomean sqrt(8)
out=$("$TS" compare $FX/A --variants naive,avx2 --csv)
has "$out" "naive,avx2,rnn:b1:i4:h4:e2:d2:teacher:t1,100,50,2,,,no-interval,faster"
has "$out" "naive,avx2,lstm:b2:i8:h8:e3:d3:teacher:t1,400,100,4,,,no-interval,faster"
out=$("$TS" compare $FX/A --variants naive,avx2)
has_part "$out" "geomean speed-up (B over A): 2.828x over 2 points"
# onednn has no rnn row: only the lstm point, 400/80
out=$("$TS" compare $FX/A --variants naive,onednn)
has_part "$out" "5.000x"
has_part "$out" "not compared: 1 only in A, 0 only in B, 0 not ok"
# with pairs.csv (C): the paired ratio, either order
out=$("$TS" compare $FX/C --variants naive,avx2 --csv)
has "$out" "naive,avx2,lstm:b2:i8:h8:e3:d3:teacher:t1,1000,100,9.8,9.5,10.2,paired,faster"
out=$("$TS" compare $FX/C --variants avx2,naive --csv)
has "$out" "avx2,naive,lstm:b2:i8:h8:e3:d3:teacher:t1,100,1000,0.102041,0.0980392,0.105263,paired,slower"

# --- summary -------------------------------------------------------------------
# (these fixtures predate the precision column: read by name, every row is f32)
# B: rnn t1 best avx2 (40 us; naive 101 -> 2.52x; no onednn row), lstm best avx2
# (50 us; naive 500 -> 10x; fastest oneDNN is onednn-ldigo 70 -> 1.40x), gru only
# avx2, the t2 problem has no ok row.
out=$("$TS" summary $FX/B) || bad "summary exit status"
has "$out" "rnn:b1:i4:h4:e2:d2:teacher:t1  avx2  f32      2.50    2.5%    2.52x         -"
has "$out" "lstm:b2:i8:h8:e3:d3:teacher:t1 avx2  f32     12.50   12.5%   10.00x     1.40x"
has "$out" "gru:b1:i4:h8:e2:d2:teacher:t1  avx2  f32      3.00    3.0%        -         -"
has "$out" "rnn:b1:i4:h4:e2:d2:teacher:t2  -       -         -       -        -         -  (no variant ok)"
has_part "$out" "best variant per problem (4 problems): avx2 3"
# A: lstm best is onednn (80 us) ahead of avx2 (100) and blocked (failed, never timed)
out=$("$TS" summary $FX/A)
has "$out" "lstm:b2:i8:h8:e3:d3:teacher:t1 onednn  f32      5.00    5.0%    5.00x     1.00x"
has_part "$out" "avx2 1, onednn 1"

# --- bad input -----------------------------------------------------------------
mkdir -p "$work/empty"
expect_error "No such file" "$TS" compare "$work/nope" $FX/B
expect_error "no points.csv" "$TS" compare $FX/A "$work/empty"
expect_error "no column 'median_us'" "$TS" compare $FX/bad-column $FX/B
expect_error "--min-effect 'x'" "$TS" compare $FX/A $FX/B --min-effect x
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
# a (variant, problem) twice, or a problem that is not a descriptor: refused, not merged
mkdir -p "$work/dup" "$work/badprob"
{ cat $FX/A/points.csv; sed -n 2p $FX/A/points.csv; } > "$work/dup/points.csv"
expect_error "is also on line 2" "$TS" compare "$work/dup" $FX/B
expect_error "is also on line 2" "$TS" summary "$work/dup"
sed '2s/,rnn:b1:i4:h4:e2:d2:teacher:t1,/,rnn:b1:i4:h4,/' $FX/A/points.csv > "$work/badprob/points.csv"
expect_error "problem 'rnn:b1:i4:h4' is not a descriptor" "$TS" compare $FX/B "$work/badprob"
expect_error "is not a descriptor" "$TS" summary "$work/badprob"
# two runs with nothing in common: a failure (exit 1), not a usage error
out=$("$TS" compare $FX/A $FX/B --variants onednn-ldigo 2>"$work/err"); rc=$?
[ $rc -eq 1 ] && grep -q "no point is ok on both sides" "$work/err" && ok || bad "nothing in common -> rc=$rc"

echo "test_compare: $pass passed, $fail failed"
[ $fail -eq 0 ]
