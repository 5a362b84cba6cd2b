"""Shared pieces of envelope parsing: the error type, syslog names and numbers, time parsing."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from pipeline.records import Envelope
from pipeline.settings import DEFAULT_RECORD_KEYS


class EnvelopeError(ValueError):
    """The line is clearly of one envelope kind but broken (counted as invalid, with this text)."""


# A parser returns None when the line is not of its kind, so detection can try the next one.
# The second argument is ParseSettings.record_keys (only structured records use it).
Parser = Callable[[str, tuple[str, ...]], Envelope | None]
LineParser = Callable[[str], Envelope | None]
RecordKeys = tuple[str, ...]
DEFAULT_KEYS: RecordKeys = DEFAULT_RECORD_KEYS

LEVEL_NAMES = {
    "emerg": 0,
    "panic": 0,
    "alert": 1,
    "crit": 2,
    "err": 3,
    "error": 3,
    "warn": 4,
    "warning": 4,
    "notice": 5,
    "info": 6,
    "debug": 7,
}

# syslog(3) facility codes by the names syslog daemons, dmesg -x and logread print.
FACILITY_NAMES = {
    name: code
    for code, name in enumerate(
        (
            "kern",
            "user",
            "mail",
            "daemon",
            "auth",
            "syslog",
            "lpr",
            "news",
            "uucp",
            "cron",
            "authpriv",
            "ftp",
            "ntp",
            "security",
            "console",
            "solaris-cron",
            *(f"local{i}" for i in range(8)),
        )
    )
} | {"res0": 12, "res1": 13, "res2": 14, "res3": 15}

# Month abbreviations as `%b` prints them in C and a few common locales (dmesg -T follows
# LC_TIME). Locales that print digits (zh, ja, ko: `11月`) are read numerically instead.
MONTHS: dict[str, int] = {}
for _names in (
    "jan feb mar apr may jun jul aug sep oct nov dec",  # C, en
    "янв фев мар апр май июн июл авг сен окт ноя дек",  # ru
    "jan feb mär apr mai jun jul aug sep okt nov dez",  # de
    "janv. févr. mars avril mai juin juil. août sept. oct. nov. déc.",  # fr
    "ene feb mar abr may jun jul ago sep oct nov dic",  # es
    "gen feb mar apr mag giu lug ago set ott nov dic",  # it
):
    for _number, _name in enumerate(_names.split(), start=1):
        MONTHS.setdefault(_name.rstrip("."), _number)
# Russian genitive forms (`мая`) and the Cyrillic `сент`/`нояб` variants some glibc versions use.
MONTHS |= {"мая": 5, "сент": 9, "нояб": 11, "февр": 2, "апр.": 4}

_DIGITS_RE = re.compile(r"\d{1,2}")
PLACEHOLDER_YEAR = 2000  # leap year, so `Feb 29` survives until the clock picks the real year
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_T = TypeVar("_T")


def month_number(token: str) -> int | None:
    """Month from a `%b` token in any locale we know, or from its digits (`11月`)."""
    number = MONTHS.get(token.lower().rstrip("."))
    if number is not None:
        return number
    digits = _DIGITS_RE.search(token)
    if digits is not None and 1 <= int(digits.group()) <= 12:
        return int(digits.group())
    return None


def naive_datetime(
    year: int, month: int | None, day: int, clock: str, fraction: str | None = None
) -> datetime | None:
    """A naive datetime from printed parts, or None when they name no real moment."""
    if month is None:
        return None
    try:
        hour, minute, *rest = map(int, clock.split(":"))
        micro = int((fraction or "0")[:6].ljust(6, "0"))
        return datetime(year, month, day, hour, minute, rest[0] if rest else 0, micro)
    except ValueError:
        return None


def parse_iso(text: str) -> datetime | None:
    """ISO 8601 / RFC 3339 (`T` or space, `.` or `,`, any fraction length, `Z` or offset)."""
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def from_epoch_usec(usec: int) -> datetime:
    return _EPOCH + timedelta(microseconds=usec)


def split_pri(pri: int) -> tuple[int, int]:
    """(severity, facility) of a syslog PRI value."""
    return pri & 7, pri >> 3


def nest(outer: Envelope, inner: Envelope) -> Envelope:
    """A record or container line whose payload is itself an enveloped line.

    The inner envelope is closer to the kernel, so its fields win (its clock as a whole, so an
    inner naive time is not overridden by the outer's time of shipping); the outer fills gaps
    such as the host. The name joins both: `fluentd+syslog-3164`.
    """
    clock = inner if inner.wall_time or inner.naive_time else outer
    return with_priority(
        Envelope(
            name=f"{outer.name}+{inner.name}",
            message=inner.message,
            wall_time=clock.wall_time,
            naive_time=clock.naive_time,
            year_missing=clock.year_missing,
            uptime=first_set(inner.uptime, outer.uptime),
            severity=first_set(inner.severity, outer.severity),
            facility=first_set(inner.facility, outer.facility),
            priority=first_set(inner.priority, outer.priority),
            host=first_set(inner.host, outer.host),
            boot_id=first_set(inner.boot_id, outer.boot_id),
            sequence=first_set(inner.sequence, outer.sequence),
            record_id=first_set(inner.record_id, outer.record_id),
            ident=first_set(inner.ident, outer.ident),
            extra=outer.extra | inner.extra,
        )
    )


def with_priority(envelope: Envelope) -> Envelope:
    """Fill the PRI from severity and facility when the envelope printed both separately."""
    if (
        envelope.priority is None
        and envelope.severity is not None
        and envelope.facility is not None
    ):
        return replace(envelope, priority=envelope.facility * 8 + envelope.severity)
    return envelope


def first_set(a: _T | None, b: _T | None) -> _T | None:
    return a if a is not None else b
