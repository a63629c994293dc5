#!/usr/bin/env bash
# Installs the Debian packages tiedseq needs when they are missing (as root), or
# prints the exact apt-get line and stops.  Idempotent and quiet when all is there.
set -euo pipefail
PKGS=(cmake make gcc g++ libdnnl-dev ocl-icd-opencl-dev libbenchmark-dev gnuplot-nox
      python3 python3-numpy jq fonts-dejavu-core
      clang libclang-rt-14-dev) # the libFuzzer harnesses (tests/fuzz/); the runtime is only a Recommends of clang
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
line="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "tiedseq: missing Debian packages: ${missing[*]}" >&2
  echo "tiedseq: run as root:  apt-get update && $line" >&2
  exit 1
fi
echo "tiedseq: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
