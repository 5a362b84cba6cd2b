"""Cost of `ktcp report` over many events: rows from NDJSON documents, then the report.

    python bench/bench_report.py [--events N ...] [--runs R]

Writes N window-shrink documents (2,000 peers on 40 networks, ten events a second, so each
peer's events are 200 s apart and form long episodes) as
`parse -o ndjson` would, then times, in one process: reading the documents into rows
(JSON decoding, de-duplication) and building the report (timeline, top lists, episodes,
findings). Prints medians over R runs, the time per event and the peak RSS of the process.
Parsing the kernel log itself is bench_parse.py's figure.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pipeline.report.build import build_report
from pipeline.report.sources import Collector

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def write_documents(path: Path, events: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        for i in range(events):
            net = i % 40
            peer = f"10.{net}.{(i % 2000) // 40}.1"
            doc = {
                "@timestamp": (T0 + timedelta(seconds=i / 10)).isoformat().replace("+00:00", "Z"),
                "event": {"dataset": "kernel.tcp", "action": "tcp-window-shrink", "id": f"e{i}"},
                "host": {"name": "web1"},
                "source": {"ip": peer, "port": 40000 + i % 3,
                           "as": {"number": 64500 + net, "organization": {"name": f"Net {net}"}}},
                "destination": {"port": 80 if i % 5 else 443},
                "ktcp": {"isp": {"name": f"Net {net}"},
                         "window": {"bytes_outstanding": 1 if i % 4 else 1460}},
            }  # fmt: skip
            out.write(json.dumps(doc) + "\n")


def run(path: Path) -> tuple[float, float]:
    started = time.perf_counter()
    collector = Collector()
    with path.open("rb") as f:
        for line in f:
            collector.add_line(line)
    read = time.perf_counter() - started
    report = build_report(collector.rows, collector.summary(None), host_values=False)
    assert report.inputs.events == len(collector.rows)
    return read, time.perf_counter() - started - read


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print("| events | read documents | build report | per event |")
    print("|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.events:
            path = Path(tmp) / f"events-{n}.ndjson"
            write_documents(path, n)
            timings = [run(path) for _ in range(args.runs)]
            read = statistics.median(t[0] for t in timings)
            build = statistics.median(t[1] for t in timings)
            print(f"| {n:,} | {read:.2f} s | {build:.2f} s | {(read + build) / n * 1e6:.1f} µs |")
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak_mib:.0f} MiB")


if __name__ == "__main__":
    main()
