#!/usr/bin/env python3
"""Independent NumPy implementation of TF's tied_rnn_seq2seq (float32, TF op
order), used to check `tiedseq run` outputs.

usage: check_numpy.py DESCRIPTOR WEIGHTS_DIR INPUTS_DIR OUTPUTS_DIR [--atol 1e-5]
Exit 0 when every output, the final state and (if present) the per-step states
agree to atol; prints the worst difference."""
import argparse
import os
import sys

import numpy as np


def parse(desc):
    f = desc.split(":")
    p = {"cell": f[0], "feed": "teacher", "v": 0, "t": 1, "fb": 1.0, "l": 1, "res": 0, "peep": False,
         "clip": None, "proj": 0, "pclip": None}
    for tok in f[1:]:
        if tok in ("teacher", "greedy"):
            p["feed"] = tok
        elif tok == "peep":
            p["peep"] = True
        elif tok.startswith(("fb", "clip", "pclip")):
            key = tok.rstrip("-.0123456789")
            p[key] = float(tok[len(key):])
        elif tok.startswith(("res", "proj")):
            key = tok.rstrip("0123456789")
            p[key] = int(tok[len(key):])
        else:
            p[tok[0]] = int(tok[1:])
    p["hout"] = p["proj"] or p["h"]
    return p


def sigmoid(x):
    return (1.0 / (1.0 + np.exp(-x.astype(np.float64)))).astype(np.float32)


def tanh(x):
    return np.tanh(x.astype(np.float64)).astype(np.float32)


def make_cell(p, w):
    f32 = np.float32
    if p["cell"] == "rnn":
        def cell(x, s):
            h = tanh(np.concatenate([x, s[0]], 1) @ w["kernel"] + w["bias"])
            return h, (h,)
    elif p["cell"] == "gru":
        def cell(x, s):
            h = s[0]
            g = sigmoid(np.concatenate([x, h], 1) @ w["gates_kernel"] + w["gates_bias"])
            r, u = np.split(g, 2, axis=1)
            c = tanh(np.concatenate([x, r * h], 1) @ w["candidate_kernel"] + w["candidate_bias"])
            h2 = u * h + (f32(1) - u) * c
            return h2, (h2,)
    else:
        def cell(x, s):
            # TF's LSTMCell (BasicLSTMCell's ops when no extra is set)
            h, c = s
            z = np.concatenate([x, h], 1) @ w["kernel"] + w["bias"]
            i, j, f, o = np.split(z, 4, axis=1)
            f = f + f32(p["fb"])
            if p["peep"]:
                f = f + w["w_f_diag"] * c
                i = i + w["w_i_diag"] * c
            c2 = sigmoid(f) * c + sigmoid(i) * tanh(j)
            if p["clip"] is not None:
                c2 = np.clip(c2, -f32(p["clip"]), f32(p["clip"]))
            if p["peep"]:
                o = o + w["w_o_diag"] * c2  # the new, clipped c
            h2 = sigmoid(o) * tanh(c2)
            if p["proj"]:
                h2 = h2 @ w["projection_kernel"]
                if p["pclip"] is not None:
                    h2 = np.clip(h2, -f32(p["pclip"]), f32(p["pclip"]))
            return h2, (h2, c2)
    return cell


def make_stack(p, ws):
    """MultiRNNCell of one cell per layer; ResidualWrapper from layer res (1-based)
    adds the input to the output, leaving the state the cell's own."""
    cells = [make_cell(p, w) for w in ws]

    def stack(x, states):
        new = []
        for k, cell in enumerate(cells):
            y, s = cell(x, states[k])
            x = x + y if p["res"] and k + 1 >= p["res"] else y
            new.append(s)
        return x, tuple(new)
    return stack


def tied_seq2seq(p, ws, enc, dec):
    cell = make_stack(p, ws)
    w = ws[0]
    zh, zc = np.zeros((p["b"], p["hout"]), np.float32), np.zeros((p["b"], p["h"]), np.float32)
    state = tuple((zh,) if p["cell"] != "lstm" else (zh, zc) for _ in ws)
    for t in range(p["e"]):
        _, state = cell(enc[t], state)
    outs, states = [], []
    prev = None
    for i in range(p["d"]):
        x = dec[i]
        if p["feed"] == "greedy" and prev is not None:
            k = np.argmax(prev @ w["proj_w"] + w["proj_b"], axis=1)  # first max on ties
            x = w["embedding"][k]
        out, state = cell(x, state)
        outs.append(out)
        states.append(state)
        prev = out
    return outs, state, states


def layer_axis(p, states, part):
    """The contract's state array: [B,.] for one layer, [L,B,.] for more."""
    a = np.stack([s[part] for s in states])
    return a if p["l"] > 1 else a[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("desc")
    ap.add_argument("weights")
    ap.add_argument("inputs")
    ap.add_argument("outputs")
    ap.add_argument("--atol", type=float, default=1e-5)
    a = ap.parse_args()
    p = parse(a.desc)
    dirs = [a.weights] if p["l"] == 1 else [os.path.join(a.weights, f"cell_{k}") for k in range(p["l"])]
    ws = [{n[:-4]: np.load(os.path.join(d, n)) for n in os.listdir(d) if n.endswith(".npy")} for d in dirs]
    for n in ("proj_w", "proj_b", "embedding"):  # greedy: beside the layers
        if os.path.exists(os.path.join(a.weights, n + ".npy")):
            ws[0][n] = np.load(os.path.join(a.weights, n + ".npy"))
    enc = np.load(os.path.join(a.inputs, "encoder_inputs.npy"))
    dec_path = os.path.join(a.inputs, "decoder_inputs.npy")
    dec = np.load(dec_path) if os.path.exists(dec_path) else np.zeros((0, p["b"], p["i"]), np.float32)
    outs, state, states = tied_seq2seq(p, ws, enc, dec)
    got = lambda n: np.load(os.path.join(a.outputs, n + ".npy"))
    pairs = [("state_h", layer_axis(p, state, 0))]
    if p["d"]:
        pairs.append(("outputs", np.stack(outs)))
    if p["cell"] == "lstm":
        pairs.append(("state_c", layer_axis(p, state, 1)))
    if p["d"] and os.path.exists(os.path.join(a.outputs, "states_h.npy")):
        pairs.append(("states_h", np.stack([layer_axis(p, s, 0) for s in states])))
        if p["cell"] == "lstm":
            pairs.append(("states_c", np.stack([layer_axis(p, s, 1) for s in states])))
    worst = 0.0
    for name, want in pairs:
        g = got(name)
        if g.shape != want.shape or g.dtype != np.float32:
            print(f"{name}: shape {g.shape} {g.dtype}, expected {want.shape} float32")
            return 1
        worst = max(worst, float(np.max(np.abs(g - want))) if g.size else 0.0)
    print(f"{a.desc}: worst |tiedseq - numpy| = {worst:.3g} over {', '.join(n for n, _ in pairs)}")
    return 0 if worst <= a.atol else 1


if __name__ == "__main__":
    sys.exit(main())
