#!/usr/bin/env bash
# The peer scripts (scripts/peers/): syntax and --help always; then, for each peer
# whose package is importable here (PyTorch from Debian's python3-torch, TensorFlow
# from build/venv-tf), a tiny run that must write well-formed points.csv rows: the
# check passes (max_abs_err <= tol), peak_frac/bw_frac follow a hand-made peak.json,
# a re-run adds nothing (resume), a perturbed peer is refused (status fail, never
# timed), PyTorch's GRU is labelled gru-lbr.  Then the peers inside tiedseq's own
# rounds (--peers): never in the default set, unavailable ones skipped with the
# reason, and for each importable peer a tiny bench with naive whose rows, pairs
# and samples must be written and verified, a perturbed peer failing the
# harness's check.  No timing is asserted.
# A peer that is not installed prints "skipped: ..." (CI machines need neither).
set -u -o pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
TS=$(cd "$(dirname "${1:?usage: test_peers.sh path/to/tiedseq}")" && pwd)/$(basename "$1")
PY=${TS_PYTHON:-/usr/bin/python3}
[ -x "$PY" ] || PY=$(command -v python3)
peers="$root/scripts/peers"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fails=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }

# ---- always: syntax, --help, usage errors ----
bash -n "$peers/run_peers.sh" && ok "run_peers.sh syntax" || bad "run_peers.sh syntax"
for f in common.py pytorch_rnn.py tensorflow_tied.py worker.py; do
  "$PY" -c 'import ast, sys; ast.parse(open(sys.argv[1]).read())' "$peers/$f" && ok "$f syntax" || bad "$f syntax"
done
"$PY" -c 'import numpy' 2>/dev/null || { echo "numpy missing for $PY (scripts/deps.sh installs python3-numpy)"; exit 1; }
for f in pytorch_rnn.py tensorflow_tied.py; do  # --help must not need the peer's package
  "$PY" "$peers/$f" --help | grep -q 'run_dir' && ok "$f --help" || bad "$f --help"
done
bash "$peers/run_peers.sh" --help | grep -q 'usage: run_peers.sh' && ok "run_peers.sh --help" || bad "run_peers.sh --help"
mkdir -p "$work/empty"
bash "$peers/run_peers.sh" "$work/empty" --peers nosuch >/dev/null 2>&1; [ $? -eq 2 ] && ok "unknown peer: exit 2" || bad "unknown peer"
bash "$peers/run_peers.sh" "$work/missing" >/dev/null 2>&1; [ $? -eq 2 ] && ok "missing folder: exit 2" || bad "missing folder"
"$PY" "$peers/pytorch_rnn.py" "$work/empty" --problem lstm:b1:q3 >/dev/null 2>"$work/err"; r=$?
[ $r -eq 2 ] && grep -q "unknown field 'q3'" "$work/err" && ok "bad descriptor: one-line error, exit 2" || bad "bad descriptor ($r)"
out=$(TS_TF_PYTHON=/nonexistent TS_TORCH_PYTHON=/nonexistent bash "$peers/run_peers.sh" "$work/empty" --no-install); r=$?
[ $r -eq 0 ] && [ "$(grep -c '^skipped: ' <<< "$out")" = 2 ] && ok "missing packages: 'skipped:' lines, exit 0" || bad "missing packages ($r): $out"

# ---- accounting against hand-computed values (no peer package needed) ----
"$PY" - "$peers" <<'EOF' && ok "descriptor round trip, flops, peak lookups" || bad "common.py accounting"
import sys; sys.path.insert(0, sys.argv[1]); import common as c
p = c.parse_problem("lstm:t2:b16:i512:h512:e25:d25:fb0")
assert str(p) == "lstm:b16:i512:h512:e25:d25:teacher:t2:fb0", str(p)
assert c.flops_total(p) == 50 * 2 * 16 * 1024 * 4 * 512
g = c.parse_problem("gru:b3:i5:h37:e7:d7:greedy:v11")
assert c.flops_total(g) == 14 * 2 * 3 * 42 * 3 * 37 + 6 * 2 * 3 * 37 * 11
assert c.recurrent_bytes(g) == 4 * 3 * 37 * 37
pk = {"threads_max": 2, "fma_gflops": {"best": {"1": 100, "2": 190}},
      "level_bytes": {"L1": 1000, "L2": 10000, "L3": 100000},
      "bw_gbps": {"L1": {"1": 1, "2": 2}, "L2": {"1": 3, "2": 4}, "L3": {"1": 5, "2": 6}, "DRAM": {"1": 7, "2": 8}}}
assert c.peak_gflops(pk, 1) == 100 and c.peak_gflops(pk, 8) == 190
assert c.peak_bandwidth(pk, 1000, 1) == 1 and c.peak_bandwidth(pk, 1500, 2) == 2
assert c.peak_bandwidth(pk, 1500, 1) == 3 and c.peak_bandwidth(pk, 50000, 2) == 6
assert c.peak_bandwidth(pk, 1e6, 1) == 7
pk["fma_gflops"]["best"] = {"1": 100}; pk["threads_max"] = 4  # 2..4 not measured: nearest below
assert c.peak_gflops(pk, 3) == 100
for d in ("lstm:b1:i2:h3:e0:d1", "rnn:b1:i2:h3:e1:d1:v4", "gru:b1:i2:h3:e1:d1:fb0", "rnn:b1:i2:e1:d1"):
    try:
        c.parse_problem(d); raise AssertionError("accepted " + d)
    except c.PeerError:
        pass
EOF

# ---- a tiny run of one peer: well-formed rows, check, resume, perturbation ----
# validate CSV PEER CELL=COLUMN...: every row is the contract's, peak_frac/bw_frac from peak.json
validate() {
  "$PY" - "$peers" "$@" <<'EOF'
import csv, sys; sys.path.insert(0, sys.argv[1]); import common as c
path, peer = sys.argv[2], sys.argv[3]
want = dict(a.split("=") for a in sys.argv[4:])  # problem's cell -> cell column
lines = open(path).read().splitlines()
assert lines[0] == ",".join(c.HEADER), "header"
rows = list(csv.DictReader(open(path, newline="")))
assert len(rows) == len(want), "%d rows, expected %d" % (len(rows), len(want))
pk = c.load_peak(path.replace("points.csv", "peak.json"))
for r in rows:
    p = c.parse_problem(r["problem"])
    cell = want[p.cell]
    assert r["variant"] == peer and r["status"] == "ok" and r["cell"] == cell, r
    assert r["run_id"] == "tinyrun" and int(r["threads"]) == p.threads and int(r["B"]) == p.B, r
    assert r["label"] and r["label"].split()[0] in ("tf", "torch"), r["label"]
    med, mn = float(r["median_us"]), float(r["min_us"])
    assert 0 < mn <= med and int(r["rounds"]) == 2, r
    rel = lambda a, b: abs(a - b) <= 2e-5 * abs(b)
    assert rel(float(r["gflops_median"]), c.flops_total(p) / med / 1e3), r
    assert rel(float(r["us_per_step"]), med / (p.E + p.D)), r
    assert rel(float(r["peak_frac"]), float(r["gflops_median"]) / c.peak_gflops(pk, p.threads)), r
    step_s = med * 1e-6 / (p.E + p.D)
    bw = c.peak_bandwidth(pk, c.recurrent_bytes(p), p.threads) * 1e9
    assert rel(float(r["bw_frac"]), c.recurrent_bytes(p) / bw / step_s), r
    if cell == "gru-lbr":
        assert r["max_abs_err"] == "" and "linear-before-reset" in r["label"], r
    else:
        assert 0 <= float(r["max_abs_err"]) <= float(r["tol"]) == 1e-5, r
    for k in c.HEADER[:-1]:
        assert '"' not in r[k], k
EOF
}

tiny_run() {  # PEER PYTHON SCRIPT "PROBLEMS" "EXPECTED CELLS"
  local peer=$1 py=$2 script=$3 probs=$4 cells=$5 dir="$work/tinyrun"
  rm -rf "$dir"; mkdir -p "$dir"
  cat > "$dir/peak.json" <<'EOF'
{"threads_max": 2, "cpu_model": "test", "isa": "avx2 fma",
 "fma_gflops": {"avx2": {"1": 50, "2": 100}, "best": {"1": 50, "2": 100}},
 "bw_gbps": {"L1": {"1": 200, "2": 400}, "L2": {"1": 100, "2": 200}, "L3": {"1": 50, "2": 80}, "DRAM": {"1": 20, "2": 30}},
 "level_bytes": {"L1": 49152, "L2": 1048576, "L3": 33554432}, "barrier_ns": {"1": 1, "2": 100}}
EOF
  local args=(--problem "$probs" --tiedseq "$TS" --reps 2 --min-time 0.002)
  if "$py" "$script" "$dir" "${args[@]}" > "$work/out" 2>&1 && validate "$dir/points.csv" "$peer" $cells; then
    ok "$peer: tiny run, rows well-formed, checks passed"
  else
    bad "$peer: tiny run"; cat "$work/out"
  fi
  local n; n=$(wc -l < "$dir/points.csv")
  "$py" "$script" "$dir" "${args[@]}" > /dev/null 2>&1
  [ "$(wc -l < "$dir/points.csv")" = "$n" ] && ok "$peer: re-run adds no rows (resume)" || bad "$peer: resume"
  rm -f "$dir/points.csv"
  "$py" "$script" "$dir" --problem rnn:b2:i3:h5:e2:d3 --tiedseq "$TS" --perturb > "$work/out" 2>&1; local r=$?
  if [ $r -eq 1 ] && "$PY" -c '
import csv, sys
r = list(csv.DictReader(open(sys.argv[1])))
assert len(r) == 1 and r[0]["status"] == "fail" and r[0]["median_us"] == "" and float(r[0]["max_abs_err"]) > 1e-4, r
' "$dir/points.csv"; then
    ok "$peer: perturbed weights fail the check and are not timed"
  else
    bad "$peer: perturbed ($r)"; cat "$work/out"
  fi
}

if "$PY" -c 'import torch' 2>/dev/null; then
  tiny_run pytorch "$PY" "$peers/pytorch_rnn.py" \
    "rnn:b2:i3:h5:e2:d3:teacher:t1,lstm:b2:i4:h6:e3:d3:greedy:v7:t2:fb0,gru:b1:i3:h4:e2:d2:teacher:t1" "rnn=rnn lstm=lstm gru=gru-lbr"
else
  echo "skipped: pytorch: cannot import torch with $PY (apt-get install python3-torch)"
fi

TF_PY=${TS_TF_PYTHON:-${TS_VENV_TF:-$root/build/venv-tf}/bin/python}
if [ -x "$TF_PY" ] && TF_USE_LEGACY_KERAS=1 TF_CPP_MIN_LOG_LEVEL=3 CUDA_VISIBLE_DEVICES= \
     "$TF_PY" -c 'import tensorflow, tf_keras' >/dev/null 2>&1; then
  tiny_run tensorflow "$TF_PY" "$peers/tensorflow_tied.py" \
    "rnn:b2:i3:h5:e2:d3:teacher:t1,lstm:b2:i4:h6:e3:d3:greedy:v7:t2:fb0,gru:b1:i3:h4:e2:d2:teacher:t1" "rnn=rnn lstm=lstm gru=gru"
else
  echo "skipped: tensorflow: no TensorFlow + tf_keras at $TF_PY (scripts/golden/setup_venv.sh)"
fi

# ---- peers inside tiedseq's rounds (variants/peer.c, scripts/peers/worker.py) ----
# Always: peers are never in the default set, a bad peer name is a one-line usage
# error, a peer that cannot start is SKIPPED with the reason (never a crash).
"$TS" list > "$work/list" 2>&1
if awk '/^peers/{p=1} !p' "$work/list" | grep -qE '^(tensorflow|pytorch) '; then
  bad "list: a peer among the variants"
else
  grep -q '^pytorch ' "$work/list" && ok "list: peers in their own section" || bad "list: no peers section"
fi
"$TS" verify --problem rnn:b1:i2:h3:e1:d1 > "$work/v" 2>&1
grep -qE '^(tensorflow|pytorch|tf-)' "$work/v" && bad "verify's default set runs a peer" || ok "peers not in the default variants"
"$TS" bench --problem rnn:b1:i2:h3:e1:d1 --peers nosuch > /dev/null 2> "$work/err"; r=$?
[ $r -eq 2 ] && [ "$(wc -l < "$work/err")" = 1 ] && grep -q "unknown peer 'nosuch'" "$work/err" \
  && ok "--peers nosuch: one-line error, exit 2" || bad "--peers nosuch ($r): $(cat "$work/err")"
TS_TORCH_PYTHON=/nonexistent "$TS" verify --variants pytorch --problem rnn:b1:i2:h3:e1:d1 > "$work/v" 2>&1; r=$?
[ $r -eq 0 ] && grep -q 'SKIPPED.*no Python at /nonexistent' "$work/v" && ok "missing interpreter: SKIPPED with the reason" \
  || bad "missing interpreter ($r): $(cat "$work/v")"
"$TS" run --problem rnn:b1:i2:h3:e1:d1 --variant pytorch --weights "$work/none" --inputs "$work/none" \
  --out "$work/o" --states > /dev/null 2> "$work/err"; r=$?
[ $r -eq 2 ] && grep -q "peer pytorch returns the outputs and the final state" "$work/err" \
  && ok "run --states with a peer: refused in one line" || bad "run --states with a peer ($r): $(cat "$work/err")"
mkdir -p "$work/fakepeers"
printf 'import os\nos.write(4, b"unavailable test: no library here\\n")\n' > "$work/fakepeers/worker.py"
TS_PEERS_DIR="$work/fakepeers" TS_TORCH_PYTHON="$PY" "$TS" bench --problem rnn:b1:i2:h3:e1:d1 --variants naive --peers pytorch \
  --min-rounds 6 --max-rounds 6 --passes 1 --budget 0 --out "$work/unavail" > /dev/null 2>&1; r=$?
[ $r -eq 0 ] && grep -q '^[^,]*,[^,]*,pytorch,.*,skipped,.*test: no library here' "$work/unavail/points.csv" \
  && ok "unavailable peer: skipped row with the worker's reason" || bad "unavailable peer ($r)"

# interleaved_run PEER PYTHON-VAR PYTHON: a tiny bench with the peer in naive's rounds
check_interleaved() {
  "$PY" - "$1" "$2" <<'EOF'
import csv, sys
d, peer = sys.argv[1], sys.argv[2]
rows = [r for r in csv.DictReader(open(d + "/points.csv")) if r["variant"] == peer]
assert len(rows) == 4 and all(r["status"] == "ok" for r in rows), rows
assert all(float(r["ci_lo_us"]) <= float(r["median_us"]) <= float(r["ci_hi_us"]) for r in rows), rows
assert all(float(r["max_abs_err"]) <= float(r["tol"]) for r in rows), rows
assert all("worker-timed" in r["label"] and "ipc" in r["label"] for r in rows), rows
pairs = [r for r in csv.DictReader(open(d + "/pairs.csv")) if peer in (r["variant_a"], r["variant_b"])]
vs = {(r["variant_a"], r["variant_b"], r["problem_a"]) for r in pairs if r["variant_a"] != r["variant_b"]}
assert len(vs) == 4, pairs  # naive vs the peer, each problem and thread count
assert all(float(r["ratio_lo"]) <= float(r["ratio"]) <= float(r["ratio_hi"]) for r in pairs), pairs
n = sum(1 for r in csv.DictReader(open(d + "/samples.csv")) if r["member"] == peer)
assert n >= 4 * 6, n  # every point sampled in the same rounds as naive
EOF
}
interleaved_run() {
  local peer=$1 var=$2 py=$3 d="$work/il-$1" r
  env "$var=$py" "$TS" bench --problem rnn:b2:i3:h5:e2:d3 --problem lstm:b2:i4:h6:e3:d3:greedy:v7:fb0 --threads 1,2 \
    --variants naive --peers "$peer" --min-rounds 6 --max-rounds 6 --passes 2 --budget 0 --out "$d" > "$work/out" 2>&1; r=$?
  if [ $r -eq 0 ] && check_interleaved "$d" "$peer"; then
    ok "$peer: interleaved with naive: rows ok, verified, paired ratios, samples"
  else
    bad "$peer: interleaved run ($r)"; tail -5 "$work/out"
  fi
  env "$var=$py" TS_PEER_PERTURB=1 "$TS" bench --problem rnn:b2:i3:h5:e2:d3 --variants naive --peers "$peer" \
    --min-rounds 6 --max-rounds 6 --passes 1 --budget 0 --out "$d-perturbed" > "$work/out" 2>&1; r=$?
  if [ $r -eq 1 ] && "$PY" -c '
import csv, sys
r = [r for r in csv.DictReader(open(sys.argv[1])) if r["variant"] == sys.argv[2]]
assert len(r) == 1 and r[0]["status"] == "fail" and r[0]["median_us"] == "", r
' "$d-perturbed/points.csv" "$peer"; then
    ok "$peer: perturbed weights fail the harness's check and are never timed"
  else
    bad "$peer: perturbed ($r)"; tail -5 "$work/out"
  fi
}
if "$PY" -c 'import torch' 2>/dev/null; then
  interleaved_run pytorch TS_TORCH_PYTHON "$PY"
  TS_TORCH_PYTHON="$PY" "$TS" verify --variants pytorch --problem gru:b1:i3:h4:e2:d2 > "$work/v" 2>&1
  grep -q 'SKIPPED.*linear-before-reset' "$work/v" && ok "pytorch: GRU skipped (a different cell)" || bad "pytorch GRU: $(cat "$work/v")"
else
  echo "skipped: pytorch (interleaved): cannot import torch with $PY"
fi
if [ -x "$TF_PY" ] && TF_USE_LEGACY_KERAS=1 TF_CPP_MIN_LOG_LEVEL=3 CUDA_VISIBLE_DEVICES= \
     "$TF_PY" -c 'import tensorflow, tf_keras' >/dev/null 2>&1; then
  interleaved_run tensorflow TS_TF_PYTHON "$TF_PY"
else
  echo "skipped: tensorflow (interleaved): no TensorFlow + tf_keras at $TF_PY"
fi

[ $fails -eq 0 ] && echo "test_peers: all passed" || echo "test_peers: $fails failed"
[ $fails -eq 0 ]
