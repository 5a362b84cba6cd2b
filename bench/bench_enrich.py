"""Enrichment throughput on a realistic mix: most lookups come from a few hundred peers.

    python bench/bench_enrich.py [--lookups N] [--runs R]

Each run resolves N addresses through a fresh resolver (bundled data, default cache size):
98% drawn from 300 recurring peers with a Zipf-like weight, 2% one-off addresses that miss the
cache. Prints lookups/s of each run and the median.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from dataclasses import replace
from ipaddress import IPv4Address, IPv6Address

from pipeline.chain import Chain
from pipeline.enrich import EnrichSettings, build_resolver
from pipeline.events import Event
from pipeline.records import RawLine

RECURRING_PEERS = 300
ONE_OFF_SHARE = 0.02
SEED = 4808


def workload(count: int) -> list[IPv4Address | IPv6Address]:
    rng = random.Random(SEED)
    peers: list[IPv4Address | IPv6Address] = [
        IPv4Address(rng.randrange(1 << 24, 223 << 24)) for _ in range(RECURRING_PEERS - 20)
    ]
    peers += [IPv6Address((0x2409_8000 << 96) + rng.randrange(1 << 64)) for _ in range(20)]
    weights = [1 / rank for rank in range(1, len(peers) + 1)]
    picks = rng.choices(peers, weights, k=count)
    for i in rng.sample(range(count), int(count * ONE_OFF_SHARE)):
        picks[i] = IPv4Address(rng.randrange(1 << 24, 223 << 24))
    return picks


def as_events(addresses: list[IPv4Address | IPv6Address]) -> list[Event]:
    """The same mix as events, to time the Chain's `enrich` call (resolver(event))."""
    line = "TCP: Treason uncloaked! Peer 192.0.2.1:57824/80 shrinks window 1:2. Repaired."
    template = Chain().process(RawLine(line))
    assert isinstance(template, Event)
    by_ip = {
        ip: replace(template, detail=template.detail.model_copy(update={"peer_ip": ip}))
        for ip in set(addresses)
    }
    return [by_ip[ip] for ip in addresses]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lookups", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    addresses = workload(args.lookups)
    events = as_events(addresses)
    lookups, calls = [], []
    for run in range(1, args.runs + 1):
        resolver = build_resolver(EnrichSettings())  # the bundled data loads once per process
        assert resolver is not None
        lookup = resolver.lookup
        start = time.perf_counter()
        for ip in addresses:
            lookup(ip)
        lookups.append(args.lookups / (time.perf_counter() - start))
        misses = lookup.cache_info().misses
        resolver = build_resolver(EnrichSettings())
        assert resolver is not None
        start = time.perf_counter()
        for event in events:
            resolver(event.detail)
        calls.append(args.lookups / (time.perf_counter() - start))
        print(
            f"run {run}: lookup(ip) {lookups[-1]:,.0f}/s, resolver(event) {calls[-1]:,.0f}/s"
            f" ({misses:,} cache misses)"
        )
    print(
        f"median over {args.runs} runs: lookup(ip) {statistics.median(lookups):,.0f}/s, "
        f"resolver(event) {statistics.median(calls):,.0f}/s"
    )


if __name__ == "__main__":
    main()
