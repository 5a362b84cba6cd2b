"""Wall-clock rules of the contract: envelope clock wins, year inference, boot time, ingest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from pipeline.clock import Clock, TimeSource
from pipeline.records import Envelope

NOW = datetime(2026, 1, 3, 12, 0, tzinfo=UTC)


def clock(**kw: object) -> Clock:
    return Clock(zone=kw.pop("zone", ZoneInfo("UTC")), now=lambda: NOW, **kw)  # type: ignore[arg-type]


def test_aware_envelope_time_is_converted_to_utc() -> None:
    env = Envelope(
        "x", "m", wall_time=datetime(2026, 11, 24, 15, 14, 57, tzinfo=timezone(timedelta(hours=8)))
    )
    ts, source, inferred = clock().resolve(env)
    assert ts == datetime(2026, 11, 24, 7, 14, 57, tzinfo=UTC)
    assert source is TimeSource.ENVELOPE and not inferred


def test_december_syslog_line_read_in_january_belongs_to_last_year() -> None:
    env = Envelope("x", "m", naive_time=datetime(2000, 12, 31, 23, 59, 0), year_missing=True)
    ts, _, inferred = clock().resolve(env)
    assert ts.year == 2025 and inferred


def test_january_syslog_line_read_in_january_is_this_year() -> None:
    env = Envelope("x", "m", naive_time=datetime(2000, 1, 3, 11, 0), year_missing=True)
    assert clock().resolve(env)[0].year == 2026


def test_slightly_future_line_from_clock_skew_keeps_this_year() -> None:
    env = Envelope("x", "m", naive_time=datetime(2000, 1, 5, 11, 0), year_missing=True)
    assert clock().resolve(env)[0].year == 2026


def test_given_year_wins_and_is_not_marked_inferred() -> None:
    env = Envelope("x", "m", naive_time=datetime(2000, 12, 31, 23, 59), year_missing=True)
    ts, _, inferred = clock(year=2019).resolve(env)
    assert ts.year == 2019 and not inferred


def test_feb_29_is_placed_in_a_leap_year() -> None:
    env = Envelope("x", "m", naive_time=datetime(2000, 2, 29, 8, 0), year_missing=True)
    assert clock().resolve(env)[0].year == 2024


def test_naive_time_is_taken_in_the_configured_zone() -> None:
    env = Envelope("x", "m", naive_time=datetime(2026, 11, 24, 15, 14, 57))
    ts, _, _ = clock(zone=ZoneInfo("Asia/Shanghai")).resolve(env)
    assert ts == datetime(2026, 11, 24, 7, 14, 57, tzinfo=UTC)


def test_uptime_with_known_boot_time() -> None:
    boot = datetime(2026, 1, 1, tzinfo=UTC)
    ts, source, _ = clock(boot_time=boot).resolve(Envelope("x", "m", uptime=90.5))
    assert ts == boot + timedelta(seconds=90.5) and source is TimeSource.BOOT


def test_uptime_without_boot_time_is_time_of_reading() -> None:
    ts, source, _ = clock().resolve(Envelope("x", "m", uptime=90.5))
    assert ts == NOW and source is TimeSource.INGEST
