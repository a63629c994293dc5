#!/usr/bin/env python3
"""TensorFlow (CPU) as a peer of tiedseq: the golden-vector model
(scripts/golden/tf_tied.py: TF's own BasicRNNCell/GRUCell/BasicLSTMCell, static_rnn
encoder, transcribed legacy_seq2seq tied_rnn_seq2seq and argmax-embed loop) wrapped
in one tf.function (graph mode), checked against tiedseq's reference oracle on a
small problem, then timed the way the harness times; rows are appended to
RUN_DIR/points.csv (variant `tensorflow`).

TensorFlow runs as a user would run it: CPU only, intra- and inter-op threads =
the problem's thread count, TF's default kernels (oneDNN opts as TF ships them,
no op determinism: unlike the golden vectors, nothing here needs bit-for-bit
regeneration).  TF fixes its thread pools at start-up, so problems with another
thread count run in a child process each.

Run it with the venv's interpreter (build/venv-tf/bin/python, made by
scripts/golden/setup_venv.sh); scripts/peers/run_peers.sh is the usual entry point."""
import os
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
import common  # noqa: E402

sys.path.insert(0, os.path.join(common.ROOT, "scripts", "golden"))

tf = tf_tied = None  # imported in main(), so that --help works without TensorFlow


def import_tf(threads):
    """TF with the environment a CPU user gets, threads fixed before first use."""
    global tf, tf_tied
    os.environ["TF_USE_LEGACY_KERAS"] = "1"  # the v1 cells are served by tf_keras
    os.environ["CUDA_VISIBLE_DEVICES"] = ""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ["OMP_NUM_THREADS"] = str(threads)
    import warnings
    warnings.filterwarnings("ignore")
    import tensorflow
    import tf_tied as golden
    tf, tf_tied = tensorflow, golden
    tf.get_logger().setLevel("ERROR")
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    tf.config.set_visible_devices([], "GPU")


def _assign_weights(p, cell, w):
    """Load the contract's weight arrays into the cell's variables (tf_tied's naming)."""
    table = tf_tied._WEIGHT_FILES[p.cell]
    done = set()
    for var in cell.variables:
        name = var.name.split(":")[0]
        hit = [f for suffix, f in table.items() if name.endswith("/" + suffix)]
        if len(hit) != 1:
            raise common.PeerError("unexpected TF cell variable %s" % var.name)
        var.assign(w[hit[0][:-4]])
        done.add(hit[0])
    if done != set(table.values()):
        raise common.PeerError("TF cell variables %s, expected %s" % (sorted(done), sorted(table.values())))


def build(p, w, enc, dec):
    """A callable running one whole forward pass of p through a tf.function."""
    tp = tf_tied.Problem.parse(str(p))
    cell = tf_tied.make_cell(tf, tp)
    # Create the variables now, eagerly: a second model traced in the same process
    # would otherwise trip over the first one's v1 variable-scope names.
    cell.build(tf.TensorShape([None, p.I]))
    lstm, greedy = p.cell == "lstm", p.feed == "greedy"

    @tf.function
    def forward_graph(enc, dec, proj_w, proj_b, embedding):
        loop = (tf_tied._extract_argmax_and_embed(tf, embedding, (proj_w, proj_b)) if greedy else None)
        dec_list = tf.unstack(dec, axis=0) if p.D > 0 else []
        outputs, state = tf_tied.tied_rnn_seq2seq(tf, tf.unstack(enc, axis=0), dec_list, cell,
                                                  loop_function=loop)
        out = tf.stack(outputs) if outputs else tf.zeros([0, p.B, p.H])
        return (out, state.h, state.c) if lstm else (out, state)

    f32 = lambda a: tf.constant(common.np.ascontiguousarray(a, dtype=common.np.float32))  # noqa: E731
    args = (f32(enc), f32(dec if p.D > 0 else common.np.zeros((1, p.B, p.I))),
            f32(w.get("proj_w", common.np.zeros((1, 1)))), f32(w.get("proj_b", common.np.zeros(1))),
            f32(w.get("embedding", common.np.zeros((1, 1)))))
    _assign_weights(p, cell, w)
    forward_graph(*args)  # trace once, untimed

    def forward():
        r = forward_graph(*args)
        res = {"outputs": r[0].numpy(), "state_h": r[1].numpy()}
        if lstm:
            res["state_c"] = r[2].numpy()
        return res
    return forward


def info(p):
    return "tf %s graph" % tf.__version__, p.cell, None


def child_args(args, problems):
    """The command line that runs `problems` (one thread count) in a fresh process."""
    cmd = [sys.executable, os.path.abspath(__file__), args.run_dir, "--tiedseq", args.tiedseq,
           "--reps", str(args.reps), "--min-time", repr(args.min_time), "--seed", str(args.seed)]
    cmd += ["--problem", ",".join(str(p) for p in problems)]
    return cmd + (["--perturb"] if args.perturb else [])


def main():
    args = common.cli("tensorflow", __doc__.split("\n\n")[0]).parse_args()
    problems = common.pending("tensorflow", args, common.problems_from_args(args))
    if not problems:
        return 0
    threads = sorted({p.threads for p in problems})
    if len(threads) > 1:  # TF's thread pools are fixed per process
        rc = 0
        for t in threads:
            r = subprocess.run(child_args(args, [p for p in problems if p.threads == t])).returncode
            if r == 2 or r > rc:
                rc = r
            if r == 2:
                break
        return rc
    try:
        import_tf(threads[0])
    except ImportError as e:
        print("skipped: tensorflow: cannot import tensorflow/tf_keras/tf_tied with %s (%s; "
              "scripts/golden/setup_venv.sh)" % (sys.executable, e))
        return 0
    return 1 if common.run_peer("tensorflow", args, problems, build, info) else 0


if __name__ == "__main__":
    common.main_guard(main)
