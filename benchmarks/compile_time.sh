#!/usr/bin/env bash
# Compile time of a translation unit that only includes the umbrella header, against an empty one,
# with the same compiler and flags (a Release build's: -std=c++20 -O3 -DNDEBUG). Best of 3 each, as CPU
# time (user + system) of the compiler: on a shared machine wall time measures the neighbours too.
# For comparison, also the JSON reader and report headers (simdjson, Eigen) that the umbrella keeps out.
#
#   benchmarks/compile_time.sh [CXX]        (default: c++; e.g. g++ or clang++)
# Prints seconds; never fails on timing (exit 1 only when a header does not compile).
set -euo pipefail
cxx=${1:-c++}
here=$(cd "$(dirname "$0")" && pwd)
inc="$here/../include"
flags=(-std=c++20 -O3 -DNDEBUG -I"$inc" $(pkg-config --cflags eigen3 2> /dev/null || echo -I/usr/include/eigen3))
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

best_of_3() {  # prints the best CPU time (user + system, children) of compiling $1 in seconds
  local best=1e9 t
  for _ in 1 2 3; do
    t=$( { TIMEFORMAT='%U %S'; time "$cxx" "${flags[@]}" -c "$1" -o "$tmp/out.o" 2> "$tmp/err"; } 2>&1 ) ||
      { cat "$tmp/err" >&2; return 1; }
    best=$(echo "$t $best" | awk '{d = $1 + $2; print (d < $3 ? d : $3)}')
  done
  echo "$best"
}

: > "$tmp/empty.cpp"
echo '#include <trainscope/trainscope.hpp>' > "$tmp/umbrella.cpp"
echo '#include <trainscope/io/read_log.hpp>' > "$tmp/read_log.cpp"
echo '#include <trainscope/report.hpp>' > "$tmp/report.cpp"
echo "compiler: $("$cxx" --version | head -1); flags: ${flags[*]}"
empty=$(best_of_3 "$tmp/empty.cpp")
printf '  %-50s %6.2f s\n' "empty translation unit" "$empty"
for tu in umbrella read_log report; do
  case $tu in
    umbrella) what="#include <trainscope/trainscope.hpp>" ;;
    read_log) what="#include <trainscope/io/read_log.hpp> (simdjson)" ;;
    report) what="#include <trainscope/report.hpp>" ;;
  esac
  t=$(best_of_3 "$tmp/$tu.cpp")
  printf '  %-50s %6.2f s  (%.2f s over empty)\n' "$what" "$t" "$(echo "$t $empty" | awk '{print $1 - $2}')"
done
