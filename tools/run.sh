#!/usr/bin/env bash
# Quick start for a fresh Debian 12 machine with g++, cmake and git:
#   tools/run.sh report   build everything and write the report of the bundled sample log into report/
#   tools/run.sh test     build everything and run the whole test suite
# Missing Debian packages are installed when run as root; otherwise the one apt-get line is printed.
# Extra CMake arguments: TRAINSCOPE_CMAKE_ARGS="-DTRAINSCOPE_WERROR=ON" tools/run.sh test
set -euo pipefail
cd "$(dirname "$0")/.."

what=${1:-}
case "$what" in
  report|test) ;;
  *) echo "usage: tools/run.sh report|test" >&2; exit 64 ;;
esac

packages=(cmake g++ make pkg-config libsimdjson-dev libeigen3-dev doctest-dev librsvg2-dev)
# the test suite also validates the JSON output against its schema
[ "$what" = test ] && packages+=(python3 python3-jsonschema)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [ "$(id -u)" -eq 0 ]; then
    echo "tools/run.sh: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  else
    echo "tools/run.sh: missing Debian packages; run:" >&2
    echo "  sudo apt-get install -y ${missing[*]}" >&2
    exit 69
  fi
fi

build=${TRAINSCOPE_BUILD_DIR:-build}
jobs=$(nproc 2>/dev/null || echo 2)
# shellcheck disable=SC2086
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release ${TRAINSCOPE_CMAKE_ARGS:-} >/dev/null
cmake --build "$build" -j "$jobs"

if [ "$what" = report ]; then
  "$build/bin/trainscope" report examples/data/training_log.jsonl -o report
  echo "report: $(pwd)/report/report.md"
else
  ctest --test-dir "$build" --output-on-failure -j "$jobs"
fi
