#!/usr/bin/env python3
"""Run a command several times and print median wall time, CPU time and peak memory.

    bench/measure.py [--runs N] [--label TEXT] [--prepare SHELL] [--no-warm] -- COMMAND...

`--prepare` runs before every run (and is not timed): to start each run from the same
state, such as an empty output folder. `--no-warm` skips the untimed first run.

Uses wait4() so CPU time and peak RSS are the command's own, with nothing else installed.
"""

import argparse
import json
import os
import statistics
import subprocess
import time


def run_once(command):
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, code


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--label", default="")
    parser.add_argument("--prepare", default=None)
    parser.add_argument("--no-warm", action="store_true")
    parser.add_argument("--json", default=None, help="append the result as a JSON line here")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    def prepared():
        if args.prepare:
            subprocess.run(["sh", "-c", args.prepare], check=True)
        return run_once(command)

    if not args.no_warm:
        prepared()  # warm the page cache
    results = [prepared() for _ in range(args.runs)]
    wall = statistics.median(r[0] for r in results)
    cpu = statistics.median(r[1] for r in results)
    rss = max(r[2] for r in results)
    codes = sorted({r[3] for r in results})
    label = args.label or " ".join(command)
    print(f"{label:<44} wall {wall:8.3f} s   cpu {cpu:8.3f} s   peak {rss:8.1f} MiB   exit {codes}")
    if args.json:
        with open(args.json, "a") as out:
            out.write(json.dumps({"label": label, "wall": wall, "cpu": cpu, "peak_mib": rss,
                                  "runs": [r[0] for r in results], "exit": codes}) + "\n")


if __name__ == "__main__":
    main()
