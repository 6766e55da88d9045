#!/bin/bash
# Compares `trainscope analyze --json` of two builds, byte for byte, on every real log, every log under tests/data
# and any extra logs given (e.g. generated seed logs), with and without --restart merge. For changes that must not
# change results (speed work): prints the logs whose output differs; exit status 1 when any does.
#
#   benchmarks/compare_analyze_json.sh OLD_CLI NEW_CLI [EXTRA_LOG...]
#   e.g. benchmarks/compare_analyze_json.sh build-main/bin/trainscope build/bin/trainscope /tmp/seed10.jsonl
set -u
if [ $# -lt 2 ]; then
  echo "usage: $0 OLD_CLI NEW_CLI [EXTRA_LOG...]" >&2
  exit 64
fi
old=$1 new=$2
shift 2
here=$(cd "$(dirname "$0")/.." && pwd)
real=${TRAINSCOPE_REAL_LOGS_DIR:-$here/../shared/real-logs}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
files=$( (find "$real" -type f ! -name SOURCES.md; find "$here/tests/data" -type f; printf '%s\n' "$@") | sort)
n=0 differ=0
for f in $files; do
  for extra in "" "--restart merge"; do
    # shellcheck disable=SC2086
    "$old" analyze "$f" --json -q $extra > "$tmp/old" 2>/dev/null
    # shellcheck disable=SC2086
    "$new" analyze "$f" --json -q $extra > "$tmp/new" 2>/dev/null
    n=$((n + 1))
    if ! cmp -s "$tmp/old" "$tmp/new"; then
      echo "differs: $f $extra"
      diff "$tmp/old" "$tmp/new" | head -6
      differ=$((differ + 1))
    fi
  done
done
echo "$differ of $n outputs differ"
[ "$differ" -eq 0 ]
