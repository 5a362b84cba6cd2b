"""Syslog lines: RFC 3164 files and wire form, RFC 3339 files, BusyBox/OpenWrt logread, RFC 5424.

RFC 3164 header: `[<pri>]TIMESTAMP [HOST] [facility.level] TAG[pid]: msg` where TIMESTAMP is
`Nov 24 15:14:57` (no year, local zone), `Tue Nov 24 15:14:57 2026` (logread) or RFC 3339
(rsyslog RSYSLOG_FileFormat). The kernel's own `[uptime]` stays inside the message when
rsyslog's imklog wrote it; it is taken out here (it is part of the kernel line, not another
envelope, so the name stays `syslog-3164`).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import lru_cache

from pipeline.envelopes.base import (
    FACILITY_NAMES,
    LEVEL_NAMES,
    PLACEHOLDER_YEAR,
    EnvelopeError,
    month_number,
    naive_datetime,
    parse_iso,
    split_pri,
)
from pipeline.envelopes.dmesg import split_uptime
from pipeline.records import Envelope

_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
_WDAY = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
_FAC_LEVEL = rf"(?:{'|'.join(re.escape(n) for n in FACILITY_NAMES)})\.(?:{'|'.join(LEVEL_NAMES)})"
_3164_RE = re.compile(
    r"^(?:<(?P<pri>\d{1,3})>)?"
    r"(?:"
    rf"(?:(?P<wday>{_WDAY}) )?(?P<month>{_MONTH}) {{1,2}}(?P<day>\d{{1,2}}) "
    r"(?P<clock>\d\d:\d\d:\d\d)(?:\.(?P<fraction>\d+))?(?(wday) (?P<year>\d{4}))"
    # RFC 3339 (rsyslog RSYSLOG_FileFormat), journalctl -o short-iso (`+0800`), and templates
    # printing a zone-less `2026-11-24 15:14:57` (taken in the configured zone)
    r"|(?P<iso>\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?)"
    # journalctl -o short-full: `Mon 2026-11-24 15:14:57 CST`
    rf"|{_WDAY} (?P<full>\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?) (?P<zone>[A-Z]{{2,5}})"
    r") "
    # The host is optional (logread, local /dev/log); a facility.level word is never a host.
    rf"(?:(?!{_FAC_LEVEL} )(?P<host>\S*[^\s:]) )?"
    rf"(?:(?P<fac_level>{_FAC_LEVEL}) )?"
    r"(?P<tag>[^\s:\[\]]+)(?:\[(?P<pid>[^\]]*)\])?: ?"
)
_5424_RE = re.compile(
    r"^<(?P<pri>\d{1,3})>(?P<version>[1-9]\d?) (?P<stamp>\S+) (?P<host>\S+) (?P<app>\S+) "
    r"(?P<procid>\S+) (?P<msgid>\S+) "
    r'(?P<sd>-|(?:\[[^\s\]=]+(?: [^\s=\]"]+="(?:[^"\\]|\\.)*")*\])+)(?: |$)'
)
RFC3164 = "syslog-3164"  # the envelope name of a classic kern.log line
RFC3339 = "syslog-3339"  # ... and of one with an RFC 3339 time (RSYSLOG_FileFormat)
_BOM = "\ufeff"
_UTC_NAMES = frozenset({"UTC", "GMT", "Z"})


def parse(text: str) -> Envelope | None:
    if text.startswith("<"):
        m = _5424_RE.match(text)
        if m is not None:
            return _rfc5424(m, text[m.end() :])
    m = _3164_RE.match(text)
    if m is None:
        return None
    return _rfc3164(m, text[m.end() :])


_3164_GROUPS = (
    "pri", "month", "day", "clock", "fraction", "year", "iso", "full", "zone", "host",
    "fac_level", "tag", "pid",
)  # fmt: skip


def _rfc3164(m: re.Match[str], rest: str) -> Envelope:
    # One group() call for every field: this runs for every candidate line of a kern.log.
    (pri, month, day, clock, fraction, year, iso, full, zone, host, fac_level, tag, pid) = m.group(
        *_3164_GROUPS
    )
    severity = facility = priority = None
    if pri is not None:
        priority = int(pri)
        severity, facility = split_pri(priority)
    elif fac_level:
        fac, level = fac_level.split(".")
        facility, severity = FACILITY_NAMES[fac], LEVEL_NAMES[level]
        priority = facility * 8 + severity  # what with_priority() fills in
    wall: datetime | None = None
    naive: datetime | None = None
    year_missing = False
    if iso or full:
        stamp = parse_iso(iso or full)
        if stamp is not None and stamp.tzinfo is None and zone in _UTC_NAMES:
            stamp = stamp.replace(tzinfo=UTC)
        # a zone abbreviation other than UTC is ambiguous (CST): the configured zone applies
        wall, naive = (stamp, None) if stamp is not None and stamp.tzinfo else (None, stamp)
        name = RFC3339
    else:
        naive = _stamp(year, month, day, clock, fraction)
        year_missing = naive is not None and not year
        name = RFC3164
    uptime, message = split_uptime(rest)
    return Envelope(
        name=name,
        message=message,
        wall_time=wall if wall is not None and wall.tzinfo is not None else None,
        naive_time=naive,
        year_missing=year_missing,
        uptime=uptime,
        severity=severity,
        facility=facility,
        priority=priority,
        host=host,
        ident=tag,
        extra={"pid": pid} if pid else {},
    )


@lru_cache(maxsize=1 << 10)  # recent seconds: lines arrive in time order
def _stamp(
    year: str | None, month: str, day: str, clock: str, fraction: str | None
) -> datetime | None:
    """The printed time; cached because a busy log prints many lines per second."""
    return naive_datetime(
        int(year) if year else PLACEHOLDER_YEAR, month_number(month), int(day), clock, fraction
    )


_STAMP_RE = re.compile(
    rf"^(?P<month>{_MONTH}) {{1,2}}(?P<day>\d{{1,2}}) "
    r"(?P<clock>\d\d:\d\d:\d\d)(?:\.(?P<fraction>\d+))?$"
)


def syslog_stamp(text: str) -> datetime | None:
    """An RFC 3164 time on its own (`Nov 24 15:14:57`), as records keep it; year unknown."""
    m = _STAMP_RE.match(text)
    if m is None:
        return None
    return _stamp(None, m.group("month"), m.group("day"), m.group("clock"), m.group("fraction"))


def _rfc5424(m: re.Match[str], rest: str) -> Envelope:
    priority = int(m.group("pri"))
    severity, facility = split_pri(priority)
    wall = None
    if m.group("stamp") != "-":
        wall = parse_iso(m.group("stamp"))
        if wall is None or wall.tzinfo is None:
            raise EnvelopeError(f"RFC 5424 timestamp {m.group('stamp')!r} is not RFC 3339")
    extra = {key: m.group(key) for key in ("procid", "msgid", "sd") if m.group(key) != "-"}
    uptime, message = split_uptime(rest.removeprefix(_BOM))
    return Envelope(
        name="syslog-5424",
        message=message,
        wall_time=wall,
        uptime=uptime,
        severity=severity,
        facility=facility,
        priority=priority,
        host=_nil(m.group("host")),
        ident=_nil(m.group("app")),
        extra=extra,
    )


def _nil(value: str) -> str | None:
    return None if value == "-" else value
