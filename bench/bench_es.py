"""Events per second shipped into one Elasticsearch node: bulk helper x documents per request.

    python bench/bench_es.py [--events 200000] [--runs 3] [--url URL]

Without --url (or KTCP_BENCH_ES_URL) it starts the test node (tests/elasticsearch/esnode.py)
and stops it at the end. Each configuration ships the same generated kernel log through the
real path (parse -> ECS -> ElasticsearchSink) into a data stream of its own, after
`ktcp setup elasticsearch`'s templates are installed. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from es_target import elasticsearch_with_templates

from pipeline.chain import Chain
from pipeline.drivers.inputs import read_input
from pipeline.drivers.run import run
from pipeline.settings import ES_THREADS, ParseSettings
from pipeline.sinks.elasticsearch import BulkHelper, open_sink

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = [
    (BulkHelper.STREAMING, 500),
    (BulkHelper.STREAMING, 1000),
    (BulkHelper.STREAMING, 2000),
    (BulkHelper.STREAMING, 5000),
    (BulkHelper.PARALLEL, 500),
    (BulkHelper.PARALLEL, 1000),
    (BulkHelper.PARALLEL, 2000),
    (BulkHelper.PARALLEL, 5000),
]


def write_log(path: Path, events: int) -> None:
    """Window-shrink lines from many peers in a dmesg envelope, one in five a non-TCP line."""
    rng = random.Random(20261124)
    with path.open("w") as out:
        for i in range(events):
            ip = (
                ".".join(
                    str(n)
                    for n in (
                        rng.choice((202, 210, 61, 114)),
                        rng.randrange(256),
                        rng.randrange(256),
                    )
                )
                + f".{rng.randrange(1, 255)}"
            )
            una = rng.randrange(2**32)
            nxt = (una + rng.randrange(1, 65536)) % 2**32
            port = rng.randrange(1024, 65536)
            out.write(
                f"[{1000 + i * 0.001:12.6f}] TCP: Treason uncloaked! Peer {ip}:{port}/80 "
                f"shrinks window {una}:{nxt}. Repaired.\n"
            )
            if i % 4 == 3:
                out.write(f"[{1000 + i * 0.001:12.6f}] usb 1-1: new high-speed USB device\n")


def ship_once(url: str, path: Path, helper: BulkHelper, chunk_docs: int) -> tuple[float, Any]:
    stream = f"logs-kernel.tcp-bench{uuid.uuid4().hex[:8]}"
    sink = open_sink(
        url=url, data_stream=stream, deadline_secs=120, helper=helper, chunk_docs=chunk_docs
    )
    started = time.perf_counter()
    result = run(Chain(ParseSettings(timezone="UTC")), [str(path)], read_input, sink)
    return time.perf_counter() - started, result.delivery


def parse_only(path: Path) -> float:
    class Discard:
        def send(self, documents: Any) -> None:
            pass

        def close(self) -> Any:
            from pipeline.sinks.base import Delivery

            return Delivery()

    started = time.perf_counter()
    run(Chain(ParseSettings(timezone="UTC")), [str(path)], read_input, Discard())
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--url", default=os.environ.get("KTCP_BENCH_ES_URL"))
    parser.add_argument("--runs", type=int, default=3, help="median of this many runs each")
    args = parser.parse_args()
    with elasticsearch_with_templates(args.url) as args.url, tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench-kern.log"
        write_log(path, args.events)
        base = parse_only(path)
        print(
            f"{args.events:,} events, {path.stat().st_size / 1e6:.1f} MB; parse only: "
            f"{base:.1f} s, {args.events / base:,.0f} events/s\n"
        )
        print(
            f"| helper | docs per request | threads | seconds (median of {args.runs}) "
            "| events/s |"
        )
        print("|---|---:|---:|---:|---:|")
        for helper, chunk in CONFIGS:
            times = []
            for _ in range(args.runs):
                seconds, delivery = ship_once(args.url, path, helper, chunk)
                assert delivery.created == args.events, delivery
                times.append(seconds)
            seconds = statistics.median(times)
            threads = ES_THREADS if helper is BulkHelper.PARALLEL else 1
            print(
                f"| {helper.value}_bulk | {chunk} | {threads} | {seconds:.1f} | "
                f"{args.events / seconds:,.0f} |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
