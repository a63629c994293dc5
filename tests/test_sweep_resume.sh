#!/usr/bin/env bash
# A tiny sweep (naive, tiny problems) writes a well-formed results folder
# (points.csv with intervals and calibration, samples.csv, pairs.csv, GB JSON);
# the same sweep killed mid-way (SIGKILL, then SIGINT, then during the peak)
# and resumed ends with the same set of (variant, problem) rows and no
# duplicates; a torn last line is repaired; bad input (a different sweep, an
# existing run, foreign rows, a bad --peak, an unwritable folder, bad lists,
# unknown or engine-owned GB flags) is one line on stderr, exit 2, nothing
# written.  No timing is asserted.
set -u
TS=${1:?usage: test_sweep_resume.sh path/to/tiedseq}
if "$TS" sweep --help 2>&1 | grep -q "built without Google Benchmark"; then
  echo "test_sweep_resume: built without Google Benchmark: skipped"; exit 0
fi
work=$(mktemp -d)
trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
PY=${TS_PYTHON:-$(command -v /usr/bin/python3 || command -v python3)}

# A measured-looking peak (peak.h's format), so no test spends seconds measuring.
cat > "$work/peak.json" <<'EOF'
{"threads_max": 2, "cpu_model": "test", "isa": "avx2 fma",
 "fma_gflops": {"avx2": {"1": 50, "2": 100}, "avx512": {"1": 0, "2": 0}, "best": {"1": 50, "2": 100}},
 "bw_gbps": {"L1": {"1": 200, "2": 400}, "L2": {"1": 50, "2": 100}, "L3": {"1": 20, "2": 30}, "DRAM": {"1": 10, "2": 12}},
 "level_bytes": {"L1": 49152, "L2": 2097152, "L3": 33554432},
 "barrier_ns": {"1": 100, "2": 300}}
EOF
AXES=(--cells rnn,gru,lstm --batch 1,2 --hidden 8,16 --enc 2 --dec 2 --variants naive --threads 1)
GB=(--min-rounds 6 --max-rounds 8 --passes 2 --sample-ms 1 --budget 0.02)
NPTS=12
sweep() { "$TS" sweep "${AXES[@]}" --peak "$work/peak.json" "${GB[@]}" "$@"; }
rows() { tail -n +2 "$1/points.csv" | cut -d, -f3,4 | sort; }  # variant, problem

# check_folder DIR: header, 27 columns per row, statuses, JSON files, no leftovers
check_folder() {
  local d=$1
  "$PY" - "$d" "$NPTS" <<'PY' && ok || bad "malformed results in $d"
import csv, glob, json, math, os, sys
d, n = sys.argv[1], int(sys.argv[2])
head = ("run_id,host,variant,problem,cell,B,I,H,E,D,feed,V,threads,status,rounds,iters,median_us,ci_lo_us,"
        "ci_hi_us,min_us,mean_us,cv,gflops_median,gflops_best,us_per_step,cal,cal_lo,cal_hi,peak_frac,"
        "bw_frac,bw_level,probe_gflops,probe_gbps,probe_spread,unstable,wgbps,max_abs_err,tol,precision,"
        "drift_out_max,drift_out_rms,drift_state_max,drift_state_rms,sym_agree,first_div,label")
ncol = len(head.split(","))
text = open(os.path.join(d, "points.csv")).read()
assert text.endswith("\n"), "torn last line"
assert text.split("\n")[0] == head, "header"
rows = list(csv.DictReader(open(os.path.join(d, "points.csv"))))
assert len(rows) == n, "%d rows" % len(rows)
for r in rows:
    assert None not in r and len(r) == ncol, r
    assert r["status"] == "ok", r
    assert r["problem"].startswith(r["cell"] + ":b" + r["B"] + ":i" + r["I"] + ":h" + r["H"]), r
    for k in ("median_us", "ci_lo_us", "ci_hi_us", "min_us", "gflops_median", "gflops_best", "us_per_step",
              "cal", "cal_lo", "cal_hi", "peak_frac", "bw_frac", "probe_gflops", "probe_gbps", "wgbps",
              "max_abs_err", "tol"):
        assert math.isfinite(float(r[k])), (k, r)
    assert float(r["min_us"]) <= float(r["ci_lo_us"]) <= float(r["median_us"]) * (1 + 1e-5), r
    assert float(r["median_us"]) <= float(r["ci_hi_us"]) * (1 + 1e-5), r
    assert float(r["cal_lo"]) <= float(r["cal"]) * (1 + 1e-5) <= float(r["cal_hi"]) * (1 + 2e-5), r
    assert r["bw_level"] in ("L1", "L2", "L3", "DRAM") and r["unstable"] in ("0", "1"), r
    assert abs(float(r["us_per_step"]) * (int(r["E"]) + int(r["D"])) / float(r["median_us"]) - 1) < 1e-4, r
    assert float(r["max_abs_err"]) <= float(r["tol"]), r
    assert 6 <= int(r["rounds"]) <= 8 and int(r["iters"]) >= 1, r
samples = list(csv.DictReader(open(os.path.join(d, "samples.csv"))))
for r in rows:  # every round of every point is in samples.csv, with its probes
    mine = [s for s in samples if s["member"] == r["variant"] and s["problem"] == r["problem"]]
    assert len(mine) == int(r["rounds"]), (r["problem"], len(mine))
probes = {s["member"] for s in samples if s["member"].startswith("probe-")}
assert "probe-fma" in probes and any(p.startswith("probe-read-") for p in probes), probes
assert open(os.path.join(d, "pairs.csv")).readline().startswith("run_id,variant_a,problem_a")
meta = json.load(open(os.path.join(d, "meta.json")))
for k in ("run_id", "date", "git_rev", "command", "cpu", "peak", "compiler", "cflags", "gbench_version",
          "onednn_version", "omp", "sets", "threads"):
    assert k in meta, k
assert meta["peak"]["threads_max"] == 2 and meta["threads"] == [1], meta
assert rows[0]["run_id"] == meta["run_id"]
files = glob.glob(os.path.join(d, "gb", "*.json"))
assert len(files) >= 6, files
names = set()
for f in files:
    g = json.load(open(f))
    for b in g["benchmarks"]:
        if b.get("error_occurred") or b["run_name"].startswith("probe/") or b.get("aggregate_unit") == "percentage":
            continue
        assert "flops" in b and "steps" in b and "wbytes" in b and b["time_unit"] == "us", b
        names.add(b["run_name"])
assert len(names) == n, len(names)
left = [f for f in glob.glob(os.path.join(d, "**"), recursive=True) if f.endswith((".partial", ".tmp"))]
assert not left, left
assert os.path.exists(os.path.join(d, "peak.json")) and os.path.exists(os.path.join(d, "sweep.txt"))
PY
}

# 1. uninterrupted
sweep --out "$work/a" >"$work/a.out" 2>"$work/a.err"; rc=$?
[ $rc -eq 0 ] && ok || { bad "uninterrupted sweep rc=$rc"; cat "$work/a.err"; }
check_folder "$work/a"
grep -q '^tiedseq sweep: ok naive/lstm:b2:i16:h16:e2:d2:teacher:t1: .* over [0-9]* rounds' "$work/a.err" && ok || bad "no progress lines on stderr"
grep -q 'naive/lstm:b2:i16:h16:e2:d2:teacher:t1/real_time_median' "$work/a.out" && ok || bad "no GB table on stdout"

# 2. killed (SIGKILL, then SIGINT) once two rows are in, then resumed
kill_and_resume() {
  local sig=$1 d=$work/$2 want_rc=$3
  "$TS" sweep "${AXES[@]}" --peak "$work/peak.json" "${GB[@]}" --out "$d" >/dev/null 2>"$d.err" &
  local pid=$! t=0
  while [ "$( (wc -l < "$d/points.csv") 2>/dev/null || echo 0)" -lt 3 ] && [ $t -lt 3000 ]; do
    sleep 0.01; t=$((t + 1))
  done
  kill -s "$sig" $pid 2>/dev/null
  { wait $pid; } 2>/dev/null; local rc=$?
  local n; n=$(($(wc -l < "$d/points.csv") - 1))
  [ "$n" -lt $NPTS ] || echo "note: the $sig came after the last point (rows=$n)"
  [ $rc -eq "$want_rc" ] || [ "$n" -eq $NPTS ] && ok || bad "$sig: rc=$rc, want $want_rc"
  [ -z "$(tail -c 1 "$d/points.csv")" ] && ok || bad "$sig: torn last line"
  "$TS" sweep --resume "$d" >/dev/null 2>"$d.resume.err"; rc=$?
  [ $rc -eq 0 ] && ok || { bad "$sig: resume rc=$rc"; cat "$d.resume.err"; }
  grep -q "already done" "$d.resume.err" && ok || bad "$sig: resume did not say what was done"
  check_folder "$d"
  [ "$(rows "$work/a")" = "$(rows "$d")" ] && ok || bad "$sig: resumed rows differ from the uninterrupted run"
  [ -z "$(rows "$d" | uniq -d)" ] && ok || bad "$sig: duplicate rows"
}
kill_and_resume KILL k 137
kill_and_resume INT i 130
grep -q "interrupted with" "$work/i.err" && ok || bad "SIGINT: no 'interrupted' message"

# killed while the peak is measured (no --peak): the definition is already on disk
"$TS" sweep "${AXES[@]}" "${GB[@]}" --out "$work/p" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 300); do [ -e "$work/p/sweep.txt" ] && break; sleep 0.01; done
kill -KILL $pid 2>/dev/null; { wait $pid; } 2>/dev/null
[ -e "$work/p/sweep.txt" ] && [ ! -e "$work/p/points.csv" ] && ok || bad "no sweep.txt before the peak"
cp "$work/peak.json" "$work/p/peak.json"   # skip the re-measurement
"$TS" sweep --resume "$work/p" >/dev/null 2>"$work/p.err" && ok || { bad "resume after a kill in the peak"; cat "$work/p.err"; }
[ "$(rows "$work/a")" = "$(rows "$work/p")" ] && ok || bad "peak-kill resume: rows differ"

# 3. a torn last line and an error row: dropped on resume, measured again
cp -r "$work/a" "$work/t"
head -n -2 "$work/a/points.csv" > "$work/t/points.csv"
tail -n 2 "$work/a/points.csv" | head -n 1 | sed 's/,ok,/,error,/' >> "$work/t/points.csv"
cp "$work/a/samples.csv" "$work/t/samples.csv"
printf 'x,naive,lstm:b2:i1' >> "$work/t/points.csv"
"$TS" sweep --resume "$work/t" >/dev/null 2>"$work/t.err"; rc=$?
[ $rc -eq 0 ] && grep -q "10 of 12 points already done" "$work/t.err" && ok || { bad "torn resume rc=$rc"; cat "$work/t.err"; }
[ "$(rows "$work/a")" = "$(rows "$work/t")" ] && ok || bad "torn resume: rows differ"
"$TS" sweep --resume "$work/t" >/dev/null 2>"$work/t2.err" && grep -q "12 of 12" "$work/t2.err" && ok || bad "resume of a finished sweep"

# 3b. GB's JSON of a chunk cannot be written (a directory in the way, as a full
# disk would): the sweep stops with the error and records no row of that chunk
mkdir -p "$work/j/gb/rnn-b1-i8-h8-e2-d2-teacher.json.partial"
sweep --out "$work/j" >/dev/null 2>"$work/j.err"; rc=$?
[ $rc -eq 2 ] && grep -q "cannot write" "$work/j.err" && ok || { bad "unwritable JSON: rc=$rc"; cat "$work/j.err"; }
! grep -q ",rnn:b1:i8:h8:e2:d2:teacher:t1,.*,ok," "$work/j/points.csv" && ok || bad "a row whose JSON failed was recorded"

# 4. bad input: one line, exit 2, nothing (more) written
expect_error() {
  local needle=$1; shift
  local err rc lines
  err=$("$@" 2>&1 >/dev/null); rc=$?
  lines=$(printf '%s' "$err" | grep -c '')
  if [ $rc -eq 2 ] && [ "$lines" -eq 1 ] && [[ "$err" == *"$needle"* ]]; then ok
  else bad "$* -> rc=$rc, want '$needle', got: $err"; fi
}
before=$(md5sum "$work/a/points.csv")
expect_error "a different sweep" "$TS" sweep --resume "$work/a" --cells lstm --batch 1 --hidden 8 --enc 2 --dec 2 --variants naive
expect_error "timing options differ" "$TS" sweep --resume "$work/a" --min-rounds 7
expect_error "rounds replace repetitions" sweep --benchmark_repetitions=5 --out "$work/x10"
expect_error "nopeak.json': cannot open" sweep --out "$work/x11" --peak "$work/nopeak.json"
cp -r "$work/a" "$work/f"
sed -i '2s/^[^,]*,/someone-else,/' "$work/f/points.csv"
expect_error "a row of another run" "$TS" sweep --resume "$work/f"
expect_error "--seed 7 differs" "$TS" sweep --resume "$work/a" --seed 7
expect_error "already holds a run" sweep --out "$work/a"
[ "$before" = "$(md5sum "$work/a/points.csv")" ] && ok || bad "a refused resume changed points.csv"
expect_error "not a sweep folder" "$TS" sweep --resume "$work/nothing"
expect_error "empty list" sweep --batch "" --out "$work/x1"
expect_error "empty item" sweep --hidden 8,,16 --out "$work/x2"
expect_error "lo > hi" sweep --enc 9:3 --out "$work/x3"
expect_error "xK" sweep --hidden 8:64:x1 --out "$work/x4"
expect_error "unknown cell 'cnn'" sweep --cells cnn --out "$work/x5"
expect_error "unknown or incomplete option '--bogus'" sweep --bogus --out "$work/x6"
expect_error "--benchmark_bogus" sweep --benchmark_bogus=1 --out "$work/x7"
expect_error "unknown variant" "$TS" sweep --variants nope --out "$work/x8"
expect_error "'b': 0 is out of range" sweep --batch 0 --out "$work/x9"
expect_error "not a POSIX extended regular expression" sweep --filter '(' --out "$work/x12"
expect_error "--passes 0" sweep --passes 0 --out "$work/x13"
for k in 1 2 3 4 5 6 7 8 9 10 11 12 13; do [ ! -e "$work/x$k" ] && ok || bad "refused sweep left $work/x$k"; done
touch "$work/file"
expect_error "not a directory" sweep --out "$work/file/sub"
if [ "$(id -u)" -ne 0 ]; then
  mkdir "$work/ro"; chmod a-w "$work/ro"
  expect_error "not writable" sweep --out "$work/ro"
  [ -z "$(ls -A "$work/ro")" ] && ok || bad "files in the unwritable folder"
fi

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
