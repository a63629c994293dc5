#!/usr/bin/env bash
# Proves the committed golden vectors regenerate byte-for-byte: makes the venv if
# needed (setup_venv.sh), runs make_golden.py with the committed seed and date into a
# temporary folder and compares every file with tests/golden.  Exit 0 = identical.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bash "$root/scripts/golden/setup_venv.sh"
py="${TS_VENV_TF:-$root/build/venv-tf}/bin/python"
prov="$root/tests/golden/provenance.json"
seed=$("$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))["seed"])' "$prov")
date=$("$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))["date"])' "$prov")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$py" "$root/scripts/golden/make_golden.py" --out "$tmp/golden" --seed "$seed" --date "$date" 2>/dev/null
if diff -r "$tmp/golden" "$root/tests/golden"; then
  echo "check_regen: tests/golden regenerates byte-for-byte (seed $seed, date $date)"
else
  echo "check_regen: tests/golden differs from a fresh regeneration (see above)" >&2
  exit 1
fi
