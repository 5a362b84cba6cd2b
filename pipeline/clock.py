"""Wall-clock time of a kernel message: envelope clock, boot time + uptime, or time of reading."""

from __future__ import annotations

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

    def resolve(self, env: Envelope) -> Resolved:
        """(UTC timestamp, where it came from, whether the year was inferred)."""
        if env.wall_time is not None:
            return env.wall_time.astimezone(UTC), TimeSource.ENVELOPE, False
        if env.naive_time is not None:
            # Lines of one second share their stamp; the zone and year work is done once per stamp
            # (a year inferred now stays right for a year of running).
            key = (env.naive_time, env.year_missing)
            cached = self._naive_cache.get(key)
            if cached is None:
                if len(self._naive_cache) >= NAIVE_CACHE_ENTRIES:
                    self._naive_cache.clear()
                cached = self._resolve_naive(env.naive_time, env.year_missing)
                self._naive_cache[key] = cached
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
        for year in (now.year + 1, now.year, now.year - 1, now.year - 2, now.year - 3):
            stamped = _with_year(naive, year)
            if stamped is None:
                continue  # Feb 29 in a common year
            aware = stamped.replace(tzinfo=self.zone).astimezone(UTC)
            if aware <= now + YEAR_INFERENCE_SLACK:
                return aware
        return naive.replace(tzinfo=self.zone).astimezone(UTC)


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
