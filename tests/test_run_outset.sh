#!/usr/bin/env bash
# `run`'s output folder is one unit (issue #12 item 6): a rerun into the same --out
# leaves exactly the new run's files, a failed or killed run leaves the old set
# whole, a killed run's staging folder is deleted by the next run, and a folder
# holding anything but run outputs is refused, not emptied.
set -u
TS=${1:?usage: test_run_outset.sh path/to/tiedseq}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
# the folder's file list, one line: "a.npy b.npy" (hidden files included)
files() { (cd "$1" && ls -A | sort | tr '\n' ' '); }
stages() { ls -A "$work" | grep -c 'staging' || true; }

L=lstm:b2:i3:h5:e2:d3:teacher R=rnn:b2:i3:h5:e2:d3:greedy:v7
"$TS" gen --problem $L --out "$work/wl" && "$TS" gen --problem $R --out "$work/wr" || { echo "gen failed"; exit 1; }
runL() { "$TS" run --problem $L --variant naive --weights "$work/wl" --inputs "$work/wl" --out "$work/O" "$@"; }
runR() { "$TS" run --problem $R --variant naive --weights "$work/wr" --inputs "$work/wr" --out "$work/O" "$@"; }

# 1. LSTM with --states, then RNN greedy into the same --out: only the RNN's files remain
runL --states || bad "first run failed"
[ "$(files "$work/O")" = "outputs.npy state_c.npy state_h.npy states_c.npy states_h.npy " ] && ok ||
  bad "LSTM set: $(files "$work/O")"
runR || bad "second run failed"
[ "$(files "$work/O")" = "outputs.npy state_h.npy symbols.npy " ] && ok || bad "earlier run's files mixed in: $(files "$work/O")"
[ "$(stages)" -eq 0 ] && ok || bad "staging folder left after a good run"

# 2. a failed run (wrong shapes) leaves the previous set exactly as it was
before=$(cd "$work/O" && md5sum ./*)
"$TS" run --problem lstm:b2:i3:h3:e2:d3 --variant naive --weights "$work/wl" --inputs "$work/wl" \
  --out "$work/O" 2>/dev/null && bad "bad shapes accepted"
[ "$(cd "$work/O" && md5sum ./*)" = "$before" ] && ok || bad "failed run changed --out"
[ "$(stages)" -eq 0 ] && ok || bad "staging folder left after a failed run"

# 3. a killed run: leftovers of a dead process (a staging folder, an older version's
#    .NAME.partial) are deleted by the next run; a live process's staging is kept
mkdir "$work/.O.staging-2147483646" && echo x > "$work/.O.staging-2147483646/outputs.npy"
echo x > "$work/O/.outputs.npy.partial"
mkdir "$work/.O.staging-$$"   # this shell: alive, so a run in progress
runL || bad "run after a kill failed"
[ ! -e "$work/.O.staging-2147483646" ] && ok || bad "dead run's staging folder not deleted"
[ -d "$work/.O.staging-$$" ] && ok || bad "a live run's staging folder was deleted"
rmdir "$work/.O.staging-$$"
[ "$(files "$work/O")" = "outputs.npy state_c.npy state_h.npy " ] && ok || bad "after kill leftovers: $(files "$work/O")"

# 4. a real SIGKILL mid-run (a run long enough to be caught computing): --out keeps
#    the previous whole set, and the next run cleans up
before=$(cd "$work/O" && md5sum ./*)
Big=lstm:b64:i512:h512:e40:d40:teacher
"$TS" gen --problem $Big --out "$work/wb" || bad "gen big"
"$TS" run --problem $Big --variant naive --weights "$work/wb" --inputs "$work/wb" --out "$work/O" --states &
pid=$!
sleep 1
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
[ $? -eq 137 ] || echo "note: the big run finished before the kill; the kill part checks little"
[ -d "$work/.O.staging-$pid" ] || echo "note: the kill came before the staging folder was made"
[ "$(cd "$work/O" && md5sum ./*)" = "$before" ] && ok || bad "killed run changed --out"
runL || bad "run after SIGKILL failed"
[ "$(stages)" -eq 0 ] && ok || bad "killed run's staging folder not deleted by the next run"

# 5. a folder with anything else in it is refused, one line, and left alone
mkdir "$work/mine" && echo keep > "$work/mine/notes.txt"
err=$("$TS" run --problem $L --variant naive --weights "$work/wl" --inputs "$work/wl" --out "$work/mine" 2>&1)
rc=$?
[ $rc -ne 0 ] && [ "$(printf '%s' "$err" | grep -c '')" -eq 1 ] && [[ "$err" == *"'notes.txt', which is not a run output"* ]] &&
  ok || bad "foreign folder: rc=$rc $err"
[ "$(files "$work/mine")" = "notes.txt " ] && ok || bad "foreign folder touched: $(files "$work/mine")"
# --out being the inputs folder is such a folder
"$TS" run --problem $L --variant naive --weights "$work/wl" --inputs "$work/wl" --out "$work/wl" 2>/dev/null &&
  bad "--out = --inputs accepted" || ok
# an empty folder and a trailing slash are fine
mkdir "$work/empty"
"$TS" run --problem $L --variant naive --weights "$work/wl" --inputs "$work/wl" --out "$work/empty/" &&
  [ "$(files "$work/empty")" = "outputs.npy state_c.npy state_h.npy " ] && ok || bad "empty folder with trailing /"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ] && [ $pass -ge 12 ]
