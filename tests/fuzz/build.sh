#!/usr/bin/env bash
# Builds the libFuzzer harnesses with clang into OUTDIR (default build-fuzz/):
# fuzz_problem, fuzz_npy, fuzz_csv.  ASan + UBSan, any sanitizer report aborts.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$root/build-fuzz}
cc=${CLANG:-clang}
command -v "$cc" >/dev/null || { echo "fuzz: $cc not found (apt-get install clang)" >&2; exit 2; }
mkdir -p "$out"
flags=(-std=gnu11 -g -O1 -Wall -Wextra -Werror -I"$root"
       -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all)
# only the code under test and what it links against: the parsers have no other deps
common=("$root/kernels/problem.c" "$root/kernels/tensors.c")
declare -A extra=([fuzz_problem]="" [fuzz_npy]="$root/harness/files/npy.c"
                  [fuzz_csv]="$root/harness/files/csvread.c")
for t in fuzz_problem fuzz_npy fuzz_csv; do
  # shellcheck disable=SC2086
  "$cc" "${flags[@]}" -o "$out/$t" "$root/tests/fuzz/$t.c" "${common[@]}" ${extra[$t]} -lm
done
