#!/usr/bin/env bash
# Creates (or checks) the TensorFlow virtual environment for the golden vectors at
# build/venv-tf from scripts/golden/requirements.txt.  Idempotent: a venv whose stamp
# matches the requirements file is left as it is (a second run takes a second).
# Needs Python 3.11 (python3.11, or $PYTHON) and PyPI; about 1 GB on disk.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
req="$root/scripts/golden/requirements.txt"
venv="${TS_VENV_TF:-$root/build/venv-tf}"
py="${PYTHON:-$(command -v python3.11 || command -v python3)}"
stamp="$venv/.tiedseq-requirements.sha256"
want=$(sha256sum "$req" | cut -d' ' -f1)

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$venv/bin/python" ]; then
  exit 0
fi
ver=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
if [ "$ver" != "3.11" ]; then
  echo "setup_venv.sh: $py is Python $ver; the lock in requirements.txt was resolved for 3.11" \
       "(set PYTHON=/path/to/python3.11)" >&2
  exit 1
fi
echo "setup_venv.sh: creating $venv (TensorFlow CPU, a few minutes)" >&2
rm -rf "$venv"
"$py" -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip==23.2.1 >/dev/null
# --no-deps: the file is a complete lock (see its header for why)
"$venv/bin/python" -m pip install -q --no-deps -r "$req"
# import check: the legacy cells must come from tf_keras, on CPU
TF_USE_LEGACY_KERAS=1 CUDA_VISIBLE_DEVICES= TF_CPP_MIN_LOG_LEVEL=3 "$venv/bin/python" -c \
  'import tensorflow as tf; tf.compat.v1.nn.rnn_cell.BasicLSTMCell(2); print("TensorFlow", tf.__version__)' \
  2>/dev/null
echo "$want" > "$stamp"
