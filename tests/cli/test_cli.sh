#!/usr/bin/env bash
# The command-line program as a Unix tool: exit codes, stdout/stderr, bad input, every real log.
# usage: test_cli.sh TRAINSCOPE_BINARY SOURCE_DIR REAL_LOGS_DIR
set -u
bin=$1 src=$2 real=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
ok() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "FAILED: $*" >&2; }

# expect CODE DESCRIPTION -- command...   (stdout in $tmp/out, stderr in $tmp/err)
expect() {
  local want=$1 what=$2; shift 3
  "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
  local got=$?
  if [ "$got" -eq "$want" ]; then ok; else fail "$what: exit $got, want $want; stderr: $(head -c 400 "$tmp/err")"; fi
}
stderr_has() { if grep -q -- "$1" "$tmp/err"; then ok; else fail "stderr lacks '$1': $(head -c 400 "$tmp/err")"; fi; }
stdout_is_json() {
  if python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$tmp/out" 2>/dev/null; then ok; else fail "$1: stdout is not one JSON document"; fi
}

sample=$src/examples/data/training_log.jsonl

expect 0 "--help" -- "$bin" --help
grep -q "Exit codes" "$tmp/out" && ok || fail "--help lacks exit codes"
expect 0 "--version" -- "$bin" --version
grep -q "^trainscope [0-9]" "$tmp/out" && ok || fail "--version output"
expect 64 "no arguments" -- "$bin"
expect 64 "unknown command" -- "$bin" frobnicate x
expect 64 "unknown option" -- "$bin" analyze "$sample" --bogus
expect 64 "report without -o" -- "$bin" report "$sample"
expect 64 "bad --lr-at" -- "$bin" analyze "$sample" --lr-at 10,x
expect 64 "bad --fail-on" -- "$bin" check "$sample" --fail-on nonsense

# the sample log
expect 0 "analyze --json" -- "$bin" analyze "$sample" --json --lr-at 100,500,11760,20000
stdout_is_json "analyze --json"
python3 - "$tmp/out" <<'PY' && ok || fail "lr_at values"
import json, sys
d = json.load(open(sys.argv[1]))
lr = d["schedule"]["lr_at"]
assert set(lr) == {"100", "500", "11760", "20000"}, lr
assert d["diagnosis"]["verdict"] in ("well_fit", "under_trained"), d["diagnosis"]["verdict"]
assert d["steps"]["last"] == 11760 and d["source"]["format"] == "jsonl"
PY
if python3 -c 'import jsonschema' 2>/dev/null; then
  python3 - "$src/docs/analysis.schema.json" "$tmp/out" <<'PY' && ok || fail "JSON does not validate against docs/analysis.schema.json"
import json, sys, jsonschema
jsonschema.validate(json.load(open(sys.argv[2])), json.load(open(sys.argv[1])))
PY
fi
expect 0 "stdin" -- sh -c "\"$bin\" analyze - --json < \"$sample\""
stdout_is_json "stdin"
# A file is read with summaries of its epoch and wall-time columns, standard input with the columns: the same
# JSON but for the path. A log that resumes cannot be summarized, so the file is read again with the columns.
same_json_as_stdin() {
  "$bin" analyze "$1" --json >"$tmp/from_file" 2>/dev/null && "$bin" analyze - --json <"$1" >"$tmp/from_stdin" 2>/dev/null &&
  python3 - "$tmp/from_file" "$tmp/from_stdin" "$2" <<'PY' && ok || fail "$2: analyze of the file and of stdin differ"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
a.pop("source"), b.pop("source")
assert a == b, sys.argv[3]
assert a["run"]["epochs"] is not None and a["run"]["wall_time_s"] is not None, sys.argv[3]
PY
}
same_json_as_stdin "$sample" "summaries of the sample log"
python3 - "$tmp/resumed.jsonl" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    for step in list(range(1, 301)) + list(range(201, 401)):  # resumed from the checkpoint at step 200
        f.write(json.dumps({"step": step, "loss": 3 - step / 1000, "lr": 1e-3, "epoch": step / 150, "time": 100 + step}) + "\n")
        if step % 50 == 0:
            f.write(json.dumps({"step": step, "val_loss": 3.1 - step / 2000, "epoch": step / 150}) + "\n")
PY
same_json_as_stdin "$tmp/resumed.jsonl" "a resumed log"
expect 0 "report" -- sh -c "cd \"$src\" && \"$bin\" report examples/data/training_log.jsonl -o \"$tmp/rep\""
for f in report.md train_val_loss.svg perplexity_gap.svg lr_schedule.svg; do
  [ -s "$tmp/rep/$f" ] && ok || fail "report did not write $f"
done
# PNG copies (librsvg is loaded at run time): each is a PNG, or the program said why there is none
for f in train_val_loss perplexity_gap lr_schedule; do
  if [ -e "$tmp/rep/$f.png" ]; then
    [ "$(head -c 4 "$tmp/rep/$f.png" | tail -c 3)" = "PNG" ] && ok || fail "$f.png is not a PNG"
  elif ! grep -q "no PNG copy" "$tmp/err"; then
    echo "no PNG figures: this build has no librsvg headers" >&2
  fi
done
# the copy of the sample report in docs/ is what the program writes today
if diff -q "$tmp/rep/report.md" "$src/docs/sample-report/report.md" >/dev/null; then ok; else
  fail "docs/sample-report/report.md is stale: regenerate it with trainscope report examples/data/training_log.jsonl -o docs/sample-report"; fi
expect 0 "check passes" -- "$bin" check "$sample" --fail-on overfitting,diverged
expect 1 "check fails on its verdict" -- "$bin" check "$sample" --fail-on well_fit,under_trained

# a file name that is not UTF-8 still gives a valid JSON document
odd="$tmp/run-$(printf '\377').jsonl"
cp "$sample" "$odd"
expect 0 "a non-UTF-8 file name" -- "$bin" analyze "$odd" --json
stdout_is_json "a non-UTF-8 file name"

# bad input: clear message naming file and line, the right exit code
printf '{"step":1,"loss":2.0}\n{"step":2,"loss":1.9\n{"step":3,"loss":1.8}\n' >"$tmp/malformed.jsonl"
expect 0 "a malformed line is skipped" -- "$bin" analyze "$tmp/malformed.jsonl" --json
stderr_has "malformed.jsonl:2"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["diagnostics"]["skipped_records"]==1' "$tmp/out" && ok || fail "skipped count"
printf '{"step":1,"loss":2.0}\n{"step":2,"loss":"abc"}\n{"step":3,"loss":1.8}\n' >"$tmp/nonnum.jsonl"
expect 0 "a non-numeric loss is skipped" -- "$bin" analyze "$tmp/nonnum.jsonl"
stderr_has "nonnum.jsonl:2"
stderr_has "loss"
printf '{"step":1,"loss":2.0}\n{"step":2,"loss":1.9}\n{"step":3,"lo' >"$tmp/truncated.jsonl"
expect 0 "a truncated last line" -- "$bin" analyze "$tmp/truncated.jsonl"
: >"$tmp/empty.jsonl"
expect 65 "an empty file" -- "$bin" analyze "$tmp/empty.jsonl"
stderr_has "empty.jsonl"
head -c 4096 /dev/urandom >"$tmp/garbage.bin"
expect 65 "binary garbage" -- "$bin" analyze "$tmp/garbage.bin"
stderr_has "garbage.bin"
expect 66 "a missing file" -- "$bin" analyze "$tmp/does-not-exist.jsonl"
stderr_has "does-not-exist.jsonl"
mkdir "$tmp/adir"
expect 66 "a directory" -- "$bin" analyze "$tmp/adir"
stderr_has "adir"
mkfifo "$tmp/fifo"
expect 66 "a FIFO is refused unless read as -" -- "$bin" analyze "$tmp/fifo"
expect 73 "an output folder that cannot be created" -- "$bin" report "$sample" -o /proc/trainscope-no/such

# threads change nothing: a 6 MB log (parsed in parallel past 4 MiB) with bad lines gives the same JSON
python3 - "$tmp/big.jsonl" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    for s in range(1, 40001):
        f.write('{"step": %d, "epoch": %.6f, "loss": %.9f, "lr": 0.0003, "grad_norm": %.4f, "time": %d}\n'
                % (s, s / 10000, 4 / (1 + s * 1e-4) + 0.01 * ((s * 7919) % 13 - 6) / 6, 1 + (s % 17) / 40, 1700000000 + s))
        if s % 500 == 0:
            f.write('{"step": %d, "val_loss": %.6f}\n' % (s, 3.9 / (1 + s * 1e-4)))
        if s % 9973 == 0:
            f.write('{"step": %d, "loss": }\n' % s)
PY
expect 0 "analyze --threads 1" -- "$bin" analyze "$tmp/big.jsonl" --json --threads 1
mv "$tmp/out" "$tmp/one.json"
expect 0 "analyze (default threads)" -- "$bin" analyze "$tmp/big.jsonl" --json
cmp -s "$tmp/one.json" "$tmp/out" && ok || fail "--threads changes the JSON"
expect 0 "analyze --threads 3" -- "$bin" analyze "$tmp/big.jsonl" --json --threads 3
cmp -s "$tmp/one.json" "$tmp/out" && ok || fail "--threads 3 changes the JSON"
grep -q '"skipped_records": 4' "$tmp/one.json" && ok || fail "the big log's 4 bad lines are not counted"

# a large file is read through a memory map: truncated by another process meanwhile, it gives a clear
# error and exit 74, not a crash (SIGBUS). The file is cut as soon as the map appears in /proc.
if [ -r /proc/self/maps ]; then
  for _ in 1 2 3 4 5 6 7 8 9 10; do cat "$tmp/big.jsonl"; done >"$tmp/shrinking.jsonl"
  "$bin" analyze "$tmp/shrinking.jsonl" --json --threads 1 >"$tmp/out" 2>"$tmp/err" </dev/null &
  pid=$!
  for _ in $(seq 1 5000); do grep -q shrinking.jsonl "/proc/$pid/maps" 2>/dev/null && break; sleep 0.001; done
  : >"$tmp/shrinking.jsonl"
  wait "$pid"
  got=$?
  if [ "$got" -eq 74 ]; then ok; else fail "a file truncated while read: exit $got, want 74; stderr: $(head -c 400 "$tmp/err")"; fi
  stderr_has "truncated while it was read"
fi

# every real log opens without flags, and gives a report
if [ -d "$real" ]; then
  while IFS= read -r -d '' f; do
    expect 0 "analyze $(basename "$f")" -- "$bin" analyze "$f" --json
    stdout_is_json "$(basename "$f")"
    expect 0 "report $(basename "$f")" -- "$bin" report "$f" -o "$tmp/real-$(basename "$f")"
  done < <(find "$real" -type f ! -name '*.md' -print0 | sort -z)
else
  echo "real logs not found at $real: skipped those checks" >&2
fi

echo "cli: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
