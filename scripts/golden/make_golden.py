#!/usr/bin/env python3
"""Golden vectors from real TensorFlow for tests/test_golden.c.

    build/venv-tf/bin/python scripts/golden/make_golden.py --out tests/golden

(scripts/golden/setup_venv.sh makes the venv).  For every case below it builds
TensorFlow's tied seq2seq (tf_tied.py: TF's own cells, static_rnn, the transcribed
legacy_seq2seq decoder), initialises the weights with the cells' own initializers
under a fixed seed, reads them back from the TF variables, runs the graph on seeded
inputs and writes weights, inputs and TF's results in the .npy contract of
harness/files/io.c (float32 '<f4', C order; symbols int32), plus manifest.tsv and
provenance.json.  Output is byte-for-byte reproducible for the same seed, date and
pinned versions (requirements.txt); the folder is replaced all-or-nothing.
"""

import argparse
import datetime
import json
import math
import os
import platform
import shutil
import sys
import zlib

import numpy as np

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tf_tied  # noqa: E402

FLT_EPSILON = float(np.finfo(np.float32).eps)
FLT_MAX = float(np.finfo(np.float32).max)

# Greedy cases: every argmax TF takes must win by at least this much (absolute logit
# difference) and by MARGIN_OVER_TIE times tiedseq's tie tolerance, so that no
# implementation within tolerance can pick another symbol.
MIN_MARGIN = 1e-3
MARGIN_OVER_TIE = 4.0
MAX_ATTEMPTS = 2000
PROJ_SCALE = 4.0  # projection W ~ U(+-PROJ_SCALE / sqrt(H)), bias U(+-0.1)

# (case name, problem descriptor, perturb the biases away from their initial values)
# Biases start at 0 (rnn, lstm, gru candidate) or 1.0 (gru gates): a bias bug (wrong
# block, wrong order, bias dropped) is invisible at 0, so the *_bias cases add U(-0.5, 0.5).
CASES = []
for _c in tf_tied.CELLS:
    CASES += [
        (f"{_c}_teacher_b1", f"{_c}:b1:i3:h5:e4:d3:teacher:t1", False),
        (f"{_c}_teacher_b5_h37", f"{_c}:b5:i7:h37:e3:d4:teacher:t1", False),
        (f"{_c}_greedy_b1", f"{_c}:b1:i4:h6:e3:d5:greedy:v7:t1", False),
        (f"{_c}_greedy_b5_h37", f"{_c}:b5:i7:h37:e3:d4:greedy:v11:t1", False),
        (f"{_c}_e1_d1", f"{_c}:b2:i3:h4:e1:d1:teacher:t1", False),
        (f"{_c}_e1_d1_greedy", f"{_c}:b2:i3:h4:e1:d1:greedy:v5:t1", False),
        (f"{_c}_d0", f"{_c}:b3:i5:h4:e2:d0:teacher:t1", False),
        (f"{_c}_bias_teacher", f"{_c}:b5:i6:h9:e3:d3:teacher:t1", True),
        (f"{_c}_bias_greedy", f"{_c}:b3:i6:h9:e3:d4:greedy:v8:t1", True),
        (f"{_c}_long", f"{_c}:b5:i16:h64:e30:d30:teacher:t1", False),
    ]
CASES += [
    ("lstm_fb0_teacher", "lstm:b5:i7:h37:e3:d4:teacher:t1:fb0", False),
    ("lstm_fb0_greedy", "lstm:b5:i7:h37:e3:d4:greedy:v11:t1:fb0", False),
    ("lstm_fb0_bias", "lstm:b3:i6:h9:e3:d3:teacher:t1:fb0", True),
    ("lstm_long_greedy", "lstm:b5:i16:h64:e30:d30:greedy:v20:t1", False),
]

# MultiRNNCell, ResidualWrapper and LSTMCell's extras (issue 13).  Biases perturbed so
# that every layer's bias path shows.  The clip cases must really clip (check_clipped).
CASES += [
    ("lstm_peep", "lstm:b3:i5:h9:e4:d4:teacher:t1:peep", True),
    ("lstm_clip", "lstm:b3:i5:h9:e6:d5:teacher:t1:peep:clip0.1", True),
    ("lstm_proj_pclip", "lstm:b3:i5:h9:e4:d4:teacher:t1:proj6:pclip0.3", True),
    ("lstm_l2", "lstm:b3:i5:h9:e3:d4:teacher:t1:l2", True),
    ("lstm_l3_res2_proj", "lstm:b2:i5:h9:e3:d4:teacher:t1:l3:res2:peep:proj6", True),
    ("lstm_l2_res1_clips", "lstm:b2:i6:h9:e4:d3:teacher:t1:l2:res1:clip0.1:proj6:pclip0.03", True),
    # P = H = I: a residual added before the projection would be well-formed (and wrong)
    ("lstm_l2_res1_proj_square", "lstm:b2:i6:h6:e3:d4:teacher:t1:l2:res1:proj6", True),
    ("gru_l2", "gru:b3:i5:h7:e3:d4:teacher:t1:l2", True),
    ("gru_l2_d0", "gru:b2:i4:h5:e3:d0:teacher:t1:l2", True),
    ("rnn_l3_res2_greedy", "rnn:b3:i4:h6:e3:d5:greedy:v7:t1:l3:res2", True),
    ("lstmp_greedy", "lstm:b3:i5:h9:e3:d5:greedy:v8:t1:l2:peep:clip0.2:proj6", True),
]


class Poison:
    """Non-finite values put into a case after it is drawn (docs/correctness.md,
    "NaN and infinity"): `weights`, `inputs` and `proj` edit in place the cell's
    weights ({file: array}, loaded back into TF), (enc, dec) and the projection
    ({proj_w, proj_b, embedding}, each redraw).  `nan`: TF's outputs must hold NaN
    (else they must be finite); `varied`: whether the symbols must vary."""

    def __init__(self, what, weights=None, inputs=None, proj=None, nan=False, varied=True):
        self.what, self.weights, self.inputs, self.proj = what, weights, inputs, proj
        self.nan, self.varied = nan, varied


def _set(arr, index, value):
    arr[index] = value


def _all_nan(arr):
    arr[...] = np.nan


def _inf_rows(enc, dec):
    enc[0, 0, 0] = np.inf   # row 0: every pre-activation +-inf, the gates saturate
    enc[0, 1, 1] = -np.inf  # row 1: meets the zero weight below, inf*0 = NaN


def _nan_columns(x):
    x["proj_b"][0] = x["proj_b"][-1] = np.nan
    x["proj_b"][len(x["proj_b"]) // 2] = -np.inf


def _inf_columns(x):
    x["proj_w"][0, 3] = x["proj_w"][0, 5] = np.inf  # logits 3 and 5: +inf (a tie) or -inf, by h[0]'s sign


# NaN/inf cases: name -> (descriptor, Poison); every descriptor ends in ":t1"
POISONED = {
    "lstm_nan_kernel": ("lstm:b2:i3:h4:e2:d2:teacher:t1", Poison(
        "kernel[1,2] = NaN (an input row)", weights=lambda w: _set(w["kernel.npy"], (1, 2), np.nan), nan=True)),
    "gru_nan_recurrent": ("gru:b3:i5:h9:e2:d3:teacher:t1", Poison(
        "gates_kernel[I+H-1,1] = NaN (a recurrent row: 0*NaN at the zero initial state)",
        weights=lambda w: _set(w["gates_kernel.npy"], (-1, 1), np.nan), nan=True)),
    "rnn_nan_input_greedy": ("rnn:b3:i4:h6:e3:d4:greedy:v7:t1", Poison(
        "encoder_inputs[0,0,0] = NaN: row 0 NaN, its logits all NaN", inputs=lambda e, d: _set(e, (0, 0, 0), np.nan),
        nan=True)),
    "gru_nan_proj_greedy": ("gru:b2:i3:h4:e2:d3:greedy:v5:t1", Poison(
        "proj_w all NaN: every logit NaN", proj=lambda x: _all_nan(x["proj_w"]), varied=False)),
    "lstm_nan_columns_greedy": ("lstm:b5:i7:h37:e3:d4:greedy:v11:t1", Poison(
        "proj_b[0] = proj_b[V-1] = NaN, proj_b[V/2] = -inf", proj=_nan_columns)),
    "lstm_inf_input": ("lstm:b3:i5:h9:e2:d3:teacher:t1", Poison(
        "encoder_inputs[0,0,0] = +inf (row 0 saturates), [0,1,1] = -inf with kernel[1,0] = 0 (row 1: inf*0)",
        weights=lambda w: _set(w["kernel.npy"], (1, 0), 0.0), inputs=lambda e, d: _inf_rows(e, d), nan=True)),
    "rnn_inf_proj_greedy": ("rnn:b3:i4:h6:e3:d5:greedy:v7:t1", Poison(
        "proj_w[0,3] = proj_w[0,5] = +inf: logits +-inf", proj=_inf_columns)),
}
CASES += [(name, desc, False) for name, (desc, _) in POISONED.items()]


def case_seed(base, name):
    """Per-case seed: stable when cases are added or reordered."""
    return (base * 1000003 + zlib.crc32(name.encode())) % (2 ** 31)


def tolerance(p):
    """ts_tolerance() of harness/check/verify.c."""
    rows = max(p.layer_input(k) + p.Hout for k in range(p.layers))
    n = rows * (p.E + p.D) * (p.H if p.P else 1)
    return 8.0 * p.layers * math.ceil(math.log2(max(n, 2))) * FLT_EPSILON


def tie_tolerance(p, proj_w):
    """ts_tie_tolerance() of harness/check/verify.c (non-finite weights left out)."""
    w = np.abs(proj_w.astype(np.float64))
    return 4.0 * tolerance(p) * float(np.where(np.isfinite(w), w, 0).sum(axis=0).max())


def candidates(logits):
    """The logits TF's argmax can take (Eigen's ArgMax reducer starts from (0, -FLT_MAX)
    and takes only a strictly greater value): NaN, -inf and -FLT_MAX become -inf."""
    z = np.where(np.isnan(logits), -np.inf, logits.astype(np.float64))
    return np.where(z > -FLT_MAX, z, -np.inf)


def tf_argmax(logits):
    """TF's argmax: the first maximum of the candidates; 0 when there is none."""
    return np.argmax(candidates(logits), axis=-1)


def uniform(rng, lo, hi, shape):
    return rng.uniform(lo, hi, size=shape).astype(np.float32)


def min_margin(logits):
    """Smallest top-1 minus top-2 logit over all greedy steps and rows (inf if none)."""
    if logits.size == 0 or logits.shape[-1] < 2:
        return math.inf
    top = np.sort(candidates(logits), axis=-1)
    with np.errstate(invalid="ignore"):
        d = top[..., -1] - top[..., -2]
    # inf - inf: no second candidate, or a tie of infinities, which every implementation
    # computes exactly (and so breaks alike, by the smallest index)
    return float(np.where(np.isnan(d), np.inf, d).min())


def varied(symbols):
    """Greedy symbols worth checking: several distinct ones, and (D >= 3) some row that
    changes symbol over the steps, so a wrong embedding row or a stale input shows."""
    chosen = symbols[1:]
    if len(np.unique(chosen)) < min(3, chosen.size):
        return False
    return chosen.shape[0] < 2 or bool(np.any(chosen[1:] != chosen[:-1]))


def saturated_fraction(res):
    vals = np.concatenate([v.ravel() for k, v in sorted(res.items()) if k not in ("logits", "symbols")])
    vals = vals[np.isfinite(vals)]
    return float(np.mean((np.abs(vals) > 0.999) | (vals == 0))) if vals.size else 0.0


def make_case(tf, name, desc, perturb_bias, base_seed):
    """Run one case in TF; returns (files {relative path: array}, provenance dict)."""
    p = tf_tied.Problem.parse(desc)
    if p.descriptor() != desc:
        raise SystemExit(f"{name}: descriptor '{desc}' is not canonical ('{p.descriptor()}')")
    seed = case_seed(base_seed, name)
    poison = POISONED[name][1] if name in POISONED else Poison("")
    model = tf_tied.build(tf, p, seed)
    with tf_tied.session(tf, model, threads=1) as sess:
        model.init(sess)
        weights = model.read_weights(sess)
        if perturb_bias:
            rng = np.random.default_rng([seed, 1])
            for f in sorted(weights):
                if "bias" in f:
                    weights[f] = weights[f] + uniform(rng, -0.5, 0.5, weights[f].shape)
            model.load_weights(sess, weights)
            weights = model.read_weights(sess)  # what TF holds is what we save
        if poison.weights:
            poison.weights(weights)
            model.load_weights(sess, weights)
            weights = model.read_weights(sess)
        rng = np.random.default_rng([seed, 0])
        enc = uniform(rng, -1, 1, (p.E, p.B, p.I))
        dec = uniform(rng, -1, 1, (p.D, p.B, p.I))
        if poison.inputs:
            poison.inputs(enc, dec)
        extra, attempts, margin = {}, 0, math.inf
        while True:
            if p.greedy:
                g = np.random.default_rng([seed, 2, attempts])
                # logits driven by the output, not by the bias: symbols then vary
                w = PROJ_SCALE / math.sqrt(p.Hout)
                extra = {"proj_w": uniform(g, -w, w, (p.Hout, p.V)),
                         "proj_b": uniform(g, -0.1, 0.1, (p.V,)),
                         "embedding": uniform(g, -1, 1, (p.V, p.I))}
                if poison.proj:
                    poison.proj(extra)
            attempts += 1
            res = model.run(sess, enc, dec, **extra)
            if not p.greedy:
                break
            margin = min_margin(res["logits"])
            need = max(MIN_MARGIN, MARGIN_OVER_TIE * tie_tolerance(p, extra["proj_w"]))
            if margin > need and (varied(res["symbols"]) or not poison.varied):
                break
            if attempts >= MAX_ATTEMPTS:
                raise SystemExit(f"{name}: no varied projection with argmax margin > {need:.3g} "
                                 f"in {attempts} tries")
    check_case(name, p, weights, res, poison)
    files = {f: w for f, w in weights.items()}
    files.update({f + ".npy": v for f, v in extra.items()})
    files["encoder_inputs.npy"] = enc
    files["decoder_inputs.npy"] = dec
    outs = ["outputs", "state_h", "states_h"] + (["state_c", "states_c"] if p.cell == "lstm" else [])  # noqa
    outs += ["symbols"] if p.greedy else []
    files.update({f"expected/{k}.npy": res[k] for k in outs})
    prov = {"descriptor": desc, "seed": seed, "biases": "perturbed" if perturb_bias else "init",
            "saturated_fraction": round(saturated_fraction(res), 4)}
    if poison.what:
        prov["nonfinite"] = poison.what
    if clip_fractions(p, res):
        prov["clipped_fraction"] = clip_fractions(p, res)
    if p.greedy:
        # JSON has no infinity: no argmax was taken (D <= 1)
        prov.update(greedy_attempts=attempts, min_margin=float(f"{margin:.6g}") if margin < math.inf else None)
    return files, prov


def check_case(name, p, weights, res, poison):
    """Sanity checks on TF's results: shapes, finiteness (NaN only where the case puts
    it), TF's argmax = tf_argmax's, not saturated."""
    G = {"rnn": 1, "gru": 2, "lstm": 4}[p.cell]
    for f, w in weights.items():
        k = int(f[5:f.index("/")]) if f.startswith("cell_") else 0
        R = p.layer_input(k) + p.Hout
        want = {"kernel.npy": (R, G * p.H), "bias.npy": (G * p.H,), "gates_kernel.npy": (R, 2 * p.H),
                "gates_bias.npy": (2 * p.H,), "candidate_kernel.npy": (R, p.H), "candidate_bias.npy": (p.H,),
                "w_i_diag.npy": (p.H,), "w_f_diag.npy": (p.H,), "w_o_diag.npy": (p.H,),
                "projection_kernel.npy": (p.H, p.P)}[f.split("/")[-1]]
        if w.shape != want:
            raise SystemExit(f"{name}: {f} has shape {w.shape}, expected {want}")
    check_clipped(name, p, res)
    for k, v in res.items():
        if k not in ("symbols", "logits") and np.any(np.isnan(v)) != poison.nan:
            raise SystemExit(f"{name}: TF's {k} {'lacks' if poison.nan else 'has'} NaN")
        if k not in ("symbols", "logits") and np.any(np.isinf(v)):
            raise SystemExit(f"{name}: TF's {k} has inf (a state cannot be infinite)")
    if p.greedy and p.D > 1:
        if not np.array_equal(res["symbols"][1:], tf_argmax(res["logits"])):
            raise SystemExit(f"{name}: TF's argmax differs from tf_argmax on its own logits")
    frac = saturated_fraction(res)
    if frac >= 0.5:
        raise SystemExit(f"{name}: {frac:.0%} of TF's values are saturated or zero; the case proves little")


def clip_fractions(p, res):
    """{'cell_clip'|'proj_clip': fraction of TF's decoder and final c (m) at the bound}."""
    out = {}
    for label, bound, key in (("cell_clip", p.cell_clip, "states_c"), ("proj_clip", p.proj_clip, "states_h")):
        if bound is not None:
            v = np.abs(np.concatenate([res[key].ravel(), res[key.replace("states", "state")].ravel()]))
            out[label] = round(float(np.mean(v == np.float32(bound))), 4)
    return out


def check_clipped(name, p, res):
    """A clip case proves something only if TF's values sit at the bound somewhere (and
    not everywhere): c at cell_clip in the states, m at proj_clip in the h states."""
    for label, hit in clip_fractions(p, res).items():
        bound = p.cell_clip if label == "cell_clip" else p.proj_clip
        if not 0 < hit < 0.9:
            raise SystemExit(f"{name}: {hit:.0%} of TF's values at {label} {bound}; choose a bound that "
                             "clips some values and not all")


def write_npy(path, arr):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    dtype = "<i4" if arr.dtype.kind == "i" else "<f4"
    np.save(path, np.ascontiguousarray(arr, dtype=dtype), allow_pickle=False)


def versions():
    import importlib.metadata as md

    return {"python": platform.python_version(), "tensorflow_cpu": md.version("tensorflow-cpu"),
            "tf_keras": md.version("tf_keras"), "numpy": np.__version__}


def gen_date(arg):
    if arg:
        return arg
    if os.environ.get("SOURCE_DATE_EPOCH"):
        t = datetime.datetime.fromtimestamp(int(os.environ["SOURCE_DATE_EPOCH"]), datetime.timezone.utc)
        return t.strftime("%Y-%m-%d")
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="output folder (replaced as a whole), e.g. tests/golden")
    ap.add_argument("--seed", type=int, default=20240601, help="base seed (default %(default)s)")
    ap.add_argument("--date", help="date recorded in provenance.json (default: $SOURCE_DATE_EPOCH, else today)")
    ap.add_argument("--only", help="comma-separated case names (for debugging; the manifest lists only them)")
    a = ap.parse_args(argv)
    cases = CASES
    if a.only:
        names = a.only.split(",")
        unknown = sorted(set(names) - {c[0] for c in CASES})
        if unknown:
            ap.error(f"unknown case(s): {', '.join(unknown)}")
        cases = [c for c in CASES if c[0] in names]
    tf = tf_tied.import_tf(threads=1)
    out = os.path.abspath(a.out)
    stage = out.rstrip("/") + ".partial"
    shutil.rmtree(stage, ignore_errors=True)
    os.makedirs(stage)
    try:
        write_all(tf, cases, a, stage)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    shutil.rmtree(out, ignore_errors=True)
    os.rename(stage, out)
    print(f"make_golden: {len(cases)} cases in {a.out}")
    return 0


def write_all(tf, cases, a, stage):
    manifest = ["case\tdescriptor\tbiases"]
    per_case = {}
    for name, desc, perturb in cases:
        files, prov = make_case(tf, name, desc, perturb, a.seed)
        for rel, arr in sorted(files.items()):
            write_npy(os.path.join(stage, name, rel), arr)
        manifest.append(f"{name}\t{desc}\t{prov['biases']}")
        per_case[name] = prov
        print(f"  {name:22s} {desc}", file=sys.stderr)
    with open(os.path.join(stage, "manifest.tsv"), "w") as f:
        f.write("\n".join(manifest) + "\n")
    # the output folder is left out of the command: it does not change the files
    cmd = "build/venv-tf/bin/python scripts/golden/make_golden.py --out tests/golden"
    cmd += f" --seed {a.seed} --date {gen_date(a.date)}" + (f" --only {a.only}" if a.only else "")
    prov = {"generator": "scripts/golden/make_golden.py", "command": cmd, "seed": a.seed,
            "date": gen_date(a.date), "versions": versions(),
            "environment": {k: os.environ.get(k) for k in
                            ("TF_USE_LEGACY_KERAS", "CUDA_VISIBLE_DEVICES", "TF_DETERMINISTIC_OPS",
                             "TF_ENABLE_ONEDNN_OPTS")},
            "threads": {"intra_op": 1, "inter_op": 1},
            "greedy_margin": {"min_abs": MIN_MARGIN, "times_tie_tolerance": MARGIN_OVER_TIE},
            "cases": per_case}
    with open(os.path.join(stage, "provenance.json"), "w") as f:
        json.dump(prov, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
