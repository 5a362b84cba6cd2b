"""Every envelope example in tests/data/envelopes parses to exactly the expected fields."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from pipeline.chain import Chain
from pipeline.envelopes import EnvelopeError, detect, names, parse_as
from pipeline.records import Envelope, MissKind
from pipeline.settings import ParseSettings

DATA = Path(__file__).parent.parent / "data" / "envelopes"
CASES = sorted(p.stem for p in DATA.glob("*.log"))
FIELDS = (
    "name",
    "message",
    "wall_time",
    "naive_time",
    "year_missing",
    "uptime",
    "severity",
    "facility",
    "priority",
    "host",
    "boot_id",
    "sequence",
    "ident",
)


def as_expected(envelope: Envelope) -> dict[str, Any]:
    """The envelope fields a fixture pins, times as ISO text."""
    out: dict[str, Any] = {}
    for name in FIELDS:
        value = getattr(envelope, name)
        out[name] = value.isoformat() if isinstance(value, datetime) else value
    return out


def outcome(line: str) -> dict[str, Any]:
    try:
        return as_expected(detect(line))
    except EnvelopeError as exc:
        return {"error": str(exc)}


def log_lines(case: str) -> list[str]:
    text = (DATA / f"{case}.log").read_bytes().decode("utf-8", "backslashreplace")
    return text.splitlines()


def expected(case: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((DATA / f"{case}.expected.json").read_text(encoding="utf-8"))
    return doc


@pytest.mark.parametrize("case", CASES)
def test_each_example_line_gives_the_expected_envelope(case: str) -> None:
    lines = log_lines(case)
    wanted = expected(case)["lines"]
    assert isinstance(wanted, list)
    assert len(lines) == len(wanted)
    for line, want in zip(lines, wanted, strict=True):
        assert outcome(line) == want, line


@pytest.mark.parametrize("case", CASES)
def test_each_example_file_gives_the_expected_event_count_through_the_chain(case: str) -> None:
    chain = Chain()
    list(chain.scan_block((DATA / f"{case}.log").read_bytes()))
    assert chain.stats.event_count == expected(case)["events"]
    assert chain.stats.lines == len(log_lines(case))
    assert chain.stats.balanced()


def test_every_fixture_is_covered_by_a_name_the_cli_accepts() -> None:
    assert {
        "bare",
        "dmesg",
        "kmsg",
        "syslog",
        "journald",
        "fluentd",
        "fluent-bit",
        "docker",
        "cri",
    } <= set(names())


def test_forced_envelope_parses_a_line_of_its_kind() -> None:
    env = parse_as("syslog", "Nov 24 15:14:57 web1 kernel: TCP: x")
    assert (env.name, env.host, env.message) == ("syslog-3164", "web1", "TCP: x")


def test_forced_envelope_rejects_a_line_of_another_kind() -> None:
    with pytest.raises(EnvelopeError, match="not in the kmsg envelope"):
        parse_as("kmsg", "[12345.678901] TCP: x")
    with pytest.raises(EnvelopeError, match="not in the journald envelope"):
        parse_as("journald", '{"message": "TCP: x"}')


def test_unknown_forced_envelope_names_the_choices() -> None:
    with pytest.raises(EnvelopeError, match=r"use one of .*dmesg"):
        parse_as("nope", "TCP: x")


def test_record_keys_order_decides_which_field_is_the_kernel_line() -> None:
    line = '{"message": "wrapper text", "log": "[1.000000] TCP: x"}'
    assert detect(line).message == "wrapper text"
    env = detect(line, record_keys=("log", "message"))
    assert (env.name, env.message, env.uptime) == ("fluentd+dmesg", "TCP: x", 1.0)


def test_chain_passes_its_record_keys_to_detection() -> None:
    shrink = "TCP: Treason uncloaked! Peer 202.106.38.7:57824/80 shrinks window 1:2. Repaired."
    line = json.dumps({"kernel_line": shrink}).encode() + b"\n"
    default = Chain()
    list(default.scan_block(line))
    assert default.stats.invalid == 1
    keyed = Chain(ParseSettings(record_keys=("kernel_line",)))
    list(keyed.scan_block(line))
    assert keyed.stats.event_count == 1


def test_inner_clock_wins_and_outer_fills_the_host() -> None:
    line = '{"host": "collector", "time": 1795504497, "log": "[5.000000] TCP: x"}'
    env = detect(line)
    assert env.name == "fluentd+dmesg"
    assert (env.host, env.uptime) == ("collector", 5.0)
    assert env.wall_time is not None  # the inner line had no clock, so the record's fills in
    inner_clock = detect('{"time": 1795504497, "log": "Nov 24 15:14:57 web1 kernel: TCP: x"}')
    assert inner_clock.wall_time is None
    assert inner_clock.naive_time is not None and inner_clock.year_missing


def test_kmsg_continuation_lines_are_counted_as_non_tcp() -> None:
    chain = Chain()
    outcomes = list(chain.scan_block(b" DEVICE=+net:tcp_sock0\n SUBSYSTEM=TCP\n"))
    # parsed (the first holds `tcp_`) or not even a candidate (`=TCP`): non-TCP either way
    assert all(getattr(o, "kind", None) is MissKind.NON_TCP for o in outcomes)
    assert chain.stats.non_tcp == 2 and chain.stats.lines == 2
    assert chain.stats.non_tcp == 2 and chain.stats.balanced()


def test_broken_json_record_is_invalid_not_bare() -> None:
    chain = Chain()
    (miss,) = chain.scan_block(b'{"MESSAGE": "TCP: Treason uncloaked!\n')
    assert miss.kind is MissKind.INVALID  # type: ignore[union-attr]
    assert "broken JSON record" in miss.reason  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "line",
    [
        "[Ср мар 10 20:19:39 2021] TCP: x",
        "[Κυρ ΧΧΧ 10 20:19:39 2021] TCP: x",
        "[Tue Nov 31 25:99:99 2026] TCP: x",
        "<999>1 not-a-time h a - - - TCP: x",
        '{"MESSAGE": [999, -1], "_BOOT_ID": "b"}',
        '{"msg": "x", "priority": "six", "sec": 1, "usec": 2}',
        '{"log": "x", "time": {"nested": true}}',
        "9" * 400 + ",1,1,-;TCP: x",
        "Feb 30 10:00:00 h kernel: TCP: x",
    ],
)
def test_odd_lines_never_crash_detection(line: str) -> None:
    try:
        env = detect(line)
    except EnvelopeError as exc:
        assert str(exc)
    else:
        assert env.message is not None
