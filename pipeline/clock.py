"""Wall-clock time of a kernel message: envelope clock, boot time + uptime, or time of reading."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, tzinfo
from enum import StrEnum

from pipeline.records import Envelope
from pipeline.settings import YEAR_INFERENCE_SLACK


class TimeSource(StrEnum):
    ENVELOPE = "envelope"  # the envelope printed a wall clock
    BOOT = "boot-time"  # boot time + printed uptime
    INGEST = "ingest"  # nothing said when: the time of reading
    SAMPLE = "sample"  # a kernel-state sample (ktcp sample): the time the sample was taken


# (UTC timestamp, where it came from, whether the year was inferred)
Resolved = tuple[datetime, TimeSource, bool]
# Lines arrive in time order, so only recent seconds repeat; emptied when full.
NAIVE_CACHE_ENTRIES = 1 << 10
DAY_YEAR_ENTRIES = 1 << 10  # (month, day, day of reading) -> the year inferred for it
_PER_TIME = -1  # no one year for the whole day: decide for each time
_DAY = timedelta(days=1)
# Within one local day, UTC times can run out of order by a DST shift (hours), and the limit
# moves with the time of reading by less than a day while the day of reading is the same:
# two days of margin cover both.
_DAY_MARGIN = timedelta(days=2)


def utc_now() -> datetime:
    return datetime.now(UTC)


class Clock:
    def __init__(
        self,
        zone: tzinfo,
        boot_time: datetime | None = None,
        year: int | None = None,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self.zone = zone
        self.boot_time = boot_time
        self.year = year
        self.now = now
        self._naive_cache: dict[tuple[datetime, bool], Resolved] = {}
        self._day_years: dict[tuple[int, int, int], int] = {}

    def resolve(self, env: Envelope) -> Resolved:
        """(UTC timestamp, where it came from, whether the year was inferred)."""
        # A printed time at the very edge of datetime's range (year 1 or 9999) cannot be moved
        # to UTC (OverflowError): it is no usable clock, and the next source of time applies.
        if env.wall_time is not None:
            with contextlib.suppress(OverflowError):
                return env.wall_time.astimezone(UTC), TimeSource.ENVELOPE, False
        if env.naive_time is not None:
            # Lines of one second share their stamp; the zone and year work is done once per stamp
            # (a year inferred now stays right for a year of running).
            key = (env.naive_time, env.year_missing)
            cached = self._naive_cache.get(key)
            if cached is None:
                try:
                    cached = self._resolve_naive(env.naive_time, env.year_missing)
                except OverflowError:
                    cached = None
                if cached is not None:
                    if len(self._naive_cache) >= NAIVE_CACHE_ENTRIES:
                        self._naive_cache.clear()
                    self._naive_cache[key] = cached
            if cached is not None:
                return cached
        if env.uptime is not None and self.boot_time is not None:
            return (
                (self.boot_time + timedelta(seconds=env.uptime)).astimezone(UTC),
                (TimeSource.BOOT),
                False,
            )
        return self.now(), TimeSource.INGEST, False

    def _resolve_naive(self, naive: datetime, year_missing: bool) -> Resolved:
        if not year_missing:
            return naive.replace(tzinfo=self.zone).astimezone(UTC), TimeSource.ENVELOPE, False
        if self.year is not None:
            stamped = _with_year(naive, self.year)
            if stamped is not None:
                return stamped.replace(tzinfo=self.zone).astimezone(UTC), TimeSource.ENVELOPE, False
        return self._infer_year(naive), TimeSource.ENVELOPE, True

    def _infer_year(self, naive: datetime) -> datetime:
        """The year that puts the time closest to, and not far after, the time of reading."""
        now = self.now()
        # Every time of a calendar day gets the same year unless the limit falls within a day
        # or two of it, so the choice is kept per day (and per day of reading): one lookup
        # instead of trying the years one by one for every new second of a log.
        key = (naive.month, naive.day, now.toordinal())
        year = self._day_years.get(key)
        if year is None:
            if len(self._day_years) >= DAY_YEAR_ENTRIES:
                self._day_years.clear()
            year = self._day_year(naive.month, naive.day, now)
            self._day_years[key] = year
        if year == _PER_TIME:
            return infer_year(naive, self.zone, now)
        return naive.replace(year=year or naive.year, tzinfo=self.zone).astimezone(UTC)

    def _day_year(self, month: int, day: int, now: datetime) -> int:
        """The year `infer_year` picks for every time of this day (0: none, the placeholder
        stays), or _PER_TIME when the limit is too close to the day for one answer."""
        limit = now + YEAR_INFERENCE_SLACK
        for year in _candidate_years(now.year):
            try:
                start = datetime(year, month, day, tzinfo=self.zone)
            except ValueError:
                continue  # Feb 29 in a common year: infer_year skips this year at any time
            first = start.astimezone(UTC)
            last = (start + _DAY).astimezone(UTC)
            if last + _DAY_MARGIN <= limit:
                return year  # the whole day is before the limit
            if first - _DAY_MARGIN <= limit:
                return _PER_TIME  # the limit falls within the day (or near it)
        return 0


def infer_year(naive: datetime, zone: tzinfo, now: datetime) -> datetime:
    """The year that puts `naive` closest to, and not far after, `now` (in UTC); the
    reference `Clock` keeps per day (tests/test_clock.py compares the two)."""
    limit = now + YEAR_INFERENCE_SLACK
    for year in _candidate_years(now.year):
        stamped = _with_year(naive, year)
        if stamped is None:
            continue  # Feb 29 in a common year
        aware = stamped.replace(tzinfo=zone).astimezone(UTC)
        if aware <= limit:
            return aware
    return naive.replace(tzinfo=zone).astimezone(UTC)


def _candidate_years(year_of_now: int) -> tuple[int, ...]:
    return (year_of_now + 1, year_of_now, year_of_now - 1, year_of_now - 2, year_of_now - 3)


def _with_year(naive: datetime, year: int) -> datetime | None:
    try:
        return naive.replace(year=year)
    except ValueError:
        return None


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def epoch_parts(moment: datetime) -> tuple[int, int]:
    """(seconds, nanoseconds) since the epoch, in integers (a float would round them)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - _EPOCH
    return delta.days * 86400 + delta.seconds, delta.microseconds * 1000
