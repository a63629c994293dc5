#!/usr/bin/env bash
# Every bad input of issue #2 item 6: a one-line error naming what is wrong,
# a non-zero exit, and no partial output files.
set -u
TS=${1:?usage: test_cli_errors.sh path/to/tiedseq}
work=$(mktemp -d)
trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT
pass=0 fail=0
# the Debian interpreter has python3-numpy (scripts/deps.sh); a pyenv one may not
PY=${TS_PYTHON:-$(command -v /usr/bin/python3 || command -v python3)}

# expect_error NEEDLE CMD...: non-zero exit, exactly one stderr line containing NEEDLE
expect_error() {
  local needle=$1; shift
  local err rc
  err=$("$@" 2>&1 >/dev/null); rc=$?
  local lines; lines=$(printf '%s' "$err" | grep -c '')
  if [ $rc -ne 0 ] && [ "$lines" -eq 1 ] && [[ "$err" == *"$needle"* ]]; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1)); echo "FAIL: $* -> rc=$rc, want '$needle', got: $err"
  fi
}

P=lstm:b2:i3:h5:e2:d3:teacher
"$TS" gen --problem $P --out "$work/good" || { echo "gen failed"; exit 1; }
W="$work/good"

# descriptors and names
expect_error "'cell'" "$TS" verify --problem cnn:b1:i1:h1:e1:d1
expect_error "unknown variant 'nope'" "$TS" verify --variants nope --problem $P
expect_error "unknown variant 'nope'" "$TS" run --problem $P --variant nope --weights $W --inputs $W --out "$work/o"
expect_error "'b': 0 is out of range" "$TS" verify --problem rnn:b0:i1:h1:e1:d1
expect_error "'h': '-3' is not" "$TS" verify --problem rnn:b1:i1:h-3:e1:d1
expect_error "'i': 'x' is not" "$TS" verify --problem rnn:b1:ix:h1:e1:d1
expect_error "'e': 0 is out of range" "$TS" verify --problem rnn:b1:i1:h1:e0:d1
expect_error "inputs must not be empty" "$TS" verify --problem rnn:b1:i1:h1:e0:d1
expect_error "'v'" "$TS" verify --problem rnn:b1:i1:h1:e1:d1:greedy
expect_error "'v': 0 is out of range" "$TS" verify --problem rnn:b1:i1:h1:e1:d1:greedy:v0
expect_error "overflow" "$TS" gen --problem lstm:b1048576:i1048576:h1048576:e1048576:d1048576 --out "$work/big"
expect_error "GiB" "$TS" gen --problem lstm:b4096:i4096:h4096:e4096:d4096 --out "$work/big"
expect_error "unknown or incomplete option" "$TS" verify --bogus
expect_error "unknown command" "$TS" frobnicate
expect_error "required" "$TS" run --problem $P
expect_error "one name, not a list" "$TS" run --problem $P --variant naive,naive --weights $W --inputs $W --out "$work/o"
expect_error "one name, not a list" "$TS" run --problem $P --variant all --weights $W --inputs $W --out "$work/o"
expect_error "--seed: '-4'" "$TS" verify --seed -4 --problem $P
expect_error "problem set" "$TS" verify --set no-such-set
[ ! -e "$work/big" ] || { fail=$((fail + 1)); echo "FAIL: partial output left by a refused gen"; }

# .npy files: missing, truncated, dtype, byte order, rank, shape
mk() { rm -rf "$work/w"; cp -r "$W" "$work/w"; }
run_w() { "$TS" run --problem $P --variant naive --weights "$work/w" --inputs "$work/w" --out "$work/o"; }
mk; rm "$work/w/kernel.npy"; expect_error "kernel.npy: cannot open" run_w
mk; head -c 100 "$W/kernel.npy" > "$work/w/kernel.npy"; expect_error "kernel.npy: truncated" run_w
mk; "$PY" - "$work/w" <<'PY' && expect_error "'<f8' is not float32" run_w
import sys, numpy as np
d = sys.argv[1]; a = np.load(d + "/bias.npy"); np.save(d + "/bias.npy", a.astype("<f8"))
PY
mk; "$PY" - "$work/w" <<'PY' && expect_error "big-endian" run_w
import sys, numpy as np
d = sys.argv[1]; a = np.load(d + "/bias.npy"); np.save(d + "/bias.npy", a.astype(">f4"))
PY
mk; "$PY" - "$work/w" <<'PY' && expect_error "rank 2" run_w
import sys, numpy as np
d = sys.argv[1]; a = np.load(d + "/encoder_inputs.npy"); np.save(d + "/encoder_inputs.npy", a.reshape(a.shape[0], -1))
PY
mk; "$PY" - "$work/w" <<'PY' && expect_error "expected (2, 2, 3)" run_w
import sys, numpy as np
d = sys.argv[1]; a = np.load(d + "/encoder_inputs.npy"); np.save(d + "/encoder_inputs.npy", a[:, :1, :])
PY
mk; expect_error "shape (8, 20), expected (6, 12)" "$TS" run --problem lstm:b2:i3:h3:e2:d3 --variant naive --weights "$work/w" --inputs "$work/w" --out "$work/o"
[ ! -e "$work/o" ] || { fail=$((fail + 1)); echo "FAIL: output folder left after a failed run"; }

# the model fields (issue 13): one line naming the field, the file or the variant
expect_error "'res': layer 1's input width i3 differs" "$TS" verify --problem lstm:b1:i3:h5:e1:d1:res1
expect_error "'pclip': proj_clip needs projN" "$TS" verify --problem lstm:b1:i3:h5:e1:d1:pclip0.5
expect_error "'clip' (cell_clip): 0 must be > 0" "$TS" verify --problem lstm:b1:i3:h5:e1:d1:clip0
expect_error "'peep': applies to lstm only" "$TS" verify --problem gru:b1:i3:h5:e1:d1:peep
PL=lstm:b2:i3:h5:e2:d3:l3:res2:peep:proj4
"$TS" gen --problem $PL --out "$work/deep" || { echo "gen of $PL failed"; exit 1; }
rm -f "$work/deep/cell_1/w_o_diag.npy"
expect_error "cell_1/w_o_diag.npy: cannot open" "$TS" run --problem $PL --variant naive --weights "$work/deep" --inputs "$work/deep" --out "$work/o"
expect_error "cell_0/kernel.npy: shape (7, 20), expected (8, 20)" "$TS" run --problem lstm:b2:i3:h5:e2:d3:l3:res2:peep:proj5 --variant naive --weights "$work/deep" --inputs "$work/deep" --out "$work/o"
# a variant that declines the problem names why (oneDNN has no residual layers)
if "$TS" list | grep -q '^onednn '; then
  expect_error "unsupported: residual layers (res): oneDNN" "$TS" run --problem $PL --variant onednn --weights "$work/deep" --inputs "$work/deep" --out "$work/o"
fi
[ ! -e "$work/o" ] || { fail=$((fail + 1)); echo "FAIL: output folder left after a refused run"; }
expect_error "GiB" "$TS" gen --problem lstm:b1:i1048576:h1048576:e1:d1:l16:proj1048576 --out "$work/big"
[ ! -e "$work/big" ] || { fail=$((fail + 1)); echo "FAIL: partial output left by a refused gen"; }

# an output folder that cannot be written: nothing half-written
mk; mkdir -p "$work/ro"; chmod a-w "$work/ro"
if [ "$(id -u)" -eq 0 ]; then  # root ignores permissions: use a path under a regular file
  touch "$work/file"; expect_error "cannot create output directory" "$TS" run --problem $P --variant naive --weights "$work/w" --inputs "$work/w" --out "$work/file/sub"
else
  expect_error "not writable" "$TS" run --problem $P --variant naive --weights "$work/w" --inputs "$work/w" --out "$work/ro"
fi
expect_error "not a directory" "$TS" run --problem $P --variant naive --weights "$work/w" --inputs "$work/w" --out "$work/w/kernel.npy"

# the good path still works and writes every file
mk; "$TS" run --problem $P --variant naive --weights "$work/w" --inputs "$work/w" --out "$work/o" --states 2>/dev/null
for f in outputs state_h state_c states_h states_c; do
  [ -s "$work/o/$f.npy" ] && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: missing $f.npy"; }
done
ls -A "$work/o" | grep -q partial && { fail=$((fail + 1)); echo "FAIL: staged files left"; }

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
