"""`ktcp agent` under a steady kernel log: CPU (% of one core) and RSS at several line rates, and
the time from a line written to its document being searchable in Elasticsearch (p50, p99).

    python bench/bench_agent.py [--seconds 30] [--rates 100,1000,10000] [--url URL] [--enrich]

Without --url (or KTCP_BENCH_ES_URL) it starts the test node (tests/elasticsearch/esnode.py).
For each rate, a fresh agent follows a fresh file (`--source file`) into a data stream of its
own; a writer appends lines in 10 ms ticks, one line in four a TCP event (a SYN flood, or a
window shrink from a public peer that enrichment looks up), the rest ordinary kernel noise.
CPU is the agent's user+system time over the measured window (after a warm-up); RSS is sampled
every 0.5 s. Latency: a poller searches the data stream every 50 ms for offsets it has not seen
(no forced refresh: "searchable" includes Elasticsearch's 1 s refresh); each TCP line's latency
is the time its document first appeared minus the time it was written. Enrichment is off
unless --enrich (bundled data).
Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import psutil
from es_target import elasticsearch_with_templates

ROOT = Path(__file__).resolve().parent.parent
TICK_SECS = 0.01
WARMUP_SECS = 3.0
SYN = (
    "Dec  1 03:00:00 node1 kernel: [{n:9d}.000001] TCP: request_sock_TCP: Possible SYN flooding "
    "on port {port}. Sending cookies.  Check SNMP counters.\n"
)
SHRINK = (
    "Dec  1 03:00:00 node1 kernel: [{n:9d}.000003] Peer {ip}:{port}/443 unexpectedly shrunk "
    "window 1:2 (repaired)\n"
)
NOISE = (
    "Dec  1 03:00:00 node1 kernel: [{n:9d}.000002] IPv6: ADDRCONF(NETDEV_CHANGE): "
    "veth{n:x}: link becomes ready\n"
)


class Writer(threading.Thread):
    """Appends `rate` lines/s in 10 ms ticks; remembers when each TCP line's offset was written."""

    def __init__(self, path: Path, rate: int, seconds: float) -> None:
        super().__init__(daemon=True)
        self.path, self.rate, self.seconds = path, rate, seconds
        self.written_at: dict[int, float] = {}
        self.lines = 0

    def run(self) -> None:
        started = time.monotonic()
        ticks = int(self.seconds / TICK_SECS)
        carry = 0.0
        with self.path.open("ab") as out:
            offset = out.tell()
            for tick in range(ticks):
                carry += self.rate * TICK_SECS
                count, carry = int(carry), carry - int(carry)
                chunk = []
                stamp = time.monotonic()
                for _ in range(count):
                    n = self.lines
                    template = (SYN, NOISE, NOISE, NOISE, SHRINK, NOISE, NOISE, NOISE)[n % 8]
                    ip = f"{(202, 61, 114, 8)[n % 3]}.{n % 251}.{n // 251 % 251}.{n % 7 + 1}"
                    line = template.format(n=n, port=n % 65536, ip=ip).encode()
                    if n % 4 == 0:
                        self.written_at[offset] = stamp
                    chunk.append(line)
                    offset += len(line)
                    self.lines += 1
                out.write(b"".join(chunk))
                out.flush()
                delay = started + (tick + 1) * TICK_SECS - time.monotonic()
                if delay > 0:
                    time.sleep(delay)


class Poller(threading.Thread):
    """Searches for new offsets every 50 ms; records when each document was first found."""

    def __init__(self, es: Any, index: str) -> None:
        super().__init__(daemon=True)
        self.es, self.index = es, index
        self.seen_at: dict[int, float] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        last = -1
        while not self.stop.is_set():
            try:
                found = self.es.search(
                    index=self.index,
                    query={"range": {"log.offset": {"gt": last}}},
                    sort=[{"log.offset": "asc"}],
                    size=10_000,
                    source=["log.offset"],
                )
            except Exception:  # the data stream does not exist yet
                self.stop.wait(0.05)
                continue
            now = time.monotonic()
            for hit in found["hits"]["hits"]:
                offset = int(hit["_source"]["log"]["offset"])
                self.seen_at.setdefault(offset, now)
                last = max(last, offset)
            self.stop.wait(0.05)


def measure(url: str, rate: int, seconds: float, enrich: bool, es: Any) -> dict[str, float]:
    stream = f"logs-kernel.tcp-bench{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "kern.log"
        log.touch()
        argv = [
            sys.executable, "-m", "pipeline.cli", "agent", "--source", "file", "--path", str(log),
            "--elasticsearch", url, "--data-stream", stream, "--state-dir", f"{tmp}/state",
            "--http", "off", "--log-format", "text",
        ]  # fmt: skip
        if not enrich:
            argv.append("--no-enrich")
        agent = subprocess.Popen(
            argv, stderr=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)}
        )
        try:
            assert agent.stderr is not None
            for line in agent.stderr:  # until the loop runs
                if b"started" in line:
                    break
            threading.Thread(target=lambda: agent.stderr.read(), daemon=True).start()  # type: ignore[union-attr]
            proc = psutil.Process(agent.pid)
            writer = Writer(log, rate, seconds)
            poller = Poller(es, stream)
            writer.start()
            poller.start()
            time.sleep(WARMUP_SECS)
            cpu0, wall0 = proc.cpu_times(), time.monotonic()
            warm = wall0
            rss: list[int] = []
            while writer.is_alive():
                rss.append(proc.memory_info().rss)
                time.sleep(0.5)
            cpu1, wall1 = proc.cpu_times(), time.monotonic()
            deadline = time.monotonic() + 60
            while len(poller.seen_at) < len(writer.written_at) and time.monotonic() < deadline:
                time.sleep(0.1)
            poller.stop.set()
            poller.join()
        finally:
            agent.send_signal(signal.SIGTERM)
            agent.wait(60)
    used = (cpu1.user + cpu1.system) - (cpu0.user + cpu0.system)
    # Lines of the warm-up are left out: their latency includes creating the data stream.
    measured = {o: t for o, t in writer.written_at.items() if t >= warm}
    latencies = sorted(poller.seen_at[o] - t for o, t in measured.items() if o in poller.seen_at)
    missing = len(measured) - len(latencies)
    return {
        "cpu": 100 * used / (wall1 - wall0),
        "rss_mib": statistics.median(rss) / 2**20,
        "rss_max_mib": max(rss) / 2**20,
        "p50": latencies[len(latencies) // 2],
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        "events": len(latencies),
        "missing": missing,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rates", default="100,1000,10000")
    parser.add_argument("--url", default=os.environ.get("KTCP_BENCH_ES_URL"))
    parser.add_argument("--enrich", action="store_true", help="bundled enrichment on")
    args = parser.parse_args()
    from elasticsearch import Elasticsearch

    with elasticsearch_with_templates(args.url) as args.url:
        es = Elasticsearch(args.url, request_timeout=30)
        print(f"enrichment: {'bundled' if args.enrich else 'off'}; {args.seconds:g} s per rate\n")
        print("| lines/s | CPU % of one core | RSS MiB (median / max) | searchable p50 | p99 |")
        print("|---:|---:|---:|---:|---:|")
        for rate in (int(r) for r in args.rates.split(",")):
            got = measure(args.url, rate, args.seconds, args.enrich, es)
            note = f" ({got['missing']:.0f} not seen)" if got["missing"] else ""
            print(
                f"| {rate:,} | {got['cpu']:.1f} | {got['rss_mib']:.0f} / {got['rss_max_mib']:.0f}"
                f" | {got['p50']:.2f} s | {got['p99']:.2f} s{note} |",
                flush=True,
            )
        es.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
