"""Torture corpus: out-of-range values, malformed addresses, truncation, near misses, very long
lines and control characters are classified without an exception into the expected outcome."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.chain import decode
from pipeline.events import Event
from pipeline.records import RawLine
from tests.catalog.expect import bare_chain

DATA = Path(__file__).resolve().parents[1] / "data" / "catalog"


def _outcome_name(outcome: object) -> str:
    if isinstance(outcome, Event):
        return outcome.family.action
    return str(outcome.kind.value)  # type: ignore[attr-defined]


def test_each_nasty_line_lands_in_its_expected_outcome() -> None:
    lines = (DATA / "nasty.log").read_bytes().split(b"\n")[:-1]
    expected = json.loads((DATA / "nasty.expected.json").read_text())
    assert len(lines) == len(expected)
    chain = bare_chain()
    for line, want in zip(lines, expected, strict=True):
        outcome = chain.process(RawLine(decode(line)))
        assert _outcome_name(outcome) == want["outcome"], (want["why"], line[:120])
    assert chain.stats.balanced()  # how long the long lines take: bench/bench_nasty.py


def test_invalid_reasons_stay_short_even_for_huge_values() -> None:
    chain = bare_chain()
    line = (
        "TCP: Treason uncloaked! Peer 1.2.3.4:80/80 shrinks window " + "9" * 5000 + ":1. Repaired."
    )
    miss = chain.process(RawLine(line))
    assert not isinstance(miss, Event)
    assert "snd_una" in miss.reason and len(miss.reason) < 300


def test_the_whole_corpus_goes_through_the_block_scanner() -> None:
    data = (DATA / "nasty.log").read_bytes()
    chain = bare_chain()
    outcomes = list(chain.scan_block(data, path=str(DATA / "nasty.log"), base_offset=0))
    assert outcomes and chain.stats.balanced()
