"""Parser throughput: `ktcp parse --output ndjson > /dev/null` on generated logs.

Run: python bench/bench_parse.py [--lines 1000000] [--runs 3]
Prints lines/s, TCP events/s and the child's peak RSS (median of the runs), for a TCP-only log,
a mixed log (2% TCP) and the TCP-only log with RFC 3339 stamps (RSYSLOG_FileFormat).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import generate
from installed import child_env

OUT = Path(__file__).resolve().parent / "out"
ENV = child_env()  # bytecode compiled and used, as installed


def run_once(path: Path) -> tuple[float, float, float, int]:
    """Wall seconds (start-up included), the run's own seconds (its summary), CPU seconds
    (user + system, start-up included: what a loaded machine does not inflate), peak RSS (KiB)."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", "parse", str(path), "--output", "ndjson"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=ENV,
    )
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)  # this child's own peak RSS
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"ktcp parse failed ({proc.returncode}): {err.decode()}")
    # "ktcp: read 1,000,000 lines in 1.09 s, ..." : reading and parsing, start-up excluded
    summary = err.decode().splitlines()[0]
    inner = float(summary.split(" in ")[1].split(" s")[0])
    return wall, inner, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def measure(label: str, lines: int, share: float, runs: int, rfc3339: bool = False) -> None:
    OUT.mkdir(exist_ok=True)
    path = OUT / f"{label}-{lines}.log"
    tcp = generate(path, lines, share, rfc3339=rfc3339)
    walls, inners, cpus, peaks = [], [], [], []
    for _ in range(runs):
        wall, inner, cpu, peak = run_once(path)
        walls.append(wall)
        inners.append(inner)
        cpus.append(cpu)
        peaks.append(peak)
    wall, inner, cpu = statistics.median(walls), statistics.median(inners), statistics.median(cpus)
    rss = max(peaks)
    print(
        f"{label:>8}: {lines:,} lines ({tcp:,} TCP), median of {runs}: "
        f"wall {wall:.2f} s = {lines / wall:,.0f} lines/s, {tcp / wall:,.0f} TCP events/s; "
        f"without start-up {inner:.2f} s = {lines / inner:,.0f} lines/s, "
        f"{tcp / inner:,.0f} TCP events/s; CPU {cpu:.2f} s = {lines / cpu:,.0f} lines/s, "
        f"{tcp / cpu:,.0f} TCP events/s; peak RSS (largest run) {rss / 1024:.1f} MiB"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--tcp-lines", type=int, default=200_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument(
        "--memory-check", action="store_true", help="also parse a 3x larger mixed log (RSS)"
    )
    args = ap.parse_args()
    measure("tcp-only", args.tcp_lines, 1.0, args.runs)
    measure("mixed", args.lines, 0.02, args.runs)
    # the same TCP-only log with rsyslog's RFC 3339 stamps (recent Ubuntu's kern.log)
    measure("tcp-3339", args.tcp_lines, 1.0, args.runs, rfc3339=True)
    if args.memory_check:
        measure("mixed-3x", 3 * args.lines, 0.02, 1)


if __name__ == "__main__":
    main()
