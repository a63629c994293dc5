#!/usr/bin/python3
"""PyTorch (CPU) as a peer of tiedseq: TF's tied_rnn_seq2seq built from ONE
nn.RNN(tanh) / nn.LSTM module that serves both the encoder and the decoder,
checked against tiedseq's reference oracle on a small problem, then timed the
way the harness times; rows are appended to RUN_DIR/points.csv (variant
`pytorch`).

Mapping of TF's weights (TF layout: kernel [(I+H) x G*H], inputs' rows first):
  rnn   weight_ih = K[:I].T, weight_hh = K[I:].T, bias_ih = b, bias_hh = 0
  lstm  PyTorch gate order i,f,g,o = TF blocks i,f,j,o (0,2,1,3); forget_bias is
        folded into the f block of bias_ih (TF adds it at run time: <= 1 ulp apart)
  gru   nn.GRU is the linear-before-reset GRU (r multiplies W_hn h + b_hn AFTER the
        matmul); TF's GRUCell applies r to h BEFORE it.  A different cell: timed on
        TF's weights, labelled cell=gru-lbr, never checked or presented as TF's GRU.
Greedy: the decoder runs step by step with z = out @ W + b, k = argmax z,
x = Emb[k] between steps (TF's _extract_argmax_and_embed).

Run it with Debian's interpreter (/usr/bin/python3; `apt-get install python3-torch`,
a CPU build); scripts/peers/run_peers.sh is the usual entry point."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

torch = None  # imported in main(), so that --help works without PyTorch

LBR_REASON = "PyTorch's GRU is linear-before-reset, not TF's GRUCell"


def tf_blocks(a, H, order):
    """Reorder gate blocks of H columns (last axis) into `order`."""
    import numpy as np
    return np.concatenate([a[..., k * H:(k + 1) * H] for k in order], axis=-1)


def make_module(p, w):
    """The one tied module, loaded with TF's weights."""
    I, H = p.I, p.H
    if p.cell == "lstm":
        kern, bias = tf_blocks(w["kernel"], H, (0, 2, 1, 3)), tf_blocks(w["bias"], H, (0, 2, 1, 3)).copy()
        bias[H:2 * H] += common.np.float32(p.fb)
        m = torch.nn.LSTM(I, H)
    elif p.cell == "rnn":
        kern, bias = w["kernel"], w["bias"]
        m = torch.nn.RNN(I, H, nonlinearity="tanh")
    else:  # linear-before-reset; gate order r, z(=TF's u), n(=TF's candidate)
        kern = common.np.concatenate([w["gates_kernel"], w["candidate_kernel"]], axis=1)
        bias = common.np.concatenate([w["gates_bias"], w["candidate_bias"]])
        m = torch.nn.GRU(I, H)
    with torch.no_grad():
        m.weight_ih_l0.copy_(torch.from_numpy(common.np.ascontiguousarray(kern[:I].T)))
        m.weight_hh_l0.copy_(torch.from_numpy(common.np.ascontiguousarray(kern[I:].T)))
        m.bias_ih_l0.copy_(torch.from_numpy(common.np.ascontiguousarray(bias)))
        m.bias_hh_l0.zero_()
    return m.eval()


def build(p, w, enc, dec):
    """A callable running one whole tied seq2seq forward pass of problem p."""
    torch.set_num_threads(p.threads)
    m = make_module(p, w)
    t = lambda a: torch.from_numpy(common.np.ascontiguousarray(a))  # noqa: E731
    enc_t, dec_t = t(enc), t(dec)
    lstm = p.cell == "lstm"
    zeros = torch.zeros(1, p.B, p.H)
    s0 = (zeros, zeros.clone()) if lstm else zeros
    greedy = p.feed == "greedy"
    if greedy:
        proj_w, proj_b, emb = t(w["proj_w"]), t(w["proj_b"]), t(w["embedding"])

    def decode_greedy(s):
        outs, x = [], dec_t[0:1]
        for i in range(p.D):
            if i > 0:
                k = torch.argmax(outs[-1][0] @ proj_w + proj_b, dim=1)  # first max on ties
                x = emb[k].unsqueeze(0)
            o, s = m(x, s)
            outs.append(o)
        return torch.cat(outs) if outs else torch.zeros(0, p.B, p.H), s

    def forward():
        with torch.inference_mode():
            _, s = m(enc_t, s0)  # encoder: outputs discarded
            if p.D == 0:
                out = torch.zeros(0, p.B, p.H)
            elif greedy:
                out, s = decode_greedy(s)
            else:
                out, s = m(dec_t, s)  # decoder: the same module, from the encoder's state
        r = {"outputs": out.numpy(), "state_h": (s[0] if lstm else s)[0].numpy()}
        if lstm:
            r["state_c"] = s[1][0].numpy()
        return r
    return forward


def blas_in_use():
    """Which BLAS Debian's PyTorch is calling (BLAS_INFO=generic: the system libblas.so.3,
    chosen by update-alternatives): 'openblas-openmp', 'openblas-pthread', 'reference'..."""
    torch.ones(4, 4) @ torch.ones(4, 4)  # make sure the library is loaded
    try:
        with open("/proc/self/maps") as f:
            libs = {line.split()[-1] for line in f if "blas" in line.split()[-1]}
    except OSError:
        return "unknown"
    for path in sorted(libs):
        d = os.path.basename(os.path.dirname(os.path.realpath(path)))
        if os.path.basename(path).startswith("libblas"):
            return "reference" if d == "blas" else d
    return "unknown"


LABEL = None


def info(p):
    global LABEL
    if LABEL is None:
        blas = blas_in_use()
        LABEL = "torch %s blas %s" % (torch.__version__, blas)
        if blas == "reference":
            print("note: pytorch: the reference BLAS (netlib) serves torch's matmuls here, ~10x "
                  "slower than OpenBLAS: apt-get install libopenblas0-openmp", file=sys.stderr)
    label = LABEL
    if p.cell == "gru":
        return label + " GRU linear-before-reset (a different cell)", "gru-lbr", LBR_REASON
    return label, p.cell, None


def main():
    args = common.cli("pytorch", __doc__.split("\n\n")[0]).parse_args()
    problems = common.pending("pytorch", args, common.problems_from_args(args))
    if not problems:
        return 0
    global torch
    try:
        import torch as torch_mod
    except ImportError as e:
        print("skipped: pytorch: cannot import torch with %s (%s; apt-get install python3-torch)"
              % (sys.executable, e))
        return 0
    torch = torch_mod
    return 1 if common.run_peer("pytorch", args, problems, build, info) else 0


if __name__ == "__main__":
    common.main_guard(main)
