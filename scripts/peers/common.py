"""Shared pieces of the peer scripts (tensorflow_tied.py, pytorch_rnn.py): problem
descriptors, FLOP/byte accounting, the machine's peak, the correctness check
against tiedseq's reference oracle, harness-style timing and points.csv rows.

Everything here mirrors the C harness so that a peer row is comparable with a
tiedseq row: descriptor syntax (kernels/problem.c), accounting (docs/design.md),
peak lookups (harness/probes/peak.h) and the results contract (docs/peers.md).
Only the Python standard library and NumPy are used, so that both the Debian
interpreter (PyTorch) and the TensorFlow venv can import this module."""
import argparse
import csv
import json
import math
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import traceback

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

HEADER = ("run_id,host,variant,problem,cell,B,I,H,E,D,feed,V,threads,status,rounds,iters,median_us,ci_lo_us,"
          "ci_hi_us,min_us,mean_us,cv,gflops_median,gflops_best,us_per_step,cal,cal_lo,cal_hi,peak_frac,"
          "bw_frac,bw_level,probe_gflops,probe_gbps,probe_spread,unstable,wgbps,max_abs_err,tol,precision,"
          "drift_out_max,drift_out_rms,drift_state_max,drift_state_rms,sym_agree,first_div,label").split(",")
# (tiedseq's points.csv contract, harness/files/results.h; a peer fills the timing
# columns it has: its repetitions are "rounds", no interval, no in-run probe)

# The machine a row was measured on, as tiedseq writes it (ts_host_name: the short
# host name), so a merged run of several machines keeps the peers' rows apart too.
HOST = socket.gethostname().split(".")[0]
HOST = HOST if re.fullmatch(r"[A-Za-z0-9_-]+", HOST) else "host"

GATES = {"rnn": 1, "gru": 3, "lstm": 4}
MAX_DIM = 1 << 20
MAX_THREADS = 1024
# Absolute tolerance of the peer check (outputs, final h and c); see docs/peers.md.
CHECK_ATOL = 1e-5


class PeerError(Exception):
    """A one-line, user-facing error."""


# ---- problem descriptors (kernels/problem.c) ----

class Problem:
    """A parsed descriptor; fields named as in ts_problem."""

    def __init__(self, cell, B, I, H, E, D, feed="teacher", V=0, threads=1, fb=1.0):
        self.cell, self.B, self.I, self.H, self.E, self.D = cell, B, I, H, E, D
        self.feed, self.V, self.threads = feed, V, threads
        self.fb = float(np.float32(fb))  # the C struct holds a float

    def __str__(self):
        v = ":v%d" % self.V if self.feed == "greedy" else ""
        fb = ":fb" + _format_fb(self.fb) if self.cell == "lstm" and self.fb != 1.0 else ""
        return "%s:b%d:i%d:h%d:e%d:d%d:%s%s:t%d%s" % (self.cell, self.B, self.I, self.H, self.E,
                                                      self.D, self.feed, v, self.threads, fb)

    def replace(self, **kw):
        f = dict(cell=self.cell, B=self.B, I=self.I, H=self.H, E=self.E, D=self.D, feed=self.feed,
                 V=self.V, threads=self.threads, fb=self.fb)
        f.update(kw)
        return Problem(**f)


def _int_field(desc, name, text, lo, hi):
    if not text.isdigit():
        raise PeerError("%s: field '%s' needs a whole number, got '%s'" % (desc, name, text))
    v = int(text)
    if not lo <= v <= hi:
        raise PeerError("%s: %s=%d out of range %d..%d" % (desc, name, v, lo, hi))
    return v


def _format_fb(fb):
    """As ts_problem_format: the shortest fixed-point text (0..9 decimals) that parses
    back to the same float32."""
    for prec in range(10):
        s = "%.*f" % (prec, fb)
        if np.float32(float(s)) == np.float32(fb):
            return s
    raise PeerError("forget_bias %r has no descriptor form (at most 9 decimals)" % fb)


_FB = re.compile(r"-?[0-9]+(\.[0-9]{1,9})?", re.ASCII)


def parse_problem(desc):
    """Strict parse of cell:bB:iI:hH:eE:dD[:teacher|greedy][:vV][:tT][:fbX]."""
    parts = desc.strip().split(":")
    if parts[0] not in GATES:
        raise PeerError("%s: cell must be rnn, gru or lstm, got '%s'" % (desc, parts[0]))
    seen = {}
    limits = {"b": (1, MAX_DIM), "i": (1, MAX_DIM), "h": (1, MAX_DIM), "e": (1, MAX_DIM),
              "d": (0, MAX_DIM), "v": (1, MAX_DIM), "t": (1, MAX_THREADS)}
    for tok in parts[1:]:
        if tok in ("teacher", "greedy"):
            key, val = "feed", tok
        elif tok.startswith("fb"):
            key = "fb"
            if not _FB.fullmatch(tok[2:]) or abs(float(tok[2:])) > 1e6:
                raise PeerError("%s: fb must be a plain decimal (-?DIGITS[.DIGITS], at most 9 "
                                "decimals, |fb| <= 1e6), got '%s'" % (desc, tok[2:]))
            val = float(tok[2:])
        elif tok[:1] in limits:
            key = tok[0]
            val = _int_field(desc, key, tok[1:], *limits[key])
        else:
            raise PeerError("%s: unknown field '%s'" % (desc, tok))
        if key in seen:
            raise PeerError("%s: field '%s' given twice" % (desc, key))
        seen[key] = val
    for k in "bihed":
        if k not in seen:
            raise PeerError("%s: missing field '%s'" % (desc, k))
    feed = seen.get("feed", "teacher")
    if (feed == "greedy") != ("v" in seen):
        raise PeerError("%s: vV is required with greedy and refused with teacher" % desc)
    if "fb" in seen and parts[0] != "lstm":
        raise PeerError("%s: fb is an LSTM field" % desc)
    return Problem(parts[0], seen["b"], seen["i"], seen["h"], seen["e"], seen["d"], feed,
                   seen.get("v", 0), seen.get("t", 1), seen.get("fb", 1.0))


def check_problem_for(p):
    """The small problem a peer is checked on before it is timed on p: the same
    cell, feed mode, forget_bias and thread count, small odd sizes (I != H)."""
    return p.replace(B=min(p.B, 3), I=min(p.I, 5), H=min(p.H, 37), E=min(p.E, 7), D=min(p.D, 7),
                     V=min(p.V, 11) if p.feed == "greedy" else 0)


# ---- accounting (docs/design.md, kernels/problem.c) ----

def flops_total(p):
    f = (p.E + p.D) * 2.0 * p.B * (p.I + p.H) * GATES[p.cell] * p.H
    if p.feed == "greedy" and p.D > 1:
        f += (p.D - 1) * 2.0 * p.B * p.H * p.V
    return f


def recurrent_bytes(p):
    return 4.0 * GATES[p.cell] * p.H * p.H


# ---- the machine's peak (harness/probes/peak.h) ----

def load_peak(path):
    """peak.json as a dict, or None when the file is absent.  A corrupt file is an error."""
    if not os.path.exists(path):
        return None
    try:
        with open(path) as f:
            pk = json.load(f)
        int(pk["threads_max"])
        pk["fma_gflops"]["best"], pk["bw_gbps"]  # noqa: B018 (presence check)
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise PeerError("%s: not a peak.json (%s)" % (path, e)) from None
    return pk


def _clamp(threads, pk):
    tmax = max(1, min(int(pk["threads_max"]), 256))
    return max(1, min(threads, tmax))


def _at_threads(table, t):
    """The value at t threads, or at the nearest smaller measured count (peak.c's at_or_below)."""
    for k in range(t, 0, -1):
        v = float(table.get(str(k)) or 0)
        if v > 0:
            return v
    return 0.0


def peak_gflops(pk, threads):
    return _at_threads(pk["fma_gflops"]["best"], _clamp(threads, pk))


def peak_level(pk, nbytes, threads):
    """ts_peak_level: the per-thread share within L1 or L2, else the whole within L3, else DRAM."""
    t = _clamp(threads, pk)
    sizes = {k: float(v or 0) for k, v in pk.get("level_bytes", {}).items()}
    for lvl in ("L1", "L2"):
        if sizes.get(lvl, 0) > 0 and nbytes / t <= sizes[lvl]:
            return lvl
    if sizes.get("L3", 0) > 0 and nbytes <= sizes["L3"]:
        return "L3"
    return "DRAM"


def peak_bandwidth(pk, nbytes, threads):
    """ts_peak_bandwidth: GB/s of the level where nbytes on `threads` threads fits."""
    return _at_threads(pk["bw_gbps"].get(peak_level(pk, nbytes, threads), {}), _clamp(threads, pk))


# ---- timing, the way the harness times (Google Benchmark repetitions) ----

def time_runs(fn, reps=5, min_time=0.05, warmup_s=0.2):
    """Warm up for warmup_s (at least two calls), then `reps` repetitions, each
    running fn enough times to last min_time seconds (GB's iteration sizing);
    returns per-call seconds of each repetition."""
    t0 = time.perf_counter()
    fn()
    first = time.perf_counter() - t0
    n = 1
    while n < 2 or time.perf_counter() - t0 < warmup_s:
        fn()
        n += 1
    per = max((time.perf_counter() - t0 - first) / max(n - 1, 1), 1e-9)
    iters = max(1, int(math.ceil(min_time / per)))
    out = []
    for _ in range(reps):
        t = time.perf_counter()
        for _ in range(iters):
            fn()
        out.append((time.perf_counter() - t) / iters)
    return out


def timing_fields(p, secs, pk):
    """The timed columns of a row from per-call seconds (results contract)."""
    med, mn = statistics.median(secs), min(secs)
    mean = statistics.fmean(secs)
    cv = statistics.pstdev(secs) / mean if len(secs) > 1 and mean > 0 else 0.0
    steps = p.E + p.D
    fl = flops_total(p)
    per_step = med / steps
    rb = recurrent_bytes(p)
    f = {"rounds": len(secs), "median_us": med * 1e6, "min_us": mn * 1e6, "mean_us": mean * 1e6,
         "cv": cv, "gflops_median": fl / med / 1e9, "gflops_best": fl / mn / 1e9,
         "us_per_step": per_step * 1e6, "wgbps": rb / per_step / 1e9}
    if pk is not None:
        g = peak_gflops(pk, p.threads)
        bw = peak_bandwidth(pk, rb, p.threads)
        f["peak_frac"] = f["gflops_median"] / g if g > 0 else None
        f["bw_frac"] = (rb / (bw * 1e9)) / per_step if bw > 0 else None
    if cv > 0.05:
        print("note: %s cv %.3f > 0.05 (noisy)" % (p, cv), file=sys.stderr)
    return f


# ---- points.csv rows ----

def _fmt(v):
    if v is None or v == "":
        return ""
    if isinstance(v, str):
        return v
    return "%.6g" % v


def _quote(label):
    return '"' + label.replace('"', '""') + '"'


def format_row(fields):
    return ",".join(_quote(fields.get("label", "")) if k == "label" else _fmt(fields.get(k))
                    for k in HEADER)


def base_fields(run_id, variant, p, status, label, cell=None):
    return {"run_id": run_id, "host": HOST, "variant": variant, "problem": str(p), "cell": cell or p.cell,
            "B": p.B, "I": p.I, "H": p.H, "E": p.E, "D": p.D, "feed": p.feed, "V": p.V,
            "threads": p.threads, "status": status, "label": label, "precision": "f32"}


class Points:
    """A run's points.csv: existing (variant, problem) pairs, append-and-flush rows."""

    def __init__(self, run_dir):
        self.path = os.path.join(run_dir, "points.csv")
        self.done = set()
        self.run_id = None
        if os.path.exists(self.path) and os.path.getsize(self.path) > 0:
            with open(self.path, newline="") as f:
                rows = csv.DictReader(f)
                if rows.fieldnames != HEADER:
                    raise PeerError("%s: header differs from the results contract" % self.path)
                for r in rows:
                    self.done.add((r["variant"], r["problem"]))
                    self.run_id = self.run_id or r["run_id"]
        self.run_id = self.run_id or _meta_run_id(run_dir) or os.path.basename(os.path.abspath(run_dir))

    def has(self, variant, p):
        return (variant, str(p)) in self.done

    def append(self, fields):
        new = not os.path.exists(self.path) or os.path.getsize(self.path) == 0
        line = format_row(fields) + "\n"
        with open(self.path, "a") as f:  # one write per row: a crash never leaves half a line
            f.write((",".join(HEADER) + "\n" if new else "") + line)
            f.flush()
        self.done.add((fields["variant"], fields["problem"]))
        return line


def _meta_run_id(run_dir):
    try:
        with open(os.path.join(run_dir, "meta.json")) as f:
            return json.load(f).get("run_id")
    except (OSError, ValueError, AttributeError):
        return None


# ---- the correctness check against tiedseq's reference oracle ----

def default_tiedseq():
    return os.environ.get("TIEDSEQ", os.path.join(ROOT, "build", "tiedseq"))


def _tiedseq(ts, *args):
    r = subprocess.run([ts, *args], capture_output=True, text=True)
    if r.returncode != 0:
        raise PeerError("%s %s: %s" % (os.path.basename(ts), args[0],
                                       (r.stderr or r.stdout).strip().splitlines()[-1:]))


def reference_case(ts, p, seed=42):
    """Seeded weights, inputs and the oracle's outputs for p, as NumPy arrays:
    (weights dict, enc, dec, expected dict)."""
    if not os.access(ts, os.X_OK):
        raise PeerError("tiedseq binary not found at %s (build it, or pass --tiedseq)" % ts)
    with tempfile.TemporaryDirectory(prefix="ts-peer-") as d:
        data, out = os.path.join(d, "in"), os.path.join(d, "ref")
        _tiedseq(ts, "gen", "--problem", str(p), "--seed", str(seed), "--out", data)
        _tiedseq(ts, "run", "--problem", str(p), "--variant", "reference", "--weights", data,
                 "--inputs", data, "--out", out)
        arrays = {n[:-4]: np.load(os.path.join(data, n)) for n in os.listdir(data) if n.endswith(".npy")}
        expect = {n[:-4]: np.load(os.path.join(out, n)) for n in os.listdir(out) if n.endswith(".npy")}
    enc = arrays.pop("encoder_inputs")
    dec = arrays.pop("decoder_inputs", np.zeros((0, p.B, p.I), np.float32))
    return arrays, enc, dec, expect


def max_abs_err(p, got, expect):
    """Worst |got - expected| over outputs, final h and (LSTM) c; shapes must match."""
    worst = 0.0
    for name in ("outputs", "state_h", "state_c"):
        if name not in expect:
            continue
        g = np.asarray(got[name], np.float32)
        if g.shape != expect[name].shape:
            raise PeerError("%s: %s has shape %s, reference %s" % (p, name, g.shape, expect[name].shape))
        if g.size:
            worst = max(worst, float(np.max(np.abs(g.astype(np.float64) - expect[name]))))
    return worst


# ---- the driver both peers share ----

PEERS = ("tensorflow", "pytorch")


def cli(peer, description):
    ap = argparse.ArgumentParser(prog=os.path.basename(sys.argv[0]), description=description)
    ap.add_argument("run_dir", help="a results/<run-id>/ folder; rows go to its points.csv")
    ap.add_argument("--problem", action="append", default=[], metavar="D",
                    help="descriptor to time (repeatable; comma lists allowed)")
    ap.add_argument("--set", action="append", default=[], metavar="NAME",
                    help="problem set: a file, or NAME in scripts/sets/NAME.txt")
    ap.add_argument("--match", metavar="REGEX",
                    help="keep only problems whose descriptor matches (re.search)")
    ap.add_argument("--tiedseq", default=default_tiedseq(), help="tiedseq binary (reference oracle)")
    ap.add_argument("--reps", type=int, default=5, help="repetitions (median/min over them)")
    ap.add_argument("--min-time", type=float, default=0.05, help="seconds per repetition, at least")
    ap.add_argument("--seed", type=int, default=42, help="seed of the check's tensors")
    ap.add_argument("--perturb", action="store_true",
                    help="(for tests) shift one bias by 1e-3 in the peer's copy: the check must fail")
    ap.epilog = ("Without --problem/--set: the distinct problems of RUN_DIR/points.csv (rows of "
                 "tiedseq's variants).  Problems already in points.csv for %s are skipped, so "
                 "a re-run resumes.  Exit 0 when every row written is ok (or the peer's package "
                 "is missing: 'skipped: ...'), 1 on a failed check or an error row, 2 on bad "
                 "input." % peer)
    return ap


def load_set(name):
    path = name if os.path.exists(name) else os.path.join(
        os.environ.get("TS_SETS_DIR", os.path.join(ROOT, "scripts", "sets")), name + ".txt")
    try:
        with open(path) as f:
            lines = f.read().splitlines()
    except OSError as e:
        raise PeerError("set '%s': %s" % (name, e.strerror)) from None
    out = []
    for n, line in enumerate(lines, 1):
        d = line.split("#", 1)[0].strip()
        if d:
            try:
                out.append(parse_problem(d))
            except PeerError as e:
                raise PeerError("%s:%d: %s" % (path, n, e)) from None
    return out


def problems_of_run(run_dir):
    """Distinct problems of the run's tiedseq rows, in order of appearance."""
    path = os.path.join(run_dir, "points.csv")
    if not os.path.exists(path):
        raise PeerError("%s: no points.csv (give --problem or --set)" % run_dir)
    seen = []
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            if r.get("variant") not in PEERS and r.get("problem") and r["problem"] not in seen:
                seen.append(r["problem"])
    # the peers time one plain layer; a stack or LSTMCell's extras (issue 13) is left out
    model = re.compile(r"^(l\d+|res\d+|peep|clip.*|proj\d+|pclip.*)$")
    for d in [d for d in seen if any(model.match(t) for t in d.split(":")[1:])]:
        print("%s: layers/residual/LSTMCell fields are not run by the peers yet, skipped" % d)
        seen.remove(d)
    return [parse_problem(d) for d in seen]


def problems_from_args(args):
    if not os.path.isdir(args.run_dir):
        raise PeerError("%s: not a folder" % args.run_dir)
    if args.reps < 1 or args.min_time <= 0:
        raise PeerError("--reps must be >= 1 and --min-time > 0")
    out = []
    for item in args.problem:
        out.extend(parse_problem(d) for d in item.split(",") if d.strip())
    for name in args.set:
        out.extend(load_set(name))
    if not args.problem and not args.set:
        out = problems_of_run(args.run_dir)
    if args.match:
        try:
            rx = re.compile(args.match)
        except re.error as e:
            raise PeerError("--match: %s" % e) from None
        out = [p for p in out if rx.search(str(p))]
    uniq = list(dict((str(p), p) for p in out).values())
    if not uniq:
        raise PeerError("no problems to time")
    return uniq


def pending(peer, args, problems):
    """The problems that have no row for `peer` yet (says which are skipped)."""
    pts = Points(args.run_dir)
    todo = [p for p in problems if not pts.has(peer, p)]
    for p in problems:
        if pts.has(peer, p):
            print("%s %s: already in points.csv, skipped" % (peer, p))
    return todo


def run_peer(peer, args, problems, build, info):
    """For each problem not yet in points.csv: check on its small problem, then
    time.  peer: the variant name; build(p, weights, enc, dec) -> callable that
    runs one forward pass and returns {"outputs","state_h"[,"state_c"]} NumPy
    arrays; info(p) -> (label, cell column, reason the check is skipped or None).
    Returns the number of error rows."""
    pts = Points(args.run_dir)
    pk = load_peak(os.path.join(args.run_dir, "peak.json"))
    checked, errors = {}, 0
    for p in problems:
        if pts.has(peer, p):
            continue
        label, cell, no_check = info(p)
        try:
            fields = _check_and_time(peer, args, p, build, pts, pk, checked, label, cell, no_check)
        except PeerError as e:
            msg = " ".join(str(e).split())
            fields = base_fields(pts.run_id, peer, p, "error", "%s; error: %s" % (label, msg), cell)
        except Exception as e:  # the peer library's own failure: record it, go on
            if os.environ.get("TS_PEER_DEBUG"):
                traceback.print_exc()
            msg = " ".join(str(e).split())[:300]  # one line: labels are single CSV fields
            fields = base_fields(pts.run_id, peer, p, "error",
                                 "%s; error: %s: %s" % (label, type(e).__name__, msg), cell)
        errors += fields["status"] in ("error", "fail")
        sys.stdout.write(pts.append(fields))
        sys.stdout.flush()
    return errors


def _check_and_time(peer, args, p, build, pts, pk, checked, label, cell, no_check):
    if no_check is None:
        cp = check_problem_for(p)
        if str(cp) not in checked:
            w, enc, dec, expect = reference_case(args.tiedseq, cp, args.seed)
            if args.perturb:
                w = perturbed(w)
            checked[str(cp)] = max_abs_err(cp, build(cp, w, enc, dec)(), expect)
        err = checked[str(cp)]
        label = "%s; checked on %s" % (label, cp)
        if not err <= CHECK_ATOL:  # NaN fails too
            f = base_fields(pts.run_id, peer, p, "fail", label + "; not timed", cell)
            f.update(max_abs_err=err, tol=CHECK_ATOL)
            return f
    else:
        err, label = None, "%s; unchecked: %s" % (label, no_check)
    w, enc, dec = synthetic_case(p, args.seed)
    secs = time_runs(build(p, w, enc, dec), args.reps, args.min_time)
    f = base_fields(pts.run_id, peer, p, "ok", label, cell)
    f.update(timing_fields(p, secs, pk))
    if err is not None:
        f.update(max_abs_err=err, tol=CHECK_ATOL)
    return f


def perturbed(w):
    """A copy of the weights with the first bias entry moved by 1e-3 (100x the tolerance)."""
    w = dict(w)
    name = "bias" if "bias" in w else "gates_bias"
    w[name] = w[name].copy()
    w[name][0] += np.float32(1e-3)
    return w


def synthetic_case(p, seed):
    """Weights and inputs for timing, filled like ts_tensors_fill (U(+-1/sqrt(I+H))
    weights, U(-1,1) inputs), so pre-activations are O(1), as in the harness."""
    rng = np.random.default_rng(seed)
    f32 = np.float32
    s = 1.0 / math.sqrt(p.I + p.H)
    u = lambda shape, a: rng.uniform(-a, a, shape).astype(f32)  # noqa: E731
    H, G, rows = p.H, GATES[p.cell], p.I + p.H
    if p.cell == "gru":
        w = {"gates_kernel": u((rows, 2 * H), s), "gates_bias": (1 + u((2 * H,), s)).astype(f32),
             "candidate_kernel": u((rows, H), s), "candidate_bias": u((H,), s)}
    else:
        w = {"kernel": u((rows, G * H), s), "bias": u((G * H,), s)}
    if p.feed == "greedy":
        w.update(proj_w=u((H, p.V), 1.0 / math.sqrt(H)), proj_b=u((p.V,), 0.1),
                 embedding=u((p.V, p.I), 1.0))
    return w, u((p.E, p.B, p.I), 1.0), u((p.D, p.B, p.I), 1.0)


def main_guard(fn):
    """Run fn(); a PeerError is one line on stderr and exit 2."""
    try:
        sys.exit(fn())
    except PeerError as e:
        print("%s: %s" % (os.path.basename(sys.argv[0]), e), file=sys.stderr)
        sys.exit(2)
