"""Parser throughput: `ktcp parse --output ndjson > /dev/null` on generated logs.

Run: python bench/bench_parse.py [--lines 1000000] [--runs 3]
Prints lines/s, TCP events/s and the child's peak RSS (median of the runs).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import generate

OUT = Path(__file__).resolve().parent / "out"


def run_once(path: Path) -> tuple[float, int]:
    """Seconds and peak RSS (KiB) of one parse run in a fresh child."""
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "parse", str(path), "--output", "ndjson"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        check=True,
    )
    seconds = time.perf_counter() - started
    del proc
    return seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss


def measure(label: str, lines: int, share: float, runs: int) -> None:
    OUT.mkdir(exist_ok=True)
    path = OUT / f"{label}-{lines}.log"
    tcp = generate(path, lines, share)
    times = []
    rss = 0
    for _ in range(runs):
        seconds, rss = run_once(path)
        times.append(seconds)
    median = statistics.median(times)
    print(
        f"{label:>8}: {lines:,} lines ({tcp:,} TCP), median {median:.2f} s of {runs}: "
        f"{lines / median:,.0f} lines/s, {tcp / median:,.0f} TCP events/s, "
        f"peak RSS {rss / 1024:.0f} MiB (max over runs)"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--tcp-lines", type=int, default=200_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    measure("mixed", args.lines, 0.02, args.runs)
    measure("tcp-only", args.tcp_lines, 1.0, args.runs)


if __name__ == "__main__":
    main()
