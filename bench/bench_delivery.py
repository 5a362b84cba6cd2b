"""Costs of delivery safety: the durable spool write, and exec-filter's per-record CPU.

    python bench/bench_delivery.py [--messages 200] [--lines 100000] [--runs 3]

spool: wall time of `Spool.add` for one forward message of 500 events (~120 KB), which writes
a temporary file, fsyncs it, renames it and fsyncs the directory; the figure is the price of
"a crash loses nothing that reached the spool", paid once per batch. Measured in a temporary
directory under --dir (default: the system's temporary directory; use the spool's real disk).
exec-filter: CPU seconds (process time, so other jobs on the machine matter less) of the
in-process filter over a generated kernel log sent as Fluentd's msgpack records
(`{"message": <bin line>}`), enrichment off: records/s. Prints the median of the runs.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

import msgpack

from pipeline.chain import Chain
from pipeline.drivers.exec_filter import ExecFilter, FilterSettings
from pipeline.settings import ParseSettings
from pipeline.sinks.fluentd.spool import Spool

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import generate

MESSAGE_BYTES = 120_000  # a PackedForward message of 500 ECS documents
READ_BYTES = 1 << 16  # what exec-filter reads from its stdin at once


def spool_add_secs(directory: str | None, messages: int) -> float:
    with tempfile.TemporaryDirectory(dir=directory) as where:
        spool = Spool(Path(where))
        started = time.perf_counter()
        for i in range(messages):
            spool.add(b"x" * MESSAGE_BYTES, 500, f"bench{i}")
        seconds = (time.perf_counter() - started) / messages
        spool.close()
    return seconds


def exec_filter_cpu_secs(stream: bytes) -> tuple[float, int]:
    stage = ExecFilter(
        Chain(ParseSettings(timezone="UTC")), FilterSettings(), io.BytesIO(), lambda _: None
    )
    started = time.process_time()
    for i in range(0, len(stream), READ_BYTES):
        stage.feed(stream[i : i + READ_BYTES])
    stage.finish()
    return time.process_time() - started, stage.stats.events


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--messages", type=int, default=200)
    args.add_argument("--lines", type=int, default=100_000)
    args.add_argument("--runs", type=int, default=3)
    args.add_argument("--dir", default=None)
    opts = args.parse_args()
    add = statistics.median(spool_add_secs(opts.dir, opts.messages) for _ in range(opts.runs))
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "kern.log"
        generate(log, opts.lines, 0.2)
        lines = log.read_bytes().splitlines()
    packer = msgpack.Packer(use_bin_type=True)
    stream = b"".join(packer.pack({"message": line}) for line in lines)
    runs = [exec_filter_cpu_secs(stream) for _ in range(opts.runs)]
    cpu = statistics.median(s for s, _ in runs)
    print("| measure | median of runs |")
    print("|---|---|")
    print(f"| spool add, 500-event message, fsync'ed | {add * 1000:.2f} ms |")
    print(
        f"| exec-filter in-process, {len(lines):,} records ({runs[0][1]:,} events) | "
        f"{len(lines) / cpu:,.0f} records/s of CPU |"
    )


if __name__ == "__main__":
    main()
