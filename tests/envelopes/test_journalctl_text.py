"""journalctl's text outputs (short-iso, short-iso-precise, short-full) and zone-less ISO stamps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from pipeline.envelopes import detect

MSG = "TCP: too many orphaned sockets"


@pytest.mark.parametrize(
    ("line", "wall"),
    [
        (  # journalctl -o short-iso
            f"2026-11-24T15:14:57+0800 web1 kernel: {MSG}",
            datetime(2026, 11, 24, 15, 14, 57, tzinfo=timezone(timedelta(hours=8))),
        ),
        (  # journalctl -o short-iso-precise
            f"2026-11-24T15:14:57.123456+0800 web1 kernel: {MSG}",
            datetime(2026, 11, 24, 15, 14, 57, 123456, tzinfo=timezone(timedelta(hours=8))),
        ),
        (  # journalctl -o short-full with UTC
            f"Tue 2026-11-24 07:14:57 UTC web1 kernel: {MSG}",
            datetime(2026, 11, 24, 7, 14, 57, tzinfo=UTC),
        ),
    ],
)
def test_zoned_journalctl_stamps_are_wall_clock(line: str, wall: datetime) -> None:
    env = detect(line)
    assert (env.message, env.host, env.ident) == (MSG, "web1", "kernel")
    assert env.wall_time == wall and env.naive_time is None


@pytest.mark.parametrize(
    "line",
    [
        f"Tue 2026-11-24 15:14:57 CST web1 kernel: {MSG}",  # ambiguous abbreviation
        f"2026-11-24 15:14:57 web1 kernel: {MSG}",  # template without a zone
    ],
)
def test_zone_less_stamps_keep_their_year_and_take_the_configured_zone(line: str) -> None:
    env = detect(line)
    assert env.message == MSG and env.wall_time is None
    assert env.naive_time == datetime(2026, 11, 24, 15, 14, 57)
    assert not env.year_missing
