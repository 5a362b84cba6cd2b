"""The agent's journald source: kernel records/s from a real journal file through `journalctl -o
json` and the chain, and the CPU that costs (ours and journalctl's).

    python bench/bench_journald.py [--entries 100000] [--tcp-share 0.25] [--runs 3]

A journal file of `--entries` kernel-transport entries (one in four a TCP SYN-flood line, the
rest ordinary kernel noise) is written once by systemd-journal-remote. Each run is a first
start of `JournaldSource` on it (the catch-up journalctl run, then the follow run), read until
every entry came out, each record through the chain (envelope, catalog, event, no enrichment).
Wall time from the start to the last record; CPU: this process (source + chain) and the
journalctl children. Prints a Markdown table with the median of the runs.
"""

from __future__ import annotations

import argparse
import importlib.util
import resource
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from pipeline.chain import Chain
from pipeline.events import Event
from pipeline.settings import ParseSettings
from pipeline.sources.journald import JournaldSource

ROOT = Path(__file__).resolve().parent.parent
SYN = "TCP: request_sock_TCP: Possible SYN flooding on port {port}. Sending cookies."
NOISE = "IPv6: ADDRCONF(NETDEV_CHANGE): veth{n:x}: link becomes ready"
BOOT = "be" * 16


def load_journal_files() -> Any:
    path = ROOT / "tests" / "journal_files.py"
    spec = importlib.util.spec_from_file_location("ktcp_journal_files", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["ktcp_journal_files"] = module  # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    return module


def message(n: int, every: int) -> str:
    return SYN.format(port=n % 65536) if every and n % every == 0 else NOISE.format(n=n)


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(directory: Path, entries: int) -> tuple[float, float, float, int]:
    """(seconds, our CPU seconds, journalctl CPU seconds, events)."""
    chain = Chain(ParseSettings(timezone="UTC"))
    stop = threading.Event()
    read = events = 0
    cpu_before, children_before = time.process_time(), children_cpu()
    started = time.perf_counter()
    batches = JournaldSource(directory).batches(None, stop)
    for batch in batches:
        for raw in batch.lines:
            read += 1
            events += isinstance(chain.process(raw), Event)
        if read >= entries:
            break
    seconds = time.perf_counter() - started
    stop.set()
    batches.close()  # type: ignore[attr-defined]  # ends (and reaps) journalctl
    return (
        seconds,
        time.process_time() - cpu_before,
        children_cpu() - children_before,
        events,
    )


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--entries", type=int, default=100_000)
    args.add_argument("--tcp-share", type=float, default=0.25)
    args.add_argument("--runs", type=int, default=3)
    opts = args.parse_args()
    journal_files = load_journal_files()
    binary = journal_files.journal_remote()
    if binary is None:
        sys.exit("needs systemd-journal-remote (apt-get install systemd-journal-remote)")
    every = max(1, round(1 / opts.tcp_share)) if opts.tcp_share else 0
    with tempfile.TemporaryDirectory() as tmp:
        journal = journal_files.Journal(Path(tmp) / "journal", binary)
        written = 0
        while written < opts.entries:  # in slices: one export stream per 20,000 entries
            count = min(20_000, opts.entries - written)
            journal.append(
                [
                    journal.entry(message(n, every), BOOT, 1_000_000 + n * 100)
                    for n in range(written, written + count)
                ]
            )
            written += count
        runs = [run_once(journal.directory, opts.entries) for _ in range(opts.runs)]
    seconds = statistics.median(r[0] for r in runs)
    ours = statistics.median(r[1] for r in runs)
    theirs = statistics.median(r[2] for r in runs)
    events = runs[0][3]
    print(f"| measure | median of {opts.runs} runs |\n|---|---|")
    print(f"| entries (kernel transport) / TCP events | {opts.entries:,} / {events:,} |")
    print(f"| records/s, journalctl -o json -> source -> chain | {opts.entries / seconds:,.0f} |")
    print(f"| CPU per 10,000 records: ktcp (source + chain) | {ours / opts.entries * 1e4:.2f} s |")
    print(f"| CPU per 10,000 records: journalctl | {theirs / opts.entries * 1e4:.2f} s |")


if __name__ == "__main__":
    main()
