"""The whole chain: every catalog wording, inside every envelope, gives the same event fields.

Messages come from the catalog's own strategies (random valid values, IPv4 and IPv6 in every
printed form); envelopes are drawn at random; the envelope's own facts (time, host, level,
uptime, sequence) must come out too.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pipeline.chain import Chain  # noqa: E402
from pipeline.ecs import flatten, to_document  # noqa: E402
from pipeline.events import Event  # noqa: E402
from pipeline.records import RawLine  # noqa: E402
from pipeline.settings import ParseSettings  # noqa: E402
from tests.catalog.expect import checked  # noqa: E402
from tests.catalog.strategies import cases  # noqa: E402

READ_AT = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
Wrap = Callable[[str], tuple[str, dict[str, Any]]]

# Each envelope: how it wraps a message, and the envelope facts it must yield (flattened ECS).
ENVELOPES: dict[str, Wrap] = {
    "bare": lambda m: (m, {"ktcp.envelope": "bare"}),
    "dmesg": lambda m: (
        f"[12345.678901] {m}",
        {"ktcp.envelope": "dmesg", "ktcp.kernel.uptime": 12345.678901},
    ),
    "dmesg-padded": lambda m: (f"[    0.385975] {m}", {"ktcp.kernel.uptime": 0.385975}),
    "dmesg-raw": lambda m: (
        f"<4>[  601.749973] {m}",
        {"log.syslog.priority": 4, "event.severity": 4, "ktcp.kernel.uptime": 601.749973},
    ),
    "dmesg-decode": lambda m: (
        f"kern  :info  : [12345.678901] {m}",
        {"event.severity": 6, "ktcp.kernel.uptime": 12345.678901},
    ),
    "dmesg-ctime": lambda m: (
        f"[Tue Nov 24 15:14:57 2026] {m}",
        {"@timestamp": "2026-11-24T15:14:57.000000Z", "ktcp.time.source": "envelope"},
    ),
    "dmesg-iso": lambda m: (
        f"2026-11-24T15:14:57,123456+08:00 {m}",
        {"@timestamp": "2026-11-24T07:14:57.123456Z"},
    ),
    "kmsg": lambda m: (
        f"6,1234,12345678901,-;{m}",
        {"ktcp.kernel.sequence": 1234, "ktcp.kernel.uptime": 12345.678901, "event.severity": 6},
    ),
    "syslog-3164": lambda m: (
        f"Nov 24 15:14:57 web1 kernel: [12345.678901] {m}",
        {
            "host.name": "web1",
            "@timestamp": "2026-11-24T15:14:57.000000Z",
            "ktcp.time.inferred": True,
            "ktcp.kernel.uptime": 12345.678901,
        },
    ),
    "syslog-3164-journald": lambda m: (
        f"Nov  4 08:00:01 web1.example.com kernel: {m}",
        {"host.name": "web1.example.com", "@timestamp": "2026-11-04T08:00:01.000000Z"},
    ),
    "syslog-wire": lambda m: (
        f"<6>Nov 24 15:14:57 web1 kernel: {m}",
        {"log.syslog.priority": 6, "host.name": "web1"},
    ),
    "syslog-3339": lambda m: (
        f"2026-11-24T15:14:57.123456+08:00 web1 kernel: {m}",
        {"@timestamp": "2026-11-24T07:14:57.123456Z", "host.name": "web1"},
    ),
    "syslog-5424": lambda m: (
        f"<6>1 2026-11-24T15:14:57.123456+08:00 web1 kernel - - - {m}",
        {"@timestamp": "2026-11-24T07:14:57.123456Z", "host.name": "web1", "event.severity": 6},
    ),
    "journald": lambda m: (
        orjson.dumps(
            {
                "__REALTIME_TIMESTAMP": "1795504497123456",
                "_BOOT_ID": "6c7c6013a26343b29e964691ff25d04c",
                "_HOSTNAME": "web1",
                "_TRANSPORT": "kernel",
                "PRIORITY": "6",
                "SYSLOG_FACILITY": "0",
                "SYSLOG_IDENTIFIER": "kernel",
                "_SOURCE_MONOTONIC_TIMESTAMP": "12345678901",
                "MESSAGE": m,
            }
        ).decode(),
        {
            "host.name": "web1",
            "host.boot.id": "6c7c6013a26343b29e964691ff25d04c",
            "@timestamp": "2026-11-24T07:14:57.123456Z",
        },
    ),
    "journald-bytes": lambda m: (
        orjson.dumps({"MESSAGE": list(m.encode()), "_HOSTNAME": "web1"}).decode(),
        {"host.name": "web1"},
    ),
    "fluentd": lambda m: (orjson.dumps({"message": m, "host": "web1"}).decode(), {}),
    "fluentd-in_tail": lambda m: (
        orjson.dumps({"message": f"Nov 24 15:14:57 web1 kernel: {m}"}).decode(),
        {"host.name": "web1", "@timestamp": "2026-11-24T15:14:57.000000Z"},
    ),
    "fluent-bit-kmsg": lambda m: (
        orjson.dumps(
            {"priority": 6, "sequence": 1234, "sec": 12345, "usec": 678901, "msg": m}
        ).decode(),
        {"ktcp.kernel.uptime": 12345.678901, "event.severity": 6},
    ),
    "cri": lambda m: (
        f"2026-11-24T07:14:57.123456789Z stdout F {m}",
        {"@timestamp": "2026-11-24T07:14:57.123456Z"},
    ),
    "docker": lambda m: (
        orjson.dumps(
            {"log": f"{m}\n", "stream": "stdout", "time": "2026-11-24T07:14:57.123456789Z"}
        ).decode(),
        {"@timestamp": "2026-11-24T07:14:57.123456Z"},
    ),
}


def chain() -> Chain:
    return Chain(ParseSettings(timezone="UTC"), now=lambda: READ_AT)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases(), envelope=st.sampled_from(sorted(ENVELOPES)))
def test_every_wording_in_every_envelope_gives_the_same_fields(
    case: tuple[str, dict[str, Any]], envelope: str
) -> None:
    message, expected = case
    line, envelope_facts = ENVELOPES[envelope](message)
    outcome = chain().process(RawLine(line))
    assert isinstance(outcome, Event), (envelope, line, outcome)
    doc = flatten(to_document(outcome))
    assert checked(doc) == expected
    assert doc["message"] == message
    assert doc["event.original"] == line
    for key, value in envelope_facts.items():
        assert doc.get(key) == value, (key, doc)


def test_every_envelope_in_the_matrix_is_detected_as_itself() -> None:
    seed = "TCP: Treason uncloaked! Peer 202.106.38.7:57824/80 shrinks window 1:2. Repaired."
    names = set()
    for wrap in ENVELOPES.values():
        outcome = chain().process(RawLine(wrap(seed)[0]))
        assert isinstance(outcome, Event)
        names.add(outcome.envelope.name)
    assert len(names) >= 14  # distinct envelopes, not all falling back to "bare"


_NASTY_PIECES = st.sampled_from(
    [
        "TCP: ",
        "TCP: TCP: ",
        "Peer ",
        "Treason uncloaked! ",
        " shrinks window ",
        " unexpectedly shrunk window ",
        "Possible SYN flooding on port ",
        "[::]:",
        "0.0.0.0:",
        "202.106.38.7:",
        "2001:0db8:0000:0000:0000:0000:0000:0001:",
        "::ffff:",
        "65536",
        "4294967296",
        "/80 ",
        "(repaired)",
        "nf_conntrack: ",
        "net_ratelimit: ",
        " callbacks suppressed",
        "MD5 Hash failed for (",
        "Nov 24 15:14:57 web1 kernel: ",
        "<6>1 2026-11-24T15:14:57Z web1 kernel - - - ",
        "6,1234,12345678901,-;",
        "[12345.678901] ",
        '{"MESSAGE":',
        '{"message":"',
        '"}',
        "\x00",
        "\r",
        "\\x",
    ]
)
_NASTY_LINES = st.lists(st.one_of(_NASTY_PIECES, st.text(max_size=8)), max_size=12).map("".join)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    lines=st.lists(st.one_of(_NASTY_LINES, st.binary(max_size=60).map(repr)), max_size=20),
    junk=st.binary(max_size=200),
)
def test_any_input_is_accounted_for_and_never_raises(lines: list[str], junk: bytes) -> None:
    data = "\n".join(lines).encode("utf-8", "surrogateescape") + b"\n" + junk
    c = chain()
    outcomes = list(c.scan_block(data, "/var/log/kern.log", 0, "f"))
    assert c.stats.balanced()
    assert c.stats.lines == data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    for outcome in outcomes:
        if isinstance(outcome, Event):
            orjson.dumps(to_document(outcome))  # always renderable


def test_a_long_running_chain_remembers_a_bounded_number_of_lines() -> None:
    from pipeline import chain as chain_module

    c = chain()
    for second in range(chain_module.OCCURRENCE_KEYS + 50):
        c.process(RawLine(f"[{second}.000000] TCP: too many orphaned sockets"))
    assert len(c._occurrences) <= chain_module.OCCURRENCE_KEYS
    twice = [c.process(RawLine("[1.5] TCP: too many orphaned sockets")) for _ in range(2)]
    assert isinstance(twice[0], Event) and isinstance(twice[1], Event)
    assert twice[0].id != twice[1].id
