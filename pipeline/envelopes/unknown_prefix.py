"""What can be read without doubt from text in front of a kernel message no envelope claimed.

Forum posts, tickets and relays put things before the kernel's text that are not a whole
envelope: a syslog line cut at the program name (`kernel: [12345.678901] `), a host and program
without a date (`web1 kernel: `), facility and level words (`kern.warning kernel: `), a relay's
host or stamp in front of a complete syslog line, a logwatch count (`3 Time(s): `), a dmesg
stamp cut at its start (`345.678901] `). Only the end of that prefix, the part next to the
message, is read, and only in the shapes syslog and dmesg print:

    [syslog date] [host kern.level|host] kernel: [ [uptime] ]

- `[uptime]` only with both brackets: `345.678901]` may have lost digits, so it is not read;
- the host only when the program name `kernel:` follows it (syslog's HOST TAG order) and it
  holds a letter or is an IPv4 address (a bare number in front is a line or message count);
- the date only as a whole syslog (`Feb 21 09:38:25`) or ISO 8601 time; a relay's own stamp in
  another shape (`[2017/02/21 09:38:25]`) is the relay's time, not the kernel's, so it stays text;
- a logwatch `N Time(s)` count, before the message or after it (`...: N Time(s)`).

Everything else stays unread. When what is left reads as prose (`I keep getting this:`), the
line is a mention, not a log line, and `read()` refuses it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime

from pipeline import prose
from pipeline.envelopes.base import (
    FACILITY_NAMES,
    LEVEL_NAMES,
    first_set,
    parse_iso,
    with_priority,
)
from pipeline.envelopes.syslog import syslog_stamp
from pipeline.records import Envelope

NAME = "unknown-prefix"

_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
_SYSLOG_DATE = rf"{_MONTH} {{1,2}}\d{{1,2}} \d\d:\d\d:\d\d(?:\.\d+)?"
_ISO_DATE = r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?"
_TAG = r"(?:kernel|klogd|vmunix)(?:\[\d*\])?:"
# A name with a letter (not ending in `.`, so `e.g.` is no host) or an IPv4 address.
_HOST = r"(?=[\w.-]*[A-Za-z])[A-Za-z0-9](?:[\w.-]*[A-Za-z0-9])?|\d{1,3}(?:\.\d{1,3}){3}"
_FACILITIES = "|".join(re.escape(name) for name in FACILITY_NAMES)
_LEVELS = "|".join(LEVEL_NAMES)
_FAC_LEVEL = rf"(?P<facility>{_FACILITIES})\.(?P<level>{_LEVELS})"
_ANY_FAC_LEVEL = rf"(?:{_FACILITIES})\.(?:{_LEVELS})"
# The readable end of a prefix; every part optional, so the leftmost match is the longest.
_TAIL_RE = re.compile(
    r"(?:^|(?<=\s))"
    rf"(?:(?P<date>{_SYSLOG_DATE})\s+|(?P<iso>{_ISO_DATE})\s+)?"
    rf"(?:(?!{_ANY_FAC_LEVEL}\s)(?P<host>{_HOST})\s+(?=(?:{_ANY_FAC_LEVEL}\s+)?{_TAG}))?"
    rf"(?:{_FAC_LEVEL}\s+)?"
    rf"(?:(?P<tag>{_TAG})\s*)?"
    r"(?:\[\s*(?P<uptime>\d+\.\d+)\](?:\[\s*[TC]\d+\])?\s*)?"
    r"\Z"
)
_COUNT_BEFORE_RE = re.compile(r"(?:^|(?<=\s))(?P<count>\d+) Time\(s\):?\s*")
# logwatch's kernel section cuts long messages: `<start of message> ...:  3 Time(s)`.
_COUNT_AFTER_RE = re.compile(r"(?:\s*\.\.\.)?\s*:\s+(?P<count>\d+)\s*Time\(s\)\s*\Z")


@dataclass(frozen=True, slots=True)
class Prefix:
    """What the text before the message says; `text` is that text, whitespace trimmed."""

    text: str
    uptime: float | None = None
    naive_time: datetime | None = None
    wall_time: datetime | None = None
    year_missing: bool = False
    host: str | None = None
    severity: int | None = None
    facility: int | None = None
    ident: str | None = None
    repeat_count: int | None = None


def split_count_suffix(text: str) -> tuple[str, int | None]:
    """A logwatch `...: N Time(s)` suffix taken off the line: (the rest, N)."""
    m = _COUNT_AFTER_RE.search(text)
    if m is None:
        return text, None
    return text[: m.start()], int(m.group("count"))


def read(prefix: str) -> Prefix | None:
    """The facts of a prefix, or None when it reads as prose (a mention, not a log line)."""
    count = None
    rest = prefix
    counted = _COUNT_BEFORE_RE.search(rest)
    if counted is not None:
        count = int(counted.group("count"))
        rest = rest[: counted.start()] + " " + rest[counted.end() :]
    tail = _TAIL_RE.search(rest)
    unread = (rest if tail is None else rest[: tail.start()]).strip()
    if prose.before_message(unread):
        return None
    if tail is None:  # the message glued to the prefix (`kernel:[1.5]TCP: ...`): none read
        return Prefix(text=prefix.strip(), repeat_count=count)
    uptime = tail.group("uptime")
    naive = wall = None
    if tail.group("date") is not None:
        naive = syslog_stamp(tail.group("date"))
    elif tail.group("iso") is not None:
        stamp = parse_iso(tail.group("iso"))
        naive, wall = (None, stamp) if stamp is not None and stamp.tzinfo else (stamp, None)
    tagged = tail.group("tag") is not None
    level = tail.group("level")
    return Prefix(
        text=prefix.strip(),
        uptime=float(uptime) if uptime is not None else None,
        naive_time=naive,
        wall_time=wall,
        year_missing=naive is not None and tail.group("date") is not None,
        host=tail.group("host") if tagged else None,
        severity=LEVEL_NAMES[level] if level else None,
        facility=FACILITY_NAMES[tail.group("facility")] if level else None,
        ident=tail.group("tag").split("[")[0].rstrip(":") if tagged else None,
        repeat_count=count,
    )


def wrap(outer: Envelope, prefix: Prefix, message: str, repeat_count: int | None) -> Envelope:
    """The envelope of a message found after `prefix` inside `outer`'s message.

    The outer envelope read the line's start, so its fields win; the prefix fills gaps (its
    clock as a whole). Whitespace alone is no prefix: the name then stays the outer one.
    """
    clock = outer if outer.wall_time or outer.naive_time else prefix
    count = repeat_count if repeat_count is not None else prefix.repeat_count
    name = outer.name
    if prefix.text:
        name = NAME if outer.name == "bare" else f"{outer.name}+{NAME}"
    return with_priority(
        replace(
            outer,
            name=name,
            message=message,
            wall_time=clock.wall_time,
            naive_time=clock.naive_time,
            year_missing=clock.year_missing,
            uptime=first_set(outer.uptime, prefix.uptime),
            severity=first_set(outer.severity, prefix.severity),
            facility=first_set(outer.facility, prefix.facility),
            host=first_set(outer.host, prefix.host),
            ident=first_set(outer.ident, prefix.ident),
            prefix=prefix.text or None,
            repeat_count=first_set(outer.repeat_count, count),
        )
    )
