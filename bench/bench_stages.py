"""Where a TCP event's time goes: microseconds per stage for one realistic kern.log line.

Run: python bench/bench_stages.py   (prints µs per call, median of 5 repeats of 20,000 calls)
"""

from __future__ import annotations

import statistics
import timeit

import orjson

from pipeline import envelopes
from pipeline.catalog import CANDIDATE_RE, Match, candidate_span, classify
from pipeline.chain import Chain, decode
from pipeline.ecs import to_document
from pipeline.enrich import EnrichSettings, build_resolver
from pipeline.events import Event
from pipeline.records import RawLine

LINE = (
    "Nov 24 08:01:46 web1 kernel: [29024.392017] TCP: Treason uncloaked! Peer "
    "202.99.99.211:3760/80 shrinks window 1828242657:1828242673. Repaired."
)
CALLS = 20_000


def per_call_us(fn: object) -> float:
    runs = timeit.repeat(fn, number=CALLS, repeat=5)  # type: ignore[arg-type]
    return statistics.median(runs) / CALLS * 1e6


def main() -> None:
    raw = LINE.encode()
    env = envelopes.detect(LINE)
    found = classify(env.message)
    assert isinstance(found, Match)
    resolver = build_resolver(EnrichSettings())
    chain = Chain(enrich=resolver)
    event = chain.process(RawLine(LINE))
    assert isinstance(event, Event)
    doc = to_document(event)
    plain = Chain()
    stages = {
        "prefilter search (RE2 public API, one line)": lambda: CANDIDATE_RE.search(raw, 0),
        "prefilter search (RE2 program, as scan_block)": lambda: candidate_span(raw, 0),
        "decode bytes": lambda: decode(raw),
        "envelope detect (syslog + uptime)": lambda: envelopes.detect(LINE),
        "catalog classify, uncached (regex + pydantic)": lambda: classify.__wrapped__(env.message),
        "catalog classify, repeated message (cache)": lambda: classify(env.message),
        "enrich (cached peer)": lambda: resolver(found.message) if resolver else None,
        "chain.process, no enrichment (cached classify)": lambda: plain.process(RawLine(LINE)),
        "chain.process, enrichment (cached classify)": lambda: chain.process(RawLine(LINE)),
        "ecs.to_document": lambda: to_document(event),
        "orjson.dumps": lambda: orjson.dumps(doc),
    }
    for name, fn in stages.items():
        print(f"{name:<48} {per_call_us(fn):7.2f} µs")


if __name__ == "__main__":
    main()
