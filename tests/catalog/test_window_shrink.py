"""tcp-window-shrink: the seed lines of the contract, wrap-around, repeats and 127.0.0.6."""

from __future__ import annotations

import pytest

from pipeline.catalog import Match, classify
from pipeline.catalog.window_shrink import WindowShrink
from pipeline.events import Event
from pipeline.records import RawLine
from tests.catalog.expect import bare_chain, flat, render

SEED = (
    "TCP: Treason uncloaked! Peer 202.106.38.7:57824/80 shrinks window "
    "3573023813:3573023814. Repaired."
)
POSITION = ("event.id", "log.offset")


@pytest.mark.parametrize(
    ("line", "fields"),
    [
        (
            SEED,
            {
                "source.ip": "202.106.38.7",
                "source.port": 57824,
                "destination.port": 80,
                "ktcp.window.snd_una": 3573023813,
                "ktcp.window.snd_nxt": 3573023814,
                "ktcp.window.bytes_outstanding": 1,
            },
        ),
        (
            "TCP: Treason uncloaked! Peer 202.99.99.211:3760/80 shrinks window "
            "1828242657:1828242673. Repaired.",
            {"source.ip": "202.99.99.211", "ktcp.window.bytes_outstanding": 16},
        ),
        (
            "TCP: Treason uncloaked! Peer 210.76.114.42:2544/80 shrinks window "
            "504374393:504375853. Repaired.",
            {"source.ip": "210.76.114.42", "ktcp.window.bytes_outstanding": 1460},
        ),
        (
            "Peer 198.51.100.1:1/2 unexpectedly shrunk window 4294967290:5 (repaired)",
            {"ktcp.window.snd_una": 4294967290, "ktcp.window.snd_nxt": 5},
        ),
    ],
)
def test_seed_lines_give_the_contract_values(line: str, fields: dict[str, object]) -> None:
    doc = flat(bare_chain().process(RawLine(line)))
    assert {k: doc.get(k) for k in fields} == fields
    assert doc["event.action"] == "tcp-window-shrink"


def test_sequence_numbers_wrap_around_u32() -> None:
    found = classify("Peer 198.51.100.1:1/2 unexpectedly shrunk window 4294967290:5 (repaired)")
    assert isinstance(found, Match) and isinstance(found.message, WindowShrink)
    assert found.message.bytes_outstanding == 11


def test_identical_lines_are_distinct_events_with_distinct_ids() -> None:
    for raws in (
        [RawLine(SEED), RawLine(SEED)],  # no position: the occurrence count tells them apart
        [RawLine(SEED, "/var/log/kern.log", 0), RawLine(SEED, "/var/log/kern.log", 101)],
    ):
        first, second = render(bare_chain(), raws)
        assert isinstance(first, Event) and isinstance(second, Event)
        assert first.id != second.id
        assert {k: v for k, v in flat(first).items() if k not in POSITION} == {
            k: v for k, v in flat(second).items() if k not in POSITION
        }


def test_an_old_ipv6_peer_printed_as_127_0_0_6_gets_no_source_ip() -> None:
    doc = flat(
        bare_chain().process(
            RawLine("TCP: Treason uncloaked! Peer 127.0.0.6:50122/22 shrinks window 1:2. Repaired.")
        )
    )
    assert "source.ip" not in doc and "network.type" not in doc
    assert doc["ktcp.window.ipv6_peer_hidden"] is True
    assert doc["source.port"] == 50122


def test_the_2_6_29_wording_keeps_127_0_0_6_because_it_prints_ipv6_peers_itself() -> None:
    doc = flat(
        bare_chain().process(
            RawLine("TCP: Peer 127.0.0.6:50122/22 unexpectedly shrunk window 1:2 (repaired)")
        )
    )
    assert doc["source.ip"] == "127.0.0.6"
