"""dmesg output: an optional `<pri>` (-r) or `fac :lvl : ` (-x) column, then one time column.

Time columns (util-linux print_record): `[uptime]` (default), `[uptime <delta>]` (-d),
`[<delta>]` (-d -t), `[ctime]` (-T, local zone and locale), `iso,usec+zone` (--time-format
iso), `[Nov24 15:14]` / `[  +0.000123]` (-H reltime); any of them may be followed by a
CONFIG_PRINTK_CALLER column `[  T812]` / `[    C1]`.
"""

from __future__ import annotations

import re
from datetime import datetime

from pipeline.envelopes.base import (
    FACILITY_NAMES,
    LEVEL_NAMES,
    PLACEHOLDER_YEAR,
    month_number,
    naive_datetime,
    parse_iso,
    split_pri,
    with_priority,
)
from pipeline.records import Envelope

_CALLER = r"(?:\[\s*[TC]\d+\])?"
_DELTA = r"<\s*[+-]?\d+\.\d+>"
# `[%5ld.%06ld]`, optionally followed by the caller column.
UPTIME_RE = re.compile(rf"^\[\s*(?P<uptime>\d+\.\d+)\]{_CALLER} ?")
_PREFIX_RE = re.compile(
    r"^(?:<(?P<pri>\d{1,3})>|(?P<facility>[a-z][a-z0-9-]*)\s*:(?P<level>[a-z]+)\s*: ?)"
)
_TIME_RE = re.compile(
    r"^(?:"
    rf"\[\s*(?P<uptime>\d+\.\d+)(?: {_DELTA})?\]"
    rf"|\[(?P<delta>{_DELTA})\]"
    r"|\[(?P<rel>\s*[+-]\d+\.\d+)\]"
    r"|\[(?P<wday>[^\s\]]+) +(?P<month>[^\s\]]+) +(?P<day>\d{1,2}) (?P<clock>\d\d?:\d\d:\d\d) "
    rf"(?P<year>\d{{4}})(?: {_DELTA})?\]"
    r"|\[(?P<rel_month>[^\d\s\]]+|\d{1,2}\D+?)(?P<rel_day>\d\d) (?P<rel_clock>\d\d:\d\d)\]"
    r"|(?P<iso>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d,\d+(?:Z|[+-]\d\d:?\d\d)?)(?= |$)"
    rf"){_CALLER} ?"
)
_TIME_NAMES = {
    "wday": "-ctime",
    "rel_month": "-reltime",
    "rel": "-reltime",
    "delta": "-delta",
    "iso": "-iso",
}


def split_uptime(text: str) -> tuple[float | None, str]:
    """Strip a leading `[uptime]` (and caller column); used inside syslog lines too."""
    m = UPTIME_RE.match(text)
    if m is None:
        return None, text
    return float(m.group("uptime")), text[m.end() :]


def parse(text: str) -> Envelope | None:
    severity = facility = priority = None
    name = "dmesg"
    rest = text
    prefix = _PREFIX_RE.match(text)
    if prefix is not None:
        if prefix.group("pri") is not None:
            priority = int(prefix.group("pri"))
            severity, facility = split_pri(priority)
            name = "dmesg-raw"
        elif prefix.group("level") in LEVEL_NAMES and prefix.group("facility") in FACILITY_NAMES:
            severity = LEVEL_NAMES[prefix.group("level")]
            facility = FACILITY_NAMES[prefix.group("facility")]
            name = "dmesg-decode"
        else:
            prefix = None
        if prefix is not None:
            rest = text[prefix.end() :]
    stamp = _TIME_RE.match(rest)
    if stamp is None:
        if prefix is None:
            return None
        # `dmesg -r -t` / `dmesg -x -t`: the level column without a time column.
        return with_priority(
            Envelope(name, rest, severity=severity, facility=facility, priority=priority)
        )
    uptime = stamp.group("uptime")
    wall, naive, year_missing = _clock(stamp)
    kind = next((suffix for group, suffix in _TIME_NAMES.items() if stamp.group(group)), "")
    return with_priority(
        Envelope(
            name=name + kind,
            message=rest[stamp.end() :],
            wall_time=wall,
            naive_time=naive,
            year_missing=year_missing,
            uptime=float(uptime) if uptime is not None else None,
            severity=severity,
            facility=facility,
            priority=priority,
        )
    )


def _clock(stamp: re.Match[str]) -> tuple[datetime | None, datetime | None, bool]:
    """(aware wall time, naive wall time, year missing) of a time column."""
    if stamp.group("iso"):
        moment = parse_iso(stamp.group("iso"))
        if moment is None or moment.tzinfo is None:
            return None, moment, False
        return moment, None, False
    if stamp.group("wday"):
        naive = naive_datetime(
            int(stamp.group("year")),
            month_number(stamp.group("month")),
            int(stamp.group("day")),
            stamp.group("clock"),
        )
        return None, naive, False
    if stamp.group("rel_month"):
        naive = naive_datetime(
            PLACEHOLDER_YEAR,
            month_number(stamp.group("rel_month")),
            int(stamp.group("rel_day")),
            stamp.group("rel_clock"),
        )
        return None, naive, naive is not None
    return None, None, False
