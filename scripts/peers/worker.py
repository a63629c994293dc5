#!/usr/bin/env python3
"""A peer worker: TensorFlow or PyTorch kept running beside tiedseq, driven by the
peer variants of variants/peer.c so that a peer is timed in the same interleaved
rounds, with the same calibration probes, as tiedseq's own variants
(docs/peers.md).

Started by tiedseq, never by hand (`--selftest` aside).  One worker serves one
(peer, configuration, thread count): TensorFlow fixes its thread pools when it
starts.  Commands come on fd 3, one text line each; replies go to fd 4, one
line each; stdout and stderr belong to the libraries (tiedseq sends them to a log).

  (start)                 -> "ready LABEL" | "unavailable REASON"
  ping                    -> "ok"                      (the IPC round trip, measured by tiedseq)
  load PATH DESC          -> "ok"  | "err MESSAGE"    build the model of DESC from the
                             arrays of the shared file PATH (layout below)
  drop                    -> "ok"                      forget the model and its file
  run N                   -> "ok SECONDS" | "err MESSAGE"  N forward passes back to back,
                             timed here with perf_counter (their total), inputs read from
                             and outputs written to the shared file every pass
  quit / end of input     -> exit

Shared file layout (little-endian float32 / int32, each array 64-byte aligned, in
this order, absent ones skipped): weights (kernel, bias | gates_kernel, gates_bias,
candidate_kernel, candidate_bias; greedy: proj_w, proj_b, embedding), inputs (enc
[E,B,I], dec [max(D,1),B,I]), outputs (out [D,B,H], h [B,H], lstm: c [B,H]; greedy:
symbols int32 [D,B]).  variants/peer.c writes the same order."""
import argparse
import mmap
import os
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
import common  # noqa: E402

np = common.np
ALIGN = 64
# After a timed request, untimed: OpenMP (PyTorch, OpenBLAS) and Eigen (TF) threads
# spin for a while after their last task, and in this process that spin would
# take CPU from the next member of the round (measured: docs/peers.md).
SETTLE_S = float(os.environ.get("TS_PEER_SETTLE_MS", "10")) / 1000


def layout(p):
    """[(name, shape, dtype)] in the shared file's order (variants/peer.c)."""
    I, H, rows = p.I, p.H, p.I + p.H
    if p.cell == "gru":
        arrays = [("gates_kernel", (rows, 2 * H)), ("gates_bias", (2 * H,)),
                  ("candidate_kernel", (rows, H)), ("candidate_bias", (H,))]
    else:
        G = common.GATES[p.cell]
        arrays = [("kernel", (rows, G * H)), ("bias", (G * H,))]
    if p.feed == "greedy":
        arrays += [("proj_w", (H, p.V)), ("proj_b", (p.V,)), ("embedding", (p.V, I))]
    arrays += [("enc", (p.E, p.B, I)), ("dec", (max(p.D, 1), p.B, I)),
               ("out", (p.D, p.B, H)), ("h", (p.B, H))]
    if p.cell == "lstm":
        arrays.append(("c", (p.B, H)))
    out = [(n, s, np.float32) for n, s in arrays]
    if p.feed == "greedy":
        out.append(("symbols", (p.D, p.B), np.int32))
    return out


def map_arrays(path, p):
    """Views of the shared file's arrays, by name (the mapping stays open with them)."""
    with open(path, "r+b") as f:
        mm = mmap.mmap(f.fileno(), 0)
    views, off = {}, 0
    for name, shape, dt in layout(p):
        n = int(np.prod(shape)) if shape else 1
        views[name] = np.frombuffer(mm, dt, n, off).reshape(shape)
        off += (n * 4 + ALIGN - 1) // ALIGN * ALIGN
    if off > len(mm):
        raise common.PeerError("shared file %s: %d bytes, layout needs %d" % (path, len(mm), off))
    return views


# ---- TensorFlow ----

class TensorFlow:
    """tf_tied's model (TF's own cells, static_rnn encoder, transcribed
    tied_rnn_seq2seq) as a tf.function, an XLA-compiled tf.function, or a v1
    graph run by a Session."""

    def __init__(self, threads, mode):
        os.environ["TF_USE_LEGACY_KERAS"] = "1"
        os.environ["CUDA_VISIBLE_DEVICES"] = ""
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        import warnings
        warnings.filterwarnings("ignore")
        import tensorflow as tf
        sys.path.insert(0, os.path.join(common.ROOT, "scripts", "golden"))
        import tf_tied
        self.tf, self.tf_tied, self.mode, self.threads = tf, tf_tied, mode, threads
        tf.get_logger().setLevel("ERROR")
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
        tf.config.set_visible_devices([], "GPU")
        onednn = os.environ.get("TF_ENABLE_ONEDNN_OPTS", "default")
        self.label = "tf %s %s oneDNN-opts %s intra=inter=%d" % (
            tf.__version__, {"function": "tf.function", "xla": "tf.function(jit_compile)",
                             "session": "v1 graph+Session"}[mode],
            {"1": "on", "0": "off"}.get(onednn, onednn), threads)

    def build(self, p, v):
        return self._build_session(p, v) if self.mode == "session" else self._build_function(p, v)

    def _build_function(self, p, v):
        tf, tt = self.tf, self.tf_tied
        tp = tt.Problem.parse(str(p))
        cell = tt.make_cell(tf, tp)
        cell.build(tf.TensorShape([None, p.I]))
        _assign(tt, p, cell.variables, v)
        lstm, greedy = p.cell == "lstm", p.feed == "greedy"
        consts = [tf.constant(v[k]) for k in ("proj_w", "proj_b", "embedding")] if greedy else []

        def model(enc, dec):
            record = []
            loop = tt._extract_argmax_and_embed(tf, consts[2], (consts[0], consts[1]), record=record) \
                if greedy else None
            dec_list = tf.unstack(dec, axis=0)[:p.D]
            outs, state = tt.tied_rnn_seq2seq(tf, tf.unstack(enc, axis=0), dec_list, cell, loop_function=loop)
            res = [tf.stack(outs) if outs else tf.zeros([0, p.B, p.H]), state.h if lstm else state]
            if lstm:
                res.append(state.c)
            if greedy:
                res.append(tf.stack([r[1] for r in record]) if record else tf.zeros([0, p.B], tf.int64))
            return res

        fn = tf.function(model, jit_compile=self.mode == "xla")
        fn(v["enc"], v["dec"])  # trace (and compile) once, untimed

        def forward():
            r = fn(v["enc"], v["dec"])  # NumPy inputs, converted each call, as a caller would
            _store(p, v, [t.numpy() for t in r])
        return forward

    def _build_session(self, p, v):
        tf, tt = self.tf, self.tf_tied
        m = tt.build(tf, tt.Problem.parse(str(p)), seed=1)
        for k in ("states_h", "states_c", "logits"):  # not needed: the graph prunes them
            m.fetch.pop(k, None)
        sess = tt.session(tf, m, self.threads)
        with m.graph.as_default(), sess.as_default():  # variables load inside their graph
            m.init(sess)
            m.load_weights(sess, {f: v[f[:-4]] for f in m.weights})  # "kernel.npy" -> v["kernel"]
        names = ["outputs", "state_h"] + (["state_c"] if p.cell == "lstm" else []) + \
            (["symbols"] if p.feed == "greedy" else [])
        fetch = [m.fetch[k] for k in names if k in m.fetch]
        feed = {m.feeds["enc"]: v["enc"]}
        if p.D > 0:
            feed[m.feeds["dec"]] = v["dec"]
        if p.feed == "greedy":
            feed.update({m.feeds["proj_w"]: v["proj_w"], m.feeds["proj_b"]: v["proj_b"],
                         m.feeds["embedding"]: v["embedding"]})
        run = sess.make_callable(fetch, feed_list=list(feed))
        vals = list(feed.values())
        have = [k for k in names if k in m.fetch]

        def forward():
            got = dict(zip(have, run(*vals)))
            res = [got.get("outputs", np.zeros((0, p.B, p.H), np.float32)), got["state_h"]]
            if p.cell == "lstm":
                res.append(got["state_c"])
            if p.feed == "greedy":
                res.append(got.get("symbols", np.zeros((0, p.B), np.int64)))
            _store(p, v, res)
        forward()
        return forward


def _assign(tt, p, variables, v):
    table = tt._WEIGHT_FILES[p.cell]
    done = set()
    for var in variables:
        name = var.name.split(":")[0]
        hit = [f for suffix, f in table.items() if name.endswith("/" + suffix)]
        if len(hit) != 1:
            raise common.PeerError("unexpected TF cell variable %s" % var.name)
        var.assign(v[hit[0][:-4]])
        done.add(hit[0])
    if done != set(table.values()):
        raise common.PeerError("TF cell variables %s" % sorted(done))


# ---- PyTorch ----

class PyTorch:
    """pytorch_rnn's tied module (one nn.RNN / nn.LSTM for encoder and decoder)."""

    def __init__(self, threads, mkldnn):
        import torch
        import pytorch_rnn
        pytorch_rnn.torch = torch
        self.torch, self.pr = torch, pytorch_rnn
        torch.set_num_threads(threads)
        if mkldnn in ("0", "1"):
            torch.backends.mkldnn.enabled = mkldnn == "1"
        self.label = "torch %s blas %s mkldnn %s threads %d" % (
            torch.__version__, pytorch_rnn.blas_in_use(),
            "on" if torch.backends.mkldnn.is_available() and torch.backends.mkldnn.enabled else "off",
            torch.get_num_threads())

    def build(self, p, v):
        torch = self.torch
        if p.cell == "gru":
            raise common.PeerError(self.pr.LBR_REASON)
        m = self.pr.make_module(p, v)
        enc_t, dec_t = torch.from_numpy(v["enc"]), torch.from_numpy(v["dec"])  # views of the shared file
        lstm, greedy = p.cell == "lstm", p.feed == "greedy"
        zeros = torch.zeros(1, p.B, p.H)
        s0 = (zeros, zeros.clone()) if lstm else zeros
        if greedy:
            pw, pb, emb = (torch.from_numpy(v[k]) for k in ("proj_w", "proj_b", "embedding"))

        def decode_greedy(s):
            outs, syms, x = [], [], dec_t[0:1]
            for i in range(p.D):
                if i > 0:
                    k = torch.argmax(outs[-1][0] @ pw + pb, dim=1)
                    syms.append(k)
                    x = emb[k].unsqueeze(0)
                o, s = m(x, s)
                outs.append(o)
            return torch.cat(outs), s, syms

        def forward():
            with torch.inference_mode():
                _, s = m(enc_t, s0)
                syms = []
                if p.D == 0:
                    out = zeros[:0]
                elif greedy:
                    out, s, syms = decode_greedy(s)
                else:
                    out, s = m(dec_t[:p.D], s)
                res = [out.numpy(), (s[0] if lstm else s)[0].numpy()]
                if lstm:
                    res.append(s[1][0].numpy())
                if greedy:
                    res.append(torch.stack(syms).numpy() if syms else np.zeros((0, p.B), np.int64))
            _store(p, v, res)
        return forward


def _store(p, v, res):
    """Outputs into the shared file: out, h, (c), (symbols, row 0 = -1: the GO input)."""
    np.copyto(v["out"], res[0])
    np.copyto(v["h"], res[1])
    k = 2
    if p.cell == "lstm":
        np.copyto(v["c"], res[2])
        k = 3
    if p.feed == "greedy" and p.D > 0:
        v["symbols"][0] = -1
        v["symbols"][1:] = res[k]


# ---- the command loop ----

def serve(lib, cin, cout):
    forward = None

    def reply(s):
        cout.write(s + "\n")
        cout.flush()
    reply("ready " + lib.label)
    for line in cin:
        cmd = line.split()
        if not cmd:
            continue
        try:
            if cmd[0] == "ping":
                reply("ok")
            elif cmd[0] == "load":
                forward = None
                p = common.parse_problem(cmd[2])
                views = map_arrays(cmd[1], p)
                if os.environ.get("TS_PEER_PERTURB"):  # tests: the harness's check must fail
                    views = dict(views, **common.perturbed({k: views[k] for k in ("bias", "gates_bias")
                                                            if k in views}))
                forward = lib.build(p, views)
                reply("ok")
            elif cmd[0] == "run":
                if forward is None:
                    raise common.PeerError("run before a successful load")
                n = int(cmd[1])
                t0 = time.perf_counter()
                for _ in range(n):
                    forward()
                t = time.perf_counter() - t0
                time.sleep(SETTLE_S)  # our threads stop spinning before the next member runs
                reply("ok %.17g" % t)
            elif cmd[0] == "drop":  # the plan is released: let go of its shared file
                forward = None
                reply("ok")
            elif cmd[0] == "quit":
                break
            else:
                raise common.PeerError("unknown command %s" % cmd[0])
        except Exception as e:  # one line back to tiedseq, the worker stays up
            if os.environ.get("TS_PEER_DEBUG"):
                import traceback
                traceback.print_exc()
            reply("err %s: %s" % (type(e).__name__, " ".join(str(e).split())[:400]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--peer", choices=("tensorflow", "pytorch"), required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--tf-mode", choices=("function", "xla", "session"), default="function")
    ap.add_argument("--mkldnn", choices=("0", "1", "default"), default="default")
    args = ap.parse_args()
    try:
        cin, cout = os.fdopen(3, "r"), os.fdopen(4, "w")
    except OSError:
        print("worker.py: started by tiedseq (fd 3 and 4 are its pipes)", file=sys.stderr)
        return 2
    try:
        lib = TensorFlow(args.threads, args.tf_mode) if args.peer == "tensorflow" else \
            PyTorch(args.threads, args.mkldnn)
    except Exception as e:  # a missing package is a reason, not a crash
        cout.write("unavailable cannot import %s with %s (%s: %s)\n" % (
            args.peer, sys.executable, type(e).__name__, " ".join(str(e).split())[:300]))
        cout.flush()
        return 0
    try:
        serve(lib, cin, cout)
    except (BrokenPipeError, ConnectionResetError):  # tiedseq went away: so do we
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
