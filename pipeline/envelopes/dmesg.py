"""dmesg output: `[uptime] msg`, `<pri>[uptime] msg` (-r), `fac :lvl : ...` (-x), caller column."""

from __future__ import annotations

import re

from pipeline.envelopes.base import LEVEL_NAMES
from pipeline.records import Envelope

# `[%5ld.%06ld]`, optionally followed by a CONFIG_PRINTK_CALLER column `[  T812]` / `[    C1]`.
UPTIME_RE = re.compile(r"^\[\s*(?P<uptime>\d+\.\d+)\](?:\[\s*[TC]\d+\])? ?")
_RAW_RE = re.compile(r"^<(?P<pri>\d{1,3})>(?=\[)")
_DECODE_RE = re.compile(r"^(?P<facility>[a-z]+)\s*:(?P<level>[a-z]+)\s*: ")


def split_uptime(text: str) -> tuple[float | None, str]:
    """Strip a leading `[uptime]` (and caller column); used inside syslog lines too."""
    m = UPTIME_RE.match(text)
    if m is None:
        return None, text
    return float(m.group("uptime")), text[m.end() :]


def parse(text: str) -> Envelope | None:
    severity = facility = priority = None
    rest = text
    name = "dmesg"
    m = _RAW_RE.match(rest)
    if m is not None:
        priority = int(m.group("pri"))
        severity, facility = priority & 7, priority >> 3
        rest = rest[m.end() :]
        name = "dmesg-raw"
    else:
        d = _DECODE_RE.match(rest)
        if d is not None and d.group("level") in LEVEL_NAMES:
            severity = LEVEL_NAMES[d.group("level")]
            rest = rest[d.end() :]
            name = "dmesg-decode"
    uptime, message = split_uptime(rest)
    if uptime is None:
        return None
    return Envelope(
        name=name,
        message=message,
        uptime=uptime,
        severity=severity,
        facility=facility,
        priority=priority,
    )
