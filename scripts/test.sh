#!/usr/bin/env bash
# The README's test command: installs what is missing, then builds and runs the
# whole ctest suite twice — a normal warnings-as-errors build, then an
# AddressSanitizer + UndefinedBehaviorSanitizer build.  Both must be clean.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/deps.sh"
jobs=$(nproc)
run_suite() {
  local dir=$1; shift
  echo "== tiedseq tests: $dir ($*)"
  cmake -S "$root" -B "$dir" -DTS_WERROR=ON "$@" >/dev/null
  cmake --build "$dir" -j"$jobs" >/dev/null
  (cd "$dir" && ctest --output-on-failure -j"$jobs" --timeout 900)
}
run_suite "$root/build" -DCMAKE_BUILD_TYPE=Release
# halt_on_error: a sanitizer report fails the test; leaks from libgomp/oneDNN
# thread pools at exit are not ours.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
run_suite "$root/build-asan" -DCMAKE_BUILD_TYPE=Debug -DTS_SANITIZE=ON
