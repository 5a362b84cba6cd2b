"""The torture corpus (tests/data/catalog/nasty.log): time per line, to catch a regex that
backtracks badly on very long or malformed lines.

Run: python bench/bench_nasty.py   (prints the total and the slowest lines, median of 5 runs)
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from pipeline.catalog import classify
from pipeline.chain import Chain, decode
from pipeline.records import RawLine
from pipeline.settings import ParseSettings

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "data" / "catalog" / "nasty.log"
REPEATS = 5


def main() -> None:
    lines = [decode(line) for line in CORPUS.read_bytes().split(b"\n")[:-1]]
    per_line: list[list[float]] = [[] for _ in lines]
    for _ in range(REPEATS):
        classify.cache_clear()  # every run classifies every line again
        chain = Chain(ParseSettings(timezone="UTC"))
        for i, line in enumerate(lines):
            started = time.perf_counter()
            chain.process(RawLine(line))
            per_line[i].append(time.perf_counter() - started)
    medians = [statistics.median(times) for times in per_line]
    print(f"{len(lines)} lines, {sum(medians) * 1e3:.1f} ms in all (median of {REPEATS} runs)")
    slowest = sorted(range(len(lines)), key=medians.__getitem__, reverse=True)[:5]
    for i in slowest:
        print(f"  {medians[i] * 1e3:8.2f} ms  {len(lines[i]):>9} chars  {lines[i][:60]!r}")


if __name__ == "__main__":
    main()
