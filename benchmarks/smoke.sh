#!/usr/bin/env bash
# Runs every built benchmark once on a small input, so they cannot rot (CI: benchmarks/smoke.sh build).
# Fails only when a benchmark program fails, never on timing: on a shared CI machine timings mean little.
#
#   benchmarks/smoke.sh BUILD_DIR
set -euo pipefail
build=${1:?usage: benchmarks/smoke.sh BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)
bin="$build/benchmarks"
[ -d "$bin" ] || { echo "smoke.sh: $bin not found (configure with -DTRAINSCOPE_BUILD_BENCHMARKS=ON)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export TRAINSCOPE_BENCH_NO_TIME_LIMIT=1

failed=0
run() {
  echo "== $*"
  local t0=$SECONDS
  if "$@"; then echo "   ($((SECONDS - t0)) s)"; else echo "smoke.sh: FAILED (exit $?): $*" >&2; failed=1; fi
}

# Every bench_*.cpp must have a line here: a new benchmark without a smoke run fails the script.
for src in "$here"/bench_*.cpp; do
  name=$(basename "$src" .cpp)
  [ -x "$bin/$name" ] || { echo "smoke.sh: $bin/$name was not built" >&2; failed=1; continue; }
  case $name in
    bench_analysis) run "$bin/$name" --mb 2,4 --repeat 1 ;;
    bench_baseline_program) ;;  # needs a file: run below
    bench_jsonl_read) run "$bin/$name" --mb 2 --repeat 1 ;;
    bench_monitor) run "$bin/$name" --steps 100000 ;;
    bench_readers) run "$bin/$name" 1 ;;
    bench_schedule) run "$bin/$name" --steps 100000 --no-time-limit ;;
    *) echo "smoke.sh: no small-input run known for $name: add one" >&2; failed=1 ;;
  esac
done

log="$tmp/seed.jsonl"
run "$bin/generate_seed_log" "$log" 6  # past 4 MiB: trainscope reads it with threads
run "$bin/bench_baseline_program" "$log"
cli="$build/bin/trainscope"
if [ -x "$cli" ] && command -v python3 > /dev/null; then
  run python3 "$here/compare_tools.py" "$log" "$cli" "$bin/bench_baseline_program"
fi
run "$here/compile_time.sh" "${CXX:-c++}"
exit $failed
