#!/usr/bin/env bash
# Time TensorFlow and PyTorch beside tiedseq: append peer rows (variants
# `tensorflow`, `pytorch`) to a run's points.csv.  Each peer checks itself against
# tiedseq's reference oracle before it is timed (docs/peers.md).  These rows are
# timed apart from tiedseq's and carry no interval: for comparable figures, time the
# peers in tiedseq's own rounds (tiedseq bench|sweep ... --peers tensorflow,pytorch).
#
# usage: run_peers.sh RESULTS_DIR [--peers tensorflow,pytorch] [--no-install]
#                     [--problem D]... [--set NAME] [--match REGEX] [--reps N] [--min-time S]
#                     [--tiedseq PATH]
# Without --problem/--set: the distinct problems already in RESULTS_DIR/points.csv.
# Resumable: problems a peer already has a row for are skipped.
# A peer whose package cannot be installed or imported is skipped with one line
# ("skipped: ..."), exit 0.  Exit 1 when a peer failed its check or errored, 2 on bad usage.
# Environment: TS_TF_PYTHON (default build/venv-tf/bin/python, made by
# scripts/golden/setup_venv.sh), TS_TORCH_PYTHON (default /usr/bin/python3, Debian's
# python3-torch), TIEDSEQ (default build/tiedseq).
set -u -o pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
here="$root/scripts/peers"

usage() { sed -n '8,17p' "$0" | sed 's/^# \{0,1\}//'; }
[ $# -ge 1 ] || { usage >&2; exit 2; }
case "$1" in -h|--help) usage; exit 0 ;; -*) echo "run_peers.sh: first argument must be RESULTS_DIR" >&2; exit 2 ;; esac
run=$1; shift
[ -d "$run" ] || { echo "run_peers.sh: $run: not a folder" >&2; exit 2; }
peers=tensorflow,pytorch install=1 pass=()
while [ $# -gt 0 ]; do
  case "$1" in
    --peers) [ $# -ge 2 ] || { echo "run_peers.sh: --peers needs a value" >&2; exit 2; }; peers=$2; shift 2 ;;
    --peers=*) peers=${1#--peers=}; shift ;;
    --no-install) install=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) pass+=("$1"); shift ;;
  esac
done

tf_py=${TS_TF_PYTHON:-${TS_VENV_TF:-$root/build/venv-tf}/bin/python}
torch_py=${TS_TORCH_PYTHON:-/usr/bin/python3}

# Make the peer's package importable if we may; say why not otherwise (stdout, one line).
tf_import() {
  [ -x "$tf_py" ] && TF_USE_LEGACY_KERAS=1 TF_CPP_MIN_LOG_LEVEL=3 CUDA_VISIBLE_DEVICES= \
    "$tf_py" -c 'import tensorflow, tf_keras' >/dev/null 2>&1
}

ensure_tensorflow() {
  tf_import && return 0
  if [ $install = 1 ] && [ -z "${TS_TF_PYTHON:-}" ] && [ -f "$root/scripts/golden/setup_venv.sh" ]; then
    echo "tensorflow: scripts/golden/setup_venv.sh (pinned requirements; a few minutes)" >&2
    bash "$root/scripts/golden/setup_venv.sh" >&2 && tf_import && return 0
  fi
  echo "skipped: tensorflow: no TensorFlow + tf_keras at $tf_py (run scripts/golden/setup_venv.sh, or set TS_TF_PYTHON)"
  return 1
}

# Debian's PyTorch calls the system BLAS (update-alternatives libblas.so.3): without
# OpenBLAS that is the netlib reference BLAS, an order of magnitude slower; the OpenMP
# build shares libgomp with PyTorch (no oversubscription).
torch_pkgs="python3-torch libopenblas0-openmp"
ensure_pytorch() {
  if [ $install = 1 ] && [ "$(id -u)" = 0 ] && [ "$torch_py" = /usr/bin/python3 ] && command -v apt-get >/dev/null \
     && ! dpkg -s $torch_pkgs >/dev/null 2>&1; then
    echo "pytorch: apt-get install -y $torch_pkgs" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y $torch_pkgs >&2 || true
  fi
  "$torch_py" -c 'import torch' >/dev/null 2>&1 && return 0
  echo "skipped: pytorch: cannot import torch with $torch_py (apt-get install $torch_pkgs, or set TS_TORCH_PYTHON)"
  return 1
}

IFS=, read -r -a list <<< "$peers"
[ ${#list[@]} -gt 0 ] || { echo "run_peers.sh: --peers is empty" >&2; exit 2; }
for peer in "${list[@]}"; do
  case "$peer" in tensorflow|pytorch) ;; *) echo "run_peers.sh: unknown peer '$peer' (tensorflow, pytorch)" >&2; exit 2 ;; esac
done
rc=0
for peer in "${list[@]}"; do
  case "$peer" in
    tensorflow) ensure_tensorflow || continue
                "$tf_py" "$here/tensorflow_tied.py" "$run" "${pass[@]}"; r=$? ;;
    pytorch)    ensure_pytorch || continue
                "$torch_py" "$here/pytorch_rnn.py" "$run" "${pass[@]}"; r=$? ;;
  esac
  [ $r -eq 2 ] && exit 2
  [ $r -ne 0 ] && rc=1
done
exit $rc
