#!/usr/bin/env bash
# A real single-node Slurm cluster: as root, installs Debian's Slurm daemons,
# client and munge when missing, writes a slurm.conf into a temporary folder,
# starts munged, slurmctld and slurmd on this machine, submits a 2-task array of a
# tiny sweep through scripts/slurm/submit.sh, waits for its merge job, and checks
# the merged point set equals a one-process run of the same sweep (same keys, all
# ok, two shards).  Every daemon it started is stopped by pid on exit, failures
# included, and nothing of it is left running.  Skips (77) when not root, when
# apt cannot install, and in the sanitizer build (the cluster tests the scripts
# and Slurm's plumbing, not memory safety; test_shard_merge covers the C code
# under ASan).  No timing is asserted; the waits only have deadlines.
set -u
TS=$(realpath "${1:?usage: test_slurm.sh path/to/tiedseq}")
root=$(cd "$(dirname "$0")/.." && pwd)
skip() { echo "test_slurm: skipped: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root (it installs and starts Slurm and munge)"
grep -qs '^TS_SANITIZE:BOOL=ON' "$(dirname "$TS")/CMakeCache.txt" && skip "sanitizer build (the normal build runs it)"
"$TS" sweep --help 2>&1 | grep -q "built without Google Benchmark" && skip "built without Google Benchmark"

# ---- install (the parts of slurm-wlm this needs, and munge) ----------------------
PKGS=(slurmctld slurmd slurm-client munge)
have_all() { command -v slurmctld && command -v slurmd && command -v sbatch && command -v munged && command -v mungekey; } >/dev/null
if ! have_all; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends "${PKGS[@]}" >/dev/null 2>&1 ||
    { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq --no-install-recommends "${PKGS[@]}" >/dev/null 2>&1; } ||
    skip "apt-get could not install ${PKGS[*]}"
  have_all || skip "${PKGS[*]} installed, but a daemon or client is missing"
fi

t0=$(date +%s)
tmp=$(mktemp -d /tmp/tiedseq-slurm.XXXXXX)
chmod 0755 "$tmp"  # slurmd's job steps read the spool below it
pids=()
live_steps() { ps -C slurmstepd -o stat= 2>/dev/null | grep -vc '^Z'; }  # zombies are gone, only unreaped
steps_before=$(live_steps)
cleanup() {
  # jobs first (their steps are slurmd's children), then the daemons, newest first
  if [ -n "${conf:-}" ] && [ -f "$conf" ] && command -v scancel >/dev/null; then
    SLURM_CONF=$conf timeout 10 scancel --quiet --user=root 2>/dev/null || true
    for _ in $(seq 50); do
      [ -z "$(SLURM_CONF=$conf timeout 5 squeue -h -o %i 2>/dev/null)" ] && break
      sleep 0.2
    done
  fi
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill -TERM "${pids[i]}" 2>/dev/null; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  rm -rf "$tmp"
}
trap cleanup EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
die() { echo "FAIL: $*"; for f in "$tmp"/*.log; do echo "== $f"; tail -n 20 "$f"; done; exit 1; }

# ---- munge: its own key and socket in the temporary folder ----------------------
mungekey --create --keyfile="$tmp/munge.key" >/dev/null 2>&1 || die "mungekey failed"
chmod 0600 "$tmp/munge.key"
munged --foreground --force --key-file="$tmp/munge.key" --socket="$tmp/munge.socket" \
       --pid-file="$tmp/munged.pid" --log-file="$tmp/munged.log" --seed-file="$tmp/munge.seed" 2>>"$tmp/munged.log" &
pids+=($!)
for _ in $(seq 100); do [ -S "$tmp/munge.socket" ] && break; sleep 0.1; done
[ -S "$tmp/munge.socket" ] || die "munged did not start"

# ---- slurm.conf: one node (this machine, as slurmd -C sees it) --------------------
host=$(hostname -s)
node=$(slurmd -C 2>/dev/null | grep '^NodeName=') || die "slurmd -C printed no node line"
mkdir -p "$tmp/state" "$tmp/spool"
conf=$tmp/slurm.conf
cat >"$conf" <<EOF
ClusterName=tiedseqtest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=17817
SlurmdPort=17818
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$tmp/munge.socket
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/slurmctld.log
SlurmdLogFile=$tmp/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MinJobAge=600
$node NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$conf
slurmctld -D -f "$conf" >>"$tmp/slurmctld.log" 2>&1 &
pids+=($!)
slurmd -D -f "$conf" >>"$tmp/slurmd.log" 2>&1 &
pids+=($!)
state=""
for _ in $(seq 150); do
  state=$(timeout 5 sinfo -h -o %t 2>/dev/null | head -n 1)
  [ "$state" = idle ] && break
  sleep 0.2
done
[ "$state" = idle ] && ok || die "the node did not come up idle (state '$state')"

# ---- the sweep: two shards through submit.sh, and one process -------------------
cat >"$tmp/peak.json" <<'EOF'
{"threads_max": 2, "cpu_model": "test", "isa": "avx2 fma",
 "fma_gflops": {"avx2": {"1": 50, "2": 100}, "avx512": {"1": 0, "2": 0}, "best": {"1": 50, "2": 100}},
 "bw_gbps": {"L1": {"1": 200, "2": 400}, "L2": {"1": 50, "2": 100}, "L3": {"1": 20, "2": 30}, "DRAM": {"1": 10, "2": 12}},
 "level_bytes": {"L1": 49152, "L2": 2097152, "L3": 33554432},
 "barrier_ns": {"1": 100, "2": 300}}
EOF
ARGS=(--cells rnn,gru --batch 1,2 --hidden 4 --enc 2 --dec 2 --variants naive,blocked --threads 1
      --min-rounds 6 --max-rounds 6 --passes 1 --budget 0.05 --sample-ms 1 --peak "$tmp/peak.json")
out=$(TS_SHARDS=2 TS_OUT="$tmp/run" TS_BIN="$TS" bash "$root/scripts/slurm/submit.sh" "${ARGS[@]}" 2>&1) ||
  die "submit.sh failed: $out"
echo "$out"
merge_job=$(sed -n 's/^merge job \([0-9]*\) .*/\1/p' <<<"$out")
grep -q "^merged run: $tmp/run/merged\$" <<<"$out" && ok || bad "submit.sh did not print the merged folder"
[ -n "$merge_job" ] || die "no merge job id in submit.sh's output"
"$TS" sweep "${ARGS[@]}" --out "$tmp/single" >/dev/null 2>"$tmp/single.log" || die "the one-process sweep failed"

job_state() { timeout 5 scontrol show job "$1" -o 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p'; }
st=""
for _ in $(seq 600); do  # at most 2 minutes
  st=$(job_state "$merge_job")
  case "$st" in COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY) break ;; esac
  sleep 0.2
done
[ "$st" = COMPLETED ] && ok || die "merge job $merge_job ended as '$st'; $(cat "$tmp"/run/slurm-*.out 2>/dev/null | tail -n 5)"

# ---- the merged run is the one-process run's point set ---------------------------
keys() { tail -n +2 "$1/points.csv" | cut -d, -f3,4 | sort; }
m=$tmp/run/merged
[ -f "$m/points.csv" ] && [ -f "$m/meta.json" ] && ok || die "no merged run in $m"
[ "$(keys "$m")" = "$(keys "$tmp/single")" ] && ok || bad "merged keys differ from the one-process run"
[ "$(keys "$m" | wc -l)" -eq 8 ] && ok || bad "want 8 points, got $(keys "$m" | wc -l)"
[ -z "$(keys "$m" | uniq -d)" ] && ok || bad "a point twice in the merged run"
[ -z "$(tail -n +2 "$m/points.csv" | cut -d, -f14 | grep -vx ok)" ] && ok || bad "a merged point is not ok"
[ -z "$(tail -n +2 "$m/points.csv" | cut -d, -f2 | grep -vx "$host")" ] && ok || bad "host column is not $host"
[ "$(jq -r '[.shards[].shard] | sort | join(" ")' "$m/meta.json")" = "1/2 2/2" ] && ok || bad "meta.json shards"
[ "$(jq -r '.shards_missing' "$m/meta.json")" = "" ] && ok || bad "meta.json: shards missing"
for k in 1 2; do
  [ "$(jq -r .shard "$tmp/run/shard-$k-of-2/meta.json")" = "$k/2" ] && ok || bad "shard $k: meta.json shard"
done
"$TS" summary "$m" >/dev/null && ok || bad "summary of the merged run"

echo "test_slurm: cluster part took $(($(date +%s) - t0)) s"
cleanup
trap - EXIT
# nothing left running: our daemons, and no job step
for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && bad "pid $pid still running"; done
for _ in $(seq 100); do [ "$(live_steps)" -le "$steps_before" ] && break; sleep 0.1; done  # steps end on their own
[ "$(live_steps)" -le "$steps_before" ] && ok || bad "a slurmstepd is left running"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
