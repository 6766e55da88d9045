#!/usr/bin/env python3
"""Times what users would otherwise run on the same log, against trainscope, in one run.

usage: compare_tools.py [--no-pandas] LOG TRAINSCOPE_BINARY [BASELINE_BINARY]

Each contender runs as its own process (file in page cache after a warm-up read); wall time and peak
resident memory come from wait4's rusage. Runs are interleaved (round after round over all contenders),
so a shared machine's drift hits every contender alike; the best round counts. trainscope runs with its
default threads (the machine's cores) and with --threads 1; the two JSON documents must be identical. Python's json and pandas are timed when installed
(Debian: python3, python3-pandas; when this interpreter lacks pandas, /usr/bin/python3 is tried, as with a
pyenv python first on PATH). --no-pandas skips it (it holds about 14 times the file in memory: mind a 1 GB
log). Prints a Markdown table with throughput, memory and ratios.
"""
import os
import subprocess
import sys
import time

PY_JSON = r'''
import json, sys
steps, loss, lr, val = [], [], [], []
with open(sys.argv[1], "rb") as f:
    for line in f:
        if not line.strip():
            continue
        r = json.loads(line)
        if "val_loss" in r:
            val.append((r.get("step"), r["val_loss"]))
        elif "loss" in r:
            steps.append(r.get("step")); loss.append(r["loss"]); lr.append(r.get("lr"))
print(len(steps), len(val))
'''

PANDAS = r'''
import sys
import pandas as pd
df = pd.read_json(sys.argv[1], lines=True)
cols = [c for c in ("step", "loss", "lr", "val_loss") if c in df.columns]
print(df[cols].count().to_dict())
'''


# A child of this interpreter starts with the interpreter's peak RSS (about 14 MB) as its own: GNU time,
# a small program, reports the child's peak as the issue measures it. Without it, wait4's number is a floor.
GNU_TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None
RSS_MARK = "compare_tools peak KiB:"


def run(cmd, out_path=None):
    out = open(out_path, "wb") if out_path else subprocess.DEVNULL
    if GNU_TIME:
        cmd = [GNU_TIME, "-f", RSS_MARK + " %M"] + cmd
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if out_path:
        out.close()
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise RuntimeError(f"{cmd[0]} exited {code}: {err[:300]}")
    rss_kib = usage.ru_maxrss  # KiB on Linux
    for line in err.splitlines():
        if line.startswith(RSS_MARK):
            rss_kib = int(line[len(RSS_MARK):])
    return elapsed, rss_kib * 1024


def python_with(name):
    """An interpreter that can import `name`: this one, else the system's (Debian packages live there)."""
    for exe in (sys.executable, "/usr/bin/python3"):
        if os.path.exists(exe) and subprocess.run([exe, "-c", f"import {name}"], capture_output=True).returncode == 0:
            return exe
    return None


def main():
    args = sys.argv[1:]
    no_pandas = "--no-pandas" in args
    args = [a for a in args if a != "--no-pandas"]
    if len(args) < 2:
        print(__doc__, file=sys.stderr)
        return 64
    log, trainscope = args[0], args[1]
    baseline = args[2] if len(args) > 2 else None
    size = os.path.getsize(log)
    with open(log, "rb") as f:  # warm the page cache
        while f.read(1 << 24):
            pass
    cores = os.cpu_count() or 1
    contenders = [(f"trainscope analyze --json (default: {min(cores, 8)} threads)", [trainscope, "analyze", log, "--json", "-q"]),
                  ("trainscope analyze --json --threads 1", [trainscope, "analyze", log, "--json", "-q", "--threads", "1"])]
    if baseline:
        contenders.append(("plain simdjson program (baseline)", [baseline, log]))
    contenders.append(("python3 json, per line", [sys.executable, "-c", PY_JSON, log]))
    pandas_python = None if no_pandas else python_with("pandas")
    if pandas_python:
        contenders.append(("pandas read_json(lines=True)", [pandas_python, "-c", PANDAS, log]))
    elif not no_pandas:
        print("pandas not installed (apt-get install python3-pandas): skipped", file=sys.stderr)
    best = {}
    outputs = [f"{log}.trainscope-{i}.json" for i in range(2)]  # the two trainscope runs' JSON
    try:
        for _ in range(3 if size < (300 << 20) else 1):
            for i, (name, cmd) in enumerate(contenders):
                t, rss = run(cmd, outputs[i] if i < 2 else None)
                if name not in best or t < best[name][0]:
                    best[name] = (t, rss)
                print(f"{name}: {t:.3f} s", file=sys.stderr)
        with open(outputs[0], "rb") as a, open(outputs[1], "rb") as b:
            same = a.read() == b.read()
    finally:
        for o in outputs:
            if os.path.exists(o):
                os.remove(o)
    if not same:
        print("trainscope's JSON differs between its default threads and --threads 1", file=sys.stderr)
        return 1
    print("trainscope's JSON: identical with default threads and with --threads 1", file=sys.stderr)
    results = [(name, *best[name]) for name, _ in contenders]
    ref = next((r for r in results if r[0].startswith("plain simdjson")), results[0])
    print(f"File: {size / 1e6:.0f} MB. Ratios against {ref[0]}.\n")
    print("| program | time (s) | MB/s | peak RSS (MB) | RSS / file size | speed vs reference |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, t, rss in results:
        print(f"| {name} | {t:.2f} | {size / 1e6 / t:.0f} | {rss / 1e6:.0f} | {rss / size:.2f} | {ref[1] / t:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
