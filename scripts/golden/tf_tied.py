"""TensorFlow's tied_rnn_seq2seq, built from TensorFlow's own cells.

The model half of the golden-vector generator (make_golden.py writes the files),
kept importable so that other scripts (e.g. timing TensorFlow itself) build the
exact same graph:

    import tf_tied
    tf = tf_tied.import_tf(threads=1)
    prob = tf_tied.Problem.parse("lstm:b5:i7:h37:e3:d4:teacher:t1")
    model = tf_tied.build(tf, prob, seed=1)
    sess = tf_tied.session(tf, model, threads=1)
    res = model.run(sess, enc, dec)           # dict of numpy arrays

The cells are tf.compat.v1.nn.rnn_cell.{BasicRNNCell,GRUCell,BasicLSTMCell}, or LSTMCell
when the problem asks for peepholes, cell_clip, num_proj or proj_clip, stacked by
MultiRNNCell (lL) with ResidualWrapper on layers K..L (resK) (served by
tf_keras, hence TF_USE_LEGACY_KERAS=1), the encoder is tf.compat.v1.nn.static_rnn, and
the decoder is a line-by-line transcription of TF 1.x's
contrib/legacy_seq2seq rnn_decoder, tied_rnn_seq2seq and _extract_argmax_and_embed
(tf.contrib no longer exists).  The transcription only adds bookkeeping that does not
touch the math: it keeps the state after every decoder step and the greedy logits and
symbols.  Graph mode (tf.compat.v1 Session), CPU only.
"""

import dataclasses
import os
import re

import numpy as np

CELLS = ("rnn", "gru", "lstm")


def configure_env(threads=1):
    """Environment TensorFlow reads at import: must run before `import tensorflow`."""
    os.environ["TF_USE_LEGACY_KERAS"] = "1"  # the v1 cells need Keras 2 (tf_keras)
    os.environ["CUDA_VISIBLE_DEVICES"] = ""  # CPU only: a GPU would use TF32 matmuls
    os.environ["TF_DETERMINISTIC_OPS"] = "1"
    # TF's oneDNN graph rewrites pick kernels by the CPU's ISA at run time, so the
    # rounding would depend on the machine; the Eigen kernels are fixed by the wheel.
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ["OMP_NUM_THREADS"] = str(threads)


def import_tf(threads=1):
    """Configure the environment, import TensorFlow quietly, return the module."""
    configure_env(threads)
    import warnings

    warnings.filterwarnings("ignore", category=UserWarning)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")
    tf.config.experimental.enable_op_determinism()
    return tf


@dataclasses.dataclass
class Problem:
    """One tiedseq problem; descriptor syntax as kernels/problem.c."""

    cell: str
    B: int
    I: int
    H: int
    E: int
    D: int
    feed: str = "teacher"
    V: int = 0
    forget_bias: float = 1.0
    threads: int = 1
    layers: int = 1
    res_from: int = 0
    peep: bool = False
    cell_clip: float = None
    P: int = 0
    proj_clip: float = None

    _FIELD = re.compile(r"^(b|i|h|e|d|v|t|l|res|proj)(\d+)$")

    @classmethod
    def parse(cls, desc):
        """Parse 'lstm:b5:i7:h37:e3:d4:greedy:v11:t1:fb0:l3:res2:peep:clip0.5:proj4:pclip0.25'
        (strict, like ts_problem_parse)."""
        toks = desc.split(":")
        if toks[0] not in CELLS:
            raise ValueError(f"{desc}: cell must be one of {CELLS}")
        kw = {"cell": toks[0]}
        names = {"b": "B", "i": "I", "h": "H", "e": "E", "d": "D", "v": "V", "t": "threads", "l": "layers",
                 "res": "res_from", "proj": "P"}
        for tok in toks[1:]:
            m = cls._FIELD.match(tok)
            if m:
                key, val = names[m.group(1)], int(m.group(2))
            elif tok in ("teacher", "greedy"):
                key, val = "feed", tok
            elif tok == "peep":
                key, val = "peep", True
            elif _DECIMAL_FIELD.match(tok):
                name, num = _DECIMAL_FIELD.match(tok).groups()
                key = {"fb": "forget_bias", "clip": "cell_clip", "pclip": "proj_clip"}[name]
                if not _FB.fullmatch(num) or abs(float(num)) > 1e6:
                    raise ValueError(f"{desc}: {tok}: a plain decimal, |x| <= 1e6, <= 9 decimals")
                val = float(num)
            else:
                raise ValueError(f"{desc}: unknown field '{tok}'")
            if key in kw:
                raise ValueError(f"{desc}: field '{tok}' given twice")
            kw[key] = val
        missing = [k for k in ("B", "I", "H", "E", "D") if k not in kw]
        if missing:
            raise ValueError(f"{desc}: missing {missing}")
        p = cls(**kw)
        p.check()
        return p

    def check(self):
        if min(self.B, self.I, self.H, self.E) < 1 or self.D < 0:
            raise ValueError(f"{self.descriptor()}: need B, I, H, E >= 1 and D >= 0")
        if (self.feed == "greedy") != (self.V > 0):
            raise ValueError(f"{self.descriptor()}: vN is required with greedy and refused with teacher")
        if self.cell != "lstm" and (self.forget_bias != 1.0 or self.lstm_cell):
            raise ValueError(f"{self.descriptor()}: fb, peep, clip, proj, pclip apply to lstm only")
        if not 1 <= self.layers <= 16 or not 0 <= self.res_from <= self.layers:
            raise ValueError(f"{self.descriptor()}: need 1 <= l <= 16 and 1 <= res <= l")
        if self.proj_clip is not None and not self.P:
            raise ValueError(f"{self.descriptor()}: pclip needs proj")
        if any(c is not None and c <= 0 for c in (self.cell_clip, self.proj_clip)):
            raise ValueError(f"{self.descriptor()}: clips must be > 0")
        if self.res_from == 1 and self.I != self.Hout:
            raise ValueError(f"{self.descriptor()}: res1 needs I = output width")

    def descriptor(self):
        """Canonical form, byte-identical to ts_problem_format()."""
        s = f"{self.cell}:b{self.B}:i{self.I}:h{self.H}:e{self.E}:d{self.D}:{self.feed}"
        if self.feed == "greedy":
            s += f":v{self.V}"
        s += f":t{self.threads}"
        if self.cell == "lstm" and self.forget_bias != 1.0:
            s += ":fb" + _format_g(self.forget_bias)
        s += f":l{self.layers}" if self.layers != 1 else ""
        s += f":res{self.res_from}" if self.res_from else ""
        s += ":peep" if self.peep else ""
        s += ":clip" + _format_g(self.cell_clip) if self.cell_clip is not None else ""
        s += f":proj{self.P}" if self.P else ""
        s += ":pclip" + _format_g(self.proj_clip) if self.proj_clip is not None else ""
        return s

    @property
    def lstm_cell(self):
        """TF's full LSTMCell is needed (else BasicLSTMCell, bitwise the same math)."""
        return self.peep or self.cell_clip is not None or self.P > 0 or self.proj_clip is not None

    @property
    def Hout(self):
        """Every layer's output width: num_proj when projecting, else H."""
        return self.P or self.H

    def layer_input(self, k):
        return self.I if k == 0 else self.Hout

    @property
    def greedy(self):
        return self.feed == "greedy"


def _format_g(x):
    """The forget_bias field as ts_problem_format prints it: the shortest fixed-point
    text, 0..9 decimals, that parses back to the same float32."""
    f = np.float32(x)
    for prec in range(10):
        s = "%.*f" % (prec, f)
        if np.float32(float(s)) == f:
            return s
    raise ValueError(f"forget_bias {x} has no descriptor form (at most 9 decimals)")


_FB = re.compile(r"-?[0-9]+(\.[0-9]{1,9})?", re.ASCII)
_DECIMAL_FIELD = re.compile(r"^(fb|clip|pclip)(.*)$")


# ---- TF 1.x contrib/legacy_seq2seq, transcribed (bookkeeping marked "tiedseq:") ----


def _extract_argmax_and_embed(tf, embedding, output_projection=None, update_embedding=True, record=None):
    """Get a loop_function that extracts the previous symbol and embeds it."""

    def loop_function(prev, _):
        if output_projection is not None:
            prev = tf.compat.v1.nn.xw_plus_b(prev, output_projection[0], output_projection[1])
        prev_symbol = tf.math.argmax(prev, 1)
        # Note that gradients will not propagate through the second parameter of
        # embedding_lookup.
        emb_prev = tf.compat.v1.nn.embedding_lookup(embedding, prev_symbol)
        if not update_embedding:
            emb_prev = tf.stop_gradient(emb_prev)
        if record is not None:  # tiedseq: keep the logits and the chosen symbol
            record.append((prev, prev_symbol))
        return emb_prev

    return loop_function


def rnn_decoder(tf, decoder_inputs, initial_state, cell, loop_function=None, scope=None, states=None):
    """RNN decoder for the sequence-to-sequence model."""
    with tf.compat.v1.variable_scope(scope or "rnn_decoder"):
        state = initial_state
        outputs = []
        prev = None
        for i, inp in enumerate(decoder_inputs):
            if loop_function is not None and prev is not None:
                with tf.compat.v1.variable_scope("loop_function", reuse=True):
                    inp = loop_function(prev, i)
            if i > 0:
                tf.compat.v1.get_variable_scope().reuse_variables()
            output, state = cell(inp, state)
            outputs.append(output)
            if states is not None:  # tiedseq: the state after every step
                states.append(state)
            if loop_function is not None:
                prev = output
    return outputs, state


def tied_rnn_seq2seq(tf, encoder_inputs, decoder_inputs, cell, loop_function=None, dtype=None, scope=None,
                     states=None):
    """RNN sequence-to-sequence model with tied encoder and decoder parameters."""
    with tf.compat.v1.variable_scope("combined_tied_rnn_seq2seq"):
        scope = scope or "tied_rnn_seq2seq"
        _, enc_state = tf.compat.v1.nn.static_rnn(cell, encoder_inputs, dtype=dtype or tf.float32, scope=scope)
        tf.compat.v1.get_variable_scope().reuse_variables()
        return rnn_decoder(tf, decoder_inputs, enc_state, cell, loop_function=loop_function, scope=scope,
                           states=states)


# ---- the model: graph, weights, one run ----


def make_layer(tf, prob):
    """One layer's cell: TF's own, default initializers (they set the weights)."""
    cells = tf.compat.v1.nn.rnn_cell
    if prob.cell == "rnn":
        return cells.BasicRNNCell(prob.H)
    if prob.cell == "gru":
        return cells.GRUCell(prob.H)
    if prob.lstm_cell:
        return cells.LSTMCell(prob.H, use_peepholes=prob.peep, cell_clip=prob.cell_clip,
                              num_proj=prob.P or None, proj_clip=prob.proj_clip,
                              forget_bias=prob.forget_bias, state_is_tuple=True)
    return cells.BasicLSTMCell(prob.H, forget_bias=prob.forget_bias, state_is_tuple=True)


def make_cell(tf, prob):
    """The model's cell: one layer, or MultiRNNCell of L layers; ResidualWrapper on
    layers res_from..L (1-based)."""
    cells = tf.compat.v1.nn.rnn_cell
    layers = []
    for k in range(prob.layers):
        c = make_layer(tf, prob)
        if prob.res_from and k + 1 >= prob.res_from:
            c = cells.ResidualWrapper(c)
        layers.append(c)
    if prob.layers == 1:
        return layers[0]
    return cells.MultiRNNCell(layers, state_is_tuple=True)


# weight variable name suffix -> .npy file name of the contract (harness/files/io.c)
_WEIGHT_FILES = {
    "rnn": {"kernel": "kernel.npy", "bias": "bias.npy"},
    "lstm": {"kernel": "kernel.npy", "bias": "bias.npy"},
    "gru": {"gates/kernel": "gates_kernel.npy", "gates/bias": "gates_bias.npy",
            "candidate/kernel": "candidate_kernel.npy", "candidate/bias": "candidate_bias.npy"},
}
# LSTMCell's extras (the longest matching suffix wins: projection/kernel over kernel)
_LSTM_EXTRA_FILES = {"w_i_diag": "w_i_diag.npy", "w_f_diag": "w_f_diag.npy", "w_o_diag": "w_o_diag.npy",
                     "projection/kernel": "projection_kernel.npy"}


def weight_files(prob):
    """{variable suffix: file} of one layer."""
    table = dict(_WEIGHT_FILES[prob.cell])
    if prob.cell == "lstm":
        if prob.peep:
            table.update({k: v for k, v in _LSTM_EXTRA_FILES.items() if "diag" in k})
        if prob.P:
            table["projection/kernel"] = _LSTM_EXTRA_FILES["projection/kernel"]
    return table


def weight_file(prob, var_name):
    """The contract's file of a cell variable: 'cell_K/' (MultiRNNCell's scope) + name."""
    table = weight_files(prob)
    hits = sorted((s for s in table if var_name.endswith("/" + s)), key=len, reverse=True)
    if not hits:
        raise RuntimeError(f"unexpected cell variable {var_name}")
    f = table[hits[0]]
    if prob.layers > 1:
        m = re.search(r"/cell_(\d+)/", var_name)
        if not m:
            raise RuntimeError(f"cell variable {var_name} has no MultiRNNCell cell_K scope")
        f = f"cell_{m.group(1)}/{f}"
    return f


class TiedModel:
    """The built graph: placeholders, fetches and the cell's variables."""

    def __init__(self, tf, prob, graph):
        self.tf, self.prob, self.graph = tf, prob, graph
        self.weights = {}  # contract file name -> tf.Variable
        self.feeds = {}  # name -> placeholder (enc, dec, proj_w, proj_b, embedding)
        self.fetch = {}  # name -> tensor (outputs, state_h, state_c, states_h, states_c, logits, symbols)

    def _bind_weights(self):
        # the graph's variables, not cell.variables: MultiRNNCell does not track the
        # variables of cells inside a ResidualWrapper; the cell owns every variable
        p = self.prob
        for var in self.tf.compat.v1.global_variables():
            f = weight_file(p, var.name.split(":")[0])
            if f in self.weights:
                raise RuntimeError(f"two cell variables map to {f}")
            self.weights[f] = var
        files = list(weight_files(p).values())
        want = files if p.layers == 1 else [f"cell_{k}/{f}" for k in range(p.layers) for f in files]
        if sorted(self.weights) != sorted(want):
            raise RuntimeError(f"cell variables {sorted(self.weights)} do not match {sorted(want)}")

    def init(self, sess):
        sess.run(self.init_op)

    def read_weights(self, sess):
        """The cell's weights as TF holds them: {file name: float32 array}."""
        return {f: np.asarray(sess.run(v), dtype=np.float32) for f, v in sorted(self.weights.items())}

    def load_weights(self, sess, values):
        """Assign weights ({file name: array}) into the cell's variables."""
        for f, v in values.items():
            self.weights[f].load(np.asarray(v, dtype=np.float32), sess)

    def run(self, sess, enc, dec, proj_w=None, proj_b=None, embedding=None):
        """One forward pass; returns float32/int32 numpy arrays in the contract's shapes.

        outputs [D,B,Hout], state_h [B,Hout], (lstm) state_c [B,H], states_h [D,B,Hout],
        (lstm) states_c [D,B,H], the states with a layer axis when L > 1 ([L,B,.],
        [D,L,B,.]); greedy adds logits [D-1,B,V] (TF's, for the margins) and
        symbols int32 [D,B] with row 0 = -1 (the GO input was given, not chosen)."""
        p = self.prob
        feed = {self.feeds["enc"]: enc}
        if p.D > 0:
            feed[self.feeds["dec"]] = dec
        if p.greedy:
            feed.update({self.feeds["proj_w"]: proj_w, self.feeds["proj_b"]: proj_b,
                         self.feeds["embedding"]: embedding})
        got = sess.run(self.fetch, feed_dict=feed)
        res = {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in got.items() if k != "symbols"}
        lay = (p.layers,) if p.layers > 1 else ()
        res.setdefault("outputs", np.zeros((0, p.B, p.Hout), np.float32))
        res.setdefault("states_h", np.zeros((0,) + lay + (p.B, p.Hout), np.float32))
        if p.cell == "lstm":
            res.setdefault("states_c", np.zeros((0,) + lay + (p.B, p.H), np.float32))
        if p.greedy:
            res.setdefault("logits", np.zeros((0, p.B, p.V), np.float32))
            sym = np.full((p.D, p.B), -1, np.int32)
            if "symbols" in got:
                sym[1:] = np.asarray(got["symbols"]).astype(np.int32)
            res["symbols"] = sym
        return res


def _state_part(tf, prob, state, part):
    """h (LSTM: m) or c of a state; MultiRNNCell's tuple of layers stacks to [L,B,.]."""
    def one(s):
        if prob.cell != "lstm":
            return s
        return s.h if part == "h" else s.c
    return tf.stack([one(s) for s in state]) if prob.layers > 1 else one(state)


def build(tf, prob, seed):
    """Build the tied seq2seq graph of `prob`; `seed` seeds the cells' initializers
    (Python, NumPy-global and TF graph seeds; see below).  Greedy mode feeds the projection and embedding as placeholders."""
    graph = tf.Graph()
    m = TiedModel(tf, prob, graph)
    with graph.as_default():
        # Keras draws an unseeded initializer's seed from Python's `random` (and some
        # paths from NumPy's global RNG); this utility seeds both and TF's graph seed,
        # so the cells' own initializers give the same weights in every process.
        tf.keras.utils.set_random_seed(seed)
        tf.compat.v1.set_random_seed(seed)
        f32 = tf.float32
        enc = tf.compat.v1.placeholder(f32, [prob.E, prob.B, prob.I], name="encoder_inputs")
        m.feeds["enc"] = enc
        dec_list = []
        if prob.D > 0:
            dec = tf.compat.v1.placeholder(f32, [prob.D, prob.B, prob.I], name="decoder_inputs")
            m.feeds["dec"] = dec
            dec_list = tf.unstack(dec, axis=0)
        loop, record = None, []
        if prob.greedy:
            pw = tf.compat.v1.placeholder(f32, [prob.Hout, prob.V], name="proj_w")
            pb = tf.compat.v1.placeholder(f32, [prob.V], name="proj_b")
            emb = tf.compat.v1.placeholder(f32, [prob.V, prob.I], name="embedding")
            m.feeds.update(proj_w=pw, proj_b=pb, embedding=emb)
            loop = _extract_argmax_and_embed(tf, emb, (pw, pb), record=record)
        cell = make_cell(tf, prob)
        states = []
        outputs, state = tied_rnn_seq2seq(tf, tf.unstack(enc, axis=0), dec_list, cell, loop_function=loop,
                                          states=states)
        m._bind_weights()
        lstm = prob.cell == "lstm"
        m.fetch["state_h"] = _state_part(tf, prob, state, "h")
        if lstm:
            m.fetch["state_c"] = _state_part(tf, prob, state, "c")
        if outputs:
            m.fetch["outputs"] = tf.stack(outputs)
            m.fetch["states_h"] = tf.stack([_state_part(tf, prob, s, "h") for s in states])
            if lstm:
                m.fetch["states_c"] = tf.stack([_state_part(tf, prob, s, "c") for s in states])
        if record:
            m.fetch["logits"] = tf.stack([r[0] for r in record])
            m.fetch["symbols"] = tf.stack([r[1] for r in record])
        m.init_op = tf.compat.v1.global_variables_initializer()
    return m


def session(tf, model, threads=1):
    """A CPU session on the model's graph with `threads` intra- and inter-op threads."""
    cfg = tf.compat.v1.ConfigProto(intra_op_parallelism_threads=threads, inter_op_parallelism_threads=threads,
                                   device_count={"GPU": 0})
    return tf.compat.v1.Session(graph=model.graph, config=cfg)
