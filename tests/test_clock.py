"""Wall-clock rules of the contract: envelope clock wins, year inference, boot time, ingest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.clock import Clock, TimeSource, infer_year
from pipeline.records import Envelope
from pipeline.settings import YEAR_INFERENCE_SLACK

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


# -- the per-day year cache gives what the reference gives for every time ----------------------

ZONES = ["UTC", "Asia/Shanghai", "America/New_York", "Europe/London", "Australia/Lord_Howe",
         "America/Santiago", "Pacific/Chatham", "America/St_Johns"]  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    now=st.datetimes(datetime(2020, 1, 1), datetime(2032, 12, 31), timezones=st.just(UTC)),
    times=st.lists(st.datetimes(datetime(2000, 1, 1), datetime(2000, 12, 31, 23, 59, 59)),
                   min_size=1, max_size=30),
    steps=st.lists(st.timedeltas(timedelta(0), timedelta(hours=30)), min_size=1, max_size=30),
)  # fmt: skip
def test_year_inference_kept_per_day_equals_the_reference(
    zone: str, now: datetime, times: list[datetime], steps: list[timedelta]
) -> None:
    """Times near the limit, on DST days, on Feb 29, read by a clock that moves on."""
    tz = ZoneInfo(zone)
    reading = [now]
    moving = Clock(zone=tz, now=lambda: reading[0])
    edge = (now + YEAR_INFERENCE_SLACK).astimezone(tz).replace(tzinfo=None, year=2000)
    candidates = [*times, edge, edge - timedelta(hours=1), edge + timedelta(hours=1)]
    for i, naive in enumerate(candidates):
        reading[0] = now + sum(steps[: i % len(steps)], timedelta(0))
        assert moving._infer_year(naive) == infer_year(naive, tz, reading[0]), (naive, reading)


def test_year_inference_on_every_hour_of_dst_and_new_year_days() -> None:
    """Each hour (and half hour) of the days around DST changes and the turn of the year."""
    for zone in ("America/New_York", "Europe/London", "Australia/Lord_Howe"):
        tz = ZoneInfo(zone)
        for now in (NOW, datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 10, 20, tzinfo=UTC)):
            cached = Clock(zone=tz, now=lambda now=now: now)  # type: ignore[misc]
            start = datetime(2000, 1, 1)
            for half_hours in range(366 * 48):
                naive = start + timedelta(minutes=30 * half_hours)
                assert cached._infer_year(naive) == infer_year(naive, tz, now), (zone, naive)


def test_a_day_decided_earlier_in_the_day_of_reading_is_decided_again_near_the_limit() -> None:
    """Reading at 10:00 and 20:00 UTC the same day: the limit (reading + slack) passes
    Shanghai's midnight of Dec 28 (16:00 UTC) in between, so Dec 28 changes year."""
    reading = [datetime(2026, 12, 20, 10, 0, tzinfo=UTC)]
    tz = ZoneInfo("Asia/Shanghai")
    moving = Clock(zone=tz, now=lambda: reading[0])
    naive = datetime(2000, 12, 28, 0, 30)
    assert moving._infer_year(naive).year == 2025 == infer_year(naive, tz, reading[0]).year
    reading[0] = datetime(2026, 12, 20, 20, 0, tzinfo=UTC)
    assert moving._infer_year(naive).year == 2026 == infer_year(naive, tz, reading[0]).year


def test_a_time_at_the_edge_of_the_calendar_falls_back_instead_of_failing() -> None:
    """`0001-01-01T00:00:00+08:00` is before datetime's first UTC instant: no clock, no crash."""
    read_at = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    clock = Clock(ZoneInfo("Asia/Shanghai"), boot_time=None, now=lambda: read_at)
    edge = datetime(1, 1, 1, 0, 0, tzinfo=timezone(timedelta(hours=8)))
    assert clock.resolve(Envelope(name="x", message="m", wall_time=edge)) == (
        read_at,
        TimeSource.INGEST,
        False,
    )
    naive = datetime(1, 1, 1, 0, 0)  # in UTC+8 also before the first UTC instant
    assert clock.resolve(Envelope(name="x", message="m", naive_time=naive))[1] is (
        TimeSource.INGEST
    )
