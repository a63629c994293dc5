#!/usr/bin/env bash
# sweep --shard K/N and tiedseq merge, without a cluster: the shards of a tiny
# sweep partition its plan (disjoint, their union the unsharded plan, the same
# partition when run again, whole shapes per shard, one definition hash); each
# shard resumes as itself and refuses another shard; merging them gives the
# unsharded point set; bad --shard values and bad shard sets (another definition,
# overlap, a missing shard, a corrupt points.csv, a folder that is not a run, a
# non-empty OUT) are one line on stderr, exit 2 and no merged output.  No timing
# is asserted.
set -u
TS=${1:?usage: test_shard_merge.sh path/to/tiedseq}
if "$TS" sweep --help 2>&1 | grep -q "built without Google Benchmark"; then
  echo "test_shard_merge: built without Google Benchmark: skipped"; exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
cat > "$work/peak.json" <<'EOF'
{"threads_max": 2, "cpu_model": "test", "isa": "avx2 fma",
 "fma_gflops": {"avx2": {"1": 50, "2": 100}, "avx512": {"1": 0, "2": 0}, "best": {"1": 50, "2": 100}},
 "bw_gbps": {"L1": {"1": 200, "2": 400}, "L2": {"1": 50, "2": 100}, "L3": {"1": 20, "2": 30}, "DRAM": {"1": 10, "2": 12}},
 "level_bytes": {"L1": 49152, "L2": 2097152, "L3": 33554432},
 "barrier_ns": {"1": 100, "2": 300}}
EOF
# 6 shapes of unequal cost x 2 variants x 2 thread counts = 24 points
AXES=(--cells rnn,gru,lstm --batch 1,3 --hidden 4 --enc 2 --dec 2 --variants naive,blocked --threads 1,2)
TIMING=(--min-rounds 6 --max-rounds 6 --passes 1 --budget 0.02 --sample-ms 1 --peak "$work/peak.json")
sweep() { "$TS" sweep "${AXES[@]}" "${TIMING[@]}" "$@" >/dev/null 2>"$work/last.err"; }
keys() { tail -n +2 "$1/points.csv" | cut -d, -f3,4 | sort; }
planned() { sed -n 's/^point //p' "$1/sweep.txt" | tr ' ' ',' | sort; }
shapes() { planned "$1" | cut -d, -f2 | sed 's/:t[0-9]*$//' | sort -u; }
expect_error() {  # NEEDLE COMMAND...: one line on stderr with NEEDLE, exit 2
  local needle=$1; shift
  local err rc lines
  err=$("$@" 2>&1 >/dev/null); rc=$?
  lines=$(printf '%s' "$err" | grep -c '')
  if [ $rc -eq 2 ] && [ "$lines" -eq 1 ] && [[ "$err" == *"$needle"* ]]; then ok
  else bad "$* -> rc=$rc, want '$needle', got: $err"; fi
}

# ---- the partition ---------------------------------------------------------------
sweep --out "$work/all" || { bad "unsharded sweep"; cat "$work/last.err"; }
for k in 1 2 3; do sweep --shard "$k/3" --out "$work/s$k" || { bad "shard $k/3"; cat "$work/last.err"; }; done
[ "$(cat <(planned "$work/s1") <(planned "$work/s2") <(planned "$work/s3") | sort)" = "$(planned "$work/all")" ] &&
  ok || bad "the shards' plans do not add up to the unsharded plan"
[ -z "$(cat <(planned "$work/s1") <(planned "$work/s2") <(planned "$work/s3") | sort | uniq -d)" ] &&
  ok || bad "a point planned in two shards"
[ -z "$(cat <(shapes "$work/s1") <(shapes "$work/s2") <(shapes "$work/s3") | sort | uniq -d)" ] &&
  ok || bad "a shape split between shards"
for k in 1 2 3; do [ -n "$(planned "$work/s$k")" ] && ok || bad "shard $k/3 is empty (6 shapes for 3 shards)"; done
hashes=$(grep -h '^definition ' "$work/all/sweep.txt" "$work"/s?/sweep.txt | sort -u | wc -l)
[ "$hashes" -eq 1 ] && ok || bad "the shards and the unsharded sweep have $hashes definition hashes"
grep -q '"shard": "2/3"' "$work/s2/meta.json" && grep -q '"host": ' "$work/s2/meta.json" && ok || bad "meta.json lacks shard/host"
# deterministic: the same shard again, and with the axes' values in another order
"$TS" sweep --cells lstm,gru,rnn --batch 3,1 --hidden 4 --enc 2 --dec 2 --variants blocked,naive --threads 2,1 \
  "${TIMING[@]}" --shard 2/3 --out "$work/s2again" >/dev/null 2>&1 || bad "shard 2/3 again"
[ "$(planned "$work/s2")" = "$(planned "$work/s2again")" ] && ok || bad "shard 2/3 differs when run again"
# more shards than shapes: the empty ones are complete runs too
sweep --shard 8/8 --out "$work/e8" && [ "$(wc -l < "$work/e8/points.csv")" -eq 1 ] && ok || bad "an empty shard"

# ---- resume per shard --------------------------------------------------------------
"$TS" sweep --resume "$work/s2" >/dev/null 2>"$work/r.err" && grep -q "already done" "$work/r.err" && ok ||
  bad "resume of shard 2/3: $(cat "$work/r.err")"
sweep --resume "$work/s2" --shard 2/3 && ok || bad "resume with its own axes and shard"
expect_error "differs from the recorded shard 2/3" "$TS" sweep --resume "$work/s2" --shard 1/3
expect_error "a different sweep" "$TS" sweep --cells rnn --batch 1,3 --hidden 4 --enc 2 --dec 2 --variants naive,blocked \
  --threads 1,2 "${TIMING[@]}" --resume "$work/s2"

# ---- bad --shard -------------------------------------------------------------------
for s in 0/2 3/2 1/0 a/2 1/2x +1/2 " 1/2" 1/-2 1 1/ /2 1/2/3 0x1/2 1.0/2; do
  expect_error "--shard '$s'" "$TS" sweep "${AXES[@]}" "${TIMING[@]}" --shard "$s" --out "$work/bad"
done
[ ! -e "$work/bad" ] && ok || bad "a refused --shard wrote $work/bad"

# ---- merge ---------------------------------------------------------------------------
"$TS" merge "$work/m" "$work/s3" "$work/s1" "$work/s2" >"$work/m.out" 2>&1 && ok || bad "merge: $(cat "$work/m.out")"
[ "$(keys "$work/m")" = "$(keys "$work/all")" ] && ok || bad "merged keys differ from the unsharded run"
[ -z "$(tail -n +2 "$work/m/points.csv" | cut -d, -f14 | grep -vx ok)" ] && ok || bad "merged rows not all ok"
[ "$(head -n 1 "$work/m/points.csv")" = "$(head -n 1 "$work/all/points.csv")" ] && ok || bad "merged header"
[ "$(($(wc -l < "$work/m/samples.csv") - 1))" -eq "$(cat "$work"/s?/samples.csv | grep -vc '^run_id,')" ] &&
  ok || bad "samples.csv is not the shards' rows"
[ "$(($(wc -l < "$work/m/pairs.csv") - 1))" -eq "$(cat "$work"/s?/pairs.csv | grep -vc '^run_id,')" ] &&
  ok || bad "pairs.csv is not the shards' rows"
python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); assert [s["shard"] for s in m["shards"]] == ["1/3","2/3","3/3"] and m["shards_missing"] == "" and len(m["hosts"]) == 1 and m["shards"][0]["meta"]["shard"] == "1/3", m' \
  "$work/m/meta.json" && ok || bad "merged meta.json"
"$TS" summary "$work/m" >/dev/null && "$TS" compare "$work/all" "$work/m" >/dev/null && ok || bad "summary/compare of a merged run"
ls -A "$work" | grep -q '^\.merge-' && bad "a temporary merge folder was left behind" || ok
mkdir "$work/emptyout"
"$TS" merge "$work/emptyout" "$work/s1" "$work/s2" "$work/s3" >/dev/null 2>&1 && [ -f "$work/emptyout/points.csv" ] &&
  ok || bad "merge into an empty folder"

# bad shard sets: one line, exit 2, no OUT
nout=0
refused() {  # NEEDLE DIR...
  local needle=$1; shift
  nout=$((nout + 1))
  expect_error "$needle" "$TS" merge "$work/no$nout" "$@"
  [ ! -e "$work/no$nout" ] && ok || bad "refused merge wrote $work/no$nout"
}
"$TS" sweep "${AXES[@]}" --min-rounds 7 --max-rounds 7 --passes 1 --budget 0.02 --sample-ms 1 --peak "$work/peak.json" \
  --shard 1/3 --out "$work/other" >/dev/null 2>&1 || bad "the other sweep"
refused "is from another sweep" "$work/s1" "$work/s2" "$work/other"
refused "missing shard(s) 2/3 of 3" "$work/s1" "$work/s3"
refused "are both shard 1/3" "$work/s1" "$work/s1" "$work/s2"
sweep --shard 1/2 --out "$work/h1" || bad "shard 1/2"
refused "is one of 3 shards" "$work/s1" "$work/h1"
cp -r "$work/s2" "$work/ov"   # overlap: a row of shard 1 in another shard 2
sed -i 's/^shard 2\/3$/shard 2\/3/' "$work/ov/sweep.txt"
row=$(sed -n 2p "$work/s1/points.csv"); v=$(cut -d, -f3 <<<"$row"); p=$(cut -d, -f4 <<<"$row")
echo "point $v $p" >>"$work/ov/sweep.txt"
sed "s/^[^,]*,/$(sed -n 2p "$work/s2/points.csv" | cut -d, -f1),/" <<<"$row" >>"$work/ov/points.csv"
refused "is in two shards" "$work/s1" "$work/ov" "$work/s3"
cp -r "$work/s2" "$work/c1"; sed -i '2s/,ok,/,ok,extra,/' "$work/c1/points.csv"
refused "fields, the header has" "$work/s1" "$work/c1" "$work/s3"
cp -r "$work/s2" "$work/c2"; printf 'x,y,naive,rnn:b1' >>"$work/c2/points.csv"
refused "c2/points.csv" "$work/s1" "$work/c2" "$work/s3"
cp -r "$work/s2" "$work/c3"; sed -i '1s/run_id,host,/run_id,/' "$work/c3/points.csv"
refused "header differs" "$work/s1" "$work/c3" "$work/s3"
cp -r "$work/s2" "$work/c4"; sed -i '2s/^[^,]*,/another-run,/' "$work/c4/points.csv"
refused "a row of another run" "$work/s1" "$work/c4" "$work/s3"
cp -r "$work/s2" "$work/c5"; sed -i '$d' "$work/c5/points.csv"
refused "points unfinished" "$work/s1" "$work/c5" "$work/s3"
cp -r "$work/s2" "$work/c6"; echo '{"host": ' >"$work/c6/meta.json"
refused "invalid JSON" "$work/s1" "$work/c6" "$work/s3"
mkdir "$work/notarun"
refused "not a sweep run folder" "$work/s1" "$work/notarun" "$work/s3"
refused "not a folder" "$work/s1" "$work/nothing" "$work/s3"
expect_error "exists and is not empty" "$TS" merge "$work/m" "$work/s1" "$work/s2" "$work/s3"
expect_error "want OUT and at least one" "$TS" merge "$work/no-args"
# --partial: what is there, and says so
"$TS" merge --partial "$work/part" "$work/s1" "$work/c5" >"$work/part.out" 2>&1 && grep -q "partial" "$work/part.out" &&
  python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); assert m["shards_missing"] == "3/3" and m["unfinished_points"] == 1, m' \
  "$work/part/meta.json" && ok || bad "merge --partial: $(cat "$work/part.out")"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
