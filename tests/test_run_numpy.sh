#!/usr/bin/env bash
# `tiedseq run` on .npy files against an independent NumPy implementation of
# TF's math (scripts/check_numpy.py), to 1e-5, for every available fp32 variant
# (bf16 variants are a rounding of 2^-9 away from it: verify checks them).
set -u -o pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
TS=${1:?usage: test_run_numpy.sh path/to/tiedseq}
PY=${TS_PYTHON:-$(command -v /usr/bin/python3 || command -v python3)}
"$PY" -c 'import numpy' 2>/dev/null || { echo "numpy missing for $PY (scripts/deps.sh installs python3-numpy)"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# list: variant, precision, the needed ISA (one or more words), status, summary
variants=$("$TS" list | awk '$2 == "f32" && / available / {print $1}')
pass=0 fail=0 skip=0
# the last four: MultiRNNCell (cell_K/ folders, layer axis), ResidualWrapper, LSTMCell's extras
for P in rnn:b3:i5:h37:e4:d6:teacher gru:b2:i7:h9:e3:d5:greedy:v13 lstm:b2:i6:h11:e5:d4:teacher:fb0 \
         lstm:b1:i4:h8:e3:d5:greedy:v6:t2 gru:b2:i3:h5:e2:d0:teacher rnn:b4:i16:h33:e9:d9:greedy:v20 \
         lstm:b2:i6:h11:e5:d4:teacher:peep:clip0.3:proj5:pclip0.2 lstm:b2:i5:h7:e3:d4:greedy:v9:l3:res2:peep:proj5 \
         gru:b3:i6:h6:e4:d3:teacher:l2:res1 rnn:b2:i4:h9:e3:d0:teacher:l3:res2; do
  "$TS" gen --problem "$P" --seed 7 --out "$work/in" || { fail=$((fail + 1)); continue; }
  for v in $variants; do
    rm -rf "$work/out"
    msg=$("$TS" run --problem "$P" --variant "$v" --weights "$work/in" --inputs "$work/in" --out "$work/out" \
          --states 2>&1); rc=$?
    # a variant that does not implement the problem says so (supports()): skipped, not failed
    if [ $rc -ne 0 ] && grep -q "cannot run .*: unsupported: " <<<"$msg"; then
      skip=$((skip + 1)); continue
    fi
    if [ $rc -eq 0 ] && "$PY" "$root/scripts/check_numpy.py" "$P" "$work/in" "$work/in" "$work/out" --atol 1e-5 \
       | sed "s/^/$v /"; then
      pass=$((pass + 1))
    else
      fail=$((fail + 1)); echo "FAIL: $v $P $msg"
    fi
  done
  rm -rf "$work/in"
done
echo "$pass passed, $fail failed, $skip skipped (variant refuses the problem)"
[ $fail -eq 0 ] && [ $pass -gt 0 ]
