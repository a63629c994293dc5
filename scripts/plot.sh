#!/usr/bin/env bash
# scripts/plot.sh RESULTS_DIR — draws the scaling figures of one results folder
# (points.csv, meta.json, peak.json) as PNG and SVG into RESULTS_DIR/plots/:
#   throughput_vs_batch_<cell>  GFLOP/s vs B, a panel per H, measured peak line
#   time_vs_seqlen              time per run and per step vs E+D
#   thread_scaling              speed-up and parallel efficiency vs threads
#   roofline                    GFLOP/s vs FLOP per recurrent weight byte, measured roofs
#   variant_speedup             speed-up over naive and over onednn per problem
#   drift_vs_seqlen             bf16 variants' drift from fp32 vs E+D (runs with bf16 rows)
# A figure the folder has no data for is skipped with a one-line note.  A malformed
# or empty points.csv is a one-line error and a non-zero exit; the figures are drawn
# in a temporary folder and moved into place only when all of them succeeded, so an
# existing plots/ folder is never left half-written.
# Needs gnuplot (gnuplot-nox), jq and awk.  docs/plots.md describes each figure.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
gpdir=$here/plot

die() { echo "plot.sh: $*" >&2; exit 1; }
note() { echo "plot.sh: $*"; }
# A gnuplot string literal: single quotes, a quote inside doubled.
gpstr() { printf "'%s'" "${1//\'/\'\'}"; }

[ $# -eq 1 ] || die "usage: scripts/plot.sh RESULTS_DIR"
dir=${1%/}
[ -d "$dir" ] || die "$dir: not a directory"
[ -f "$dir/points.csv" ] || die "$dir/points.csv: no such file"
[ -s "$dir/points.csv" ] || die "$dir/points.csv: empty file (no header, no rows)"
for tool in gnuplot jq awk; do
  command -v "$tool" >/dev/null || die "$tool not found (apt-get install gnuplot-nox jq)"
done
# keyentry, arrays and `set datafile columnheaders` arrived in gnuplot 5.4
gpv=$(gnuplot --version | awk '{ print $2 }')
awk -v v="$gpv" 'BEGIN { split(v, a, "."); exit !(a[1] > 5 || (a[1] == 5 && a[2] >= 4)) }' ||
  die "gnuplot $gpv is too old: 5.4 or newer needed"

tmp=$(mktemp -d "$dir/.plots-tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/plots" "$tmp/work"
work=$tmp/work
# A private copy: a path gnuplot can quote safely, line ends normalised.
tr -d '\r' <"$dir/points.csv" >"$work/points.csv"
csv=$work/points.csv
pairs=""  # the paired ratios' intervals: error bars of the speed-up and scaling figures
[ -f "$dir/pairs.csv" ] && { tr -d '\r' <"$dir/pairs.csv" >"$work/pairs.csv"; pairs=$work/pairs.csv; }
awk -f "$gpdir/plan.awk" -v fig=check -v shown="$dir/points.csv" "$csv" || exit 1

# ---- several machines (tiedseq merge): each (variant, host) is a series of its own --
# The private copies name the variant "variant@host" (pairs.csv by its run_id's
# host), so every figure draws one line per variant and host; one host: unchanged.
hosts=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "host") h = i; next }
                 h && $h != "" && !seen[$h]++ { print $h }' "$csv")
if [ "$(printf '%s\n' "$hosts" | grep -c .)" -ge 2 ]; then
  awk -F, -v OFS=, 'NR == 1 { for (i = 1; i <= NF; i++) { if ($i == "host") h = i; if ($i == "variant") v = i }; print; next }
                    { $v = $v "@" $h; print }' "$csv" >"$work/points-hosts.csv"
  if [ -n "$pairs" ]; then
    awk -F, -v OFS=, 'FNR == 1 { for (i = 1; i <= NF; i++) c[FILENAME, $i] = i; if (FILENAME == ARGV[2]) print; next }
                      FILENAME == ARGV[1] { host[$c[ARGV[1], "run_id"]] = $c[ARGV[1], "host"]; next }
                      { a = c[ARGV[2], "variant_a"]; b = c[ARGV[2], "variant_b"]; h = host[$c[ARGV[2], "run_id"]]
                        $a = $a "@" h; $b = $b "@" h; print }' "$csv" "$pairs" >"$work/pairs-hosts.csv"
    mv "$work/pairs-hosts.csv" "$pairs"
  fi
  mv "$work/points-hosts.csv" "$csv"
  note "$(printf '%s\n' "$hosts" | grep -c .) hosts: one line per variant@host"
fi

# ---- meta.json and peak.json: footer text and the measured roofs ------------------
json() {  # json FILE FILTER: the filter's raw output, empty when the file is absent or bad
  [ -f "$1" ] && jq -r "$2" "$1" 2>/dev/null || true
}
meta=$dir/meta.json
[ -f "$meta" ] && ! jq -e . "$meta" >/dev/null 2>&1 && note "meta.json is not valid JSON: footer from points.csv"
peakf=$dir/peak.json
[ -f "$peakf" ] || { peakf=$work/peak.json; json "$meta" '.peak // empty' >"$peakf"; }
[ -s "$peakf" ] && jq -e '.fma_gflops' "$peakf" >/dev/null 2>&1 ||
  note "no peak.json (or meta.json .peak): peak lines and roofs are not drawn"
peaks=$(json "$peakf" '(.fma_gflops.best // {}) | to_entries[] | "\(.key)=\(.value)"' | paste -sd' ')
bw=$(json "$peakf" '(.bw_gbps // {}) | to_entries[] | .key as $l | .value | to_entries[]
                    | "\($l):\(.key)=\(.value)"' | paste -sd' ')

first_row() { awk -F, -v c="$1" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) k = i; next }
                                  k { print $k; exit }' "$csv"; }
cpu=$(json "$meta" '.cpu.model // ((.cpus // []) | join(" / ")) // empty')
[ -n "$cpu" ] || cpu=$(json "$peakf" '.cpu_model // empty')
threads=$(json "$meta" '(.threads // []) | map(tostring) | join(",")')
[ -n "$threads" ] || threads=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "threads") k = i; next }
                                        !s[$k]++ { print $k }' "$csv" | sort -n | paste -sd,)
run_id=$(json "$meta" '.run_id // empty')
[ -n "$run_id" ] || run_id=$(first_row run_id)
footer="CPU: ${cpu:-unknown}   |   threads: ${threads:-?}   |   run: ${run_id:-?}"

# ---- one figure: plan it, then draw it twice (png, svg) ---------------------------
# figure NAME PLAN GP [CELL]: plan.awk fig=PLAN prints the panels as gnuplot
# assignments, or "skip: reason" with exit 3; scripts/plot/GP.gp draws them.
figure() {
  local name=$1 plan=$2 gp=$3 cell=${4:-} params=$work/$1.params.gp rc=0 fmt err
  awk -f "$gpdir/plan.awk" -v fig="$plan" -v cell="$cell" -v peaks="$peaks" -v bw="$bw" -v pairs="$pairs" \
      -v data="$work/$name.data.csv" -v shown="$dir/points.csv" "$csv" >"$params" || rc=$?
  if [ "$rc" -eq 3 ]; then note "$name: skipped: $(sed -n 's/^skip: //p' "$params")"; return 0; fi
  [ "$rc" -eq 0 ] || die "$name: planning failed"
  for fmt in png svg; do
    err=$(gnuplot -e "gpdir=$(gpstr "$gpdir"); fmt='$fmt'; infile=$(gpstr "$csv")" \
                  -e "outfile=$(gpstr "$tmp/plots/$name.$fmt"); footer=$(gpstr "$footer")" \
                  -e "load $(gpstr "$params")" "$gpdir/$gp.gp" 2>&1) ||
      die "$name.$fmt: gnuplot failed: $(echo "$err" | grep -v '^ *$' | tail -n 3 | paste -sd' ')"
    [ -z "$err" ] || echo "$err" | sed "s|^|plot.sh: $name.$fmt: gnuplot: |" >&2
    [ -s "$tmp/plots/$name.$fmt" ] || die "$name.$fmt: gnuplot wrote nothing"
  done
  note "wrote plots/$name.png and .svg"
}

cells=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) { if ($i == "cell") c = i; if ($i == "status") s = i }; next }
                 $s == "ok" && !seen[$c]++ { print $c }' "$csv")
for cell in $cells; do
  safe=$(printf '%s' "$cell" | tr -c 'A-Za-z0-9_-' '_')
  figure "throughput_vs_batch_$safe" batch throughput_vs_batch "$cell"
done
figure time_vs_seqlen seqlen time_vs_seqlen
figure thread_scaling threads thread_scaling
figure roofline roofline roofline
figure variant_speedup speedup variant_speedup

# ---- bf16 drift (points.csv's drift columns; older runs have none) ------------------
drift_figure() {
  local data=$work/drift.data.csv series fmt err
  awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
           c["precision"] && $c["precision"] == "bf16" && $c["drift_out_max"] != "" {
             print $c["variant"] "," $c["cell"] "-" $c["feed"] "," $c["E"] + $c["D"] "," $c["drift_out_max"] "," $c["drift_state_max"] }' \
      "$csv" | sort -t, -k1,2 -k3,3n >"$data"
  if [ ! -s "$data" ]; then note "drift_vs_seqlen: skipped: no bf16 rows with drift"; return 0; fi
  series=$(awk -F, '!s[$1 "/" $2]++ { print $1 "/" $2 }' "$data" | paste -sd' ')
  for fmt in png svg; do
    err=$(gnuplot -e "fmt='$fmt'; data=$(gpstr "$data"); series=$(gpstr "$series")" \
                  -e "outfile=$(gpstr "$tmp/plots/drift_vs_seqlen.$fmt"); footer=$(gpstr "$footer")" \
                  "$gpdir/drift_vs_seqlen.gp" 2>&1) ||
      die "drift_vs_seqlen.$fmt: gnuplot failed: $(echo "$err" | grep -v '^ *$' | tail -n 3 | paste -sd' ')"
    [ -s "$tmp/plots/drift_vs_seqlen.$fmt" ] || die "drift_vs_seqlen.$fmt: gnuplot wrote nothing"
  done
  note "wrote plots/drift_vs_seqlen.png and .svg"
}
drift_figure

# ---- move into place: replace plots/ as a whole -------------------------------------
if [ -d "$dir/plots" ]; then mv "$dir/plots" "$tmp/old-plots"; fi
mv "$tmp/plots" "$dir/plots"
n=$(find "$dir/plots" -type f | wc -l)
echo "plot.sh: $n files in $dir/plots"
