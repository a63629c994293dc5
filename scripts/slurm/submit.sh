#!/usr/bin/env bash
# scripts/slurm/submit.sh SWEEP_ARGS... — a tiedseq sweep over several nodes:
# submits a job array of TS_SHARDS tasks (scripts/slurm/sweep.sbatch, one exclusive
# node each, `tiedseq sweep --shard K/N SWEEP_ARGS`) and a merge job that runs when
# every task succeeded (afterok) and writes TS_OUT/merged (`tiedseq merge`).
# Prints the two job ids and the merged folder.
#
#   TS_SHARDS=N        shards (array tasks), default 4
#   TS_OUT=DIR         the shards' folders and merged/, default results/slurm-<UTC date-time>;
#                      on a file system every node sees
#   TS_BIN=PATH        tiedseq, default build/tiedseq of this checkout
#   TS_SBATCH_ARGS=..  more sbatch options for both jobs (--partition=..., --time=...)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
die() { echo "submit.sh: $*" >&2; exit 2; }
shards=${TS_SHARDS:-4}
[[ "$shards" =~ ^[0-9]+$ ]] && [ "$shards" -ge 1 ] && [ "$shards" -le 100000 ] || die "TS_SHARDS=$shards: want 1..100000"
bin=$(realpath -e "${TS_BIN:-$root/build/tiedseq}" 2>/dev/null) || die "no tiedseq at ${TS_BIN:-$root/build/tiedseq} (build it, or set TS_BIN)"
out=${TS_OUT:-$root/results/slurm-$(date -u +%Y%m%d-%H%M%S)}
command -v sbatch >/dev/null || die "sbatch not found (Slurm's client commands: apt-get install slurm-client)"
[ ! -e "$out/merged" ] || die "$out/merged already exists"
mkdir -p "$out"
out=$(realpath "$out")
read -r -a extra <<<"${TS_SBATCH_ARGS:-}"

array=$(sbatch --parsable --array="0-$((shards - 1))" --output="$out/slurm-%A_%a.out" \
               --export=ALL,TS_BIN="$bin",TS_OUT="$out",TS_SHARDS="$shards" "${extra[@]}" \
               "$root/scripts/slurm/sweep.sbatch" "$@")
array=${array%%;*}  # "id;cluster" on multi-cluster sites
# The merge needs no node of its own; a failed task leaves the dependency unmet,
# and --kill-on-invalid-dep cancels the merge instead of leaving it pending.
merge_cmd=$(printf '%q merge %q' "$bin" "$out/merged")
for k in $(seq "$shards"); do merge_cmd+=" $(printf '%q' "$out/shard-$k-of-$shards")"; done
merge=$(sbatch --parsable --job-name=tiedseq-merge --dependency="afterok:$array" --kill-on-invalid-dep=yes \
               --ntasks=1 --output="$out/slurm-merge-%j.out" "${extra[@]}" --wrap="$merge_cmd")
merge=${merge%%;*}
echo "array job $array ($shards shards of tiedseq sweep $*)"
echo "merge job $merge (after the array succeeds)"
echo "merged run: $out/merged"
