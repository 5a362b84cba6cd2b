"""/dev/kmsg records: `PRI,SEQ,USEC,FLAG[,more...];message` and ` KEY=value` continuation lines.

Documentation/ABI/testing/dev-kmsg: unknown comma fields (`caller=T812`, future ones) are
ignored; bytes below space, above `~`, and `\\` itself are escaped as `\\xNN`.
"""

from __future__ import annotations

import re

from pipeline.envelopes.base import split_pri
from pipeline.records import Envelope

_RECORD_RE = re.compile(r"^(?P<pri>\d{1,4}),(?P<seq>\d+),(?P<usec>\d+),[^;]*;")
# A continuation line belongs to the record before it and is never a message of its own.
_CONTINUATION_RE = re.compile(r"^ (?P<key>[A-Z_][A-Z0-9_]*)=")
_ESCAPE_RE = re.compile(r"\\x([0-9a-fA-F]{2})")


def parse(text: str) -> Envelope | None:
    m = _RECORD_RE.match(text)
    if m is None:
        c = _CONTINUATION_RE.match(text)
        if c is None:
            return None
        # An empty message is what the catalog calls non-TCP: the line is counted, not parsed.
        return Envelope("kmsg-continuation", "", extra={"key": c.group("key")})
    priority = int(m.group("pri"))
    severity, facility = split_pri(priority)
    return Envelope(
        name="kmsg",
        message=unescape(text[m.end() :]),
        uptime=int(m.group("usec")) / 1_000_000,
        severity=severity,
        facility=facility,
        priority=priority,
        sequence=int(m.group("seq")),
    )


def unescape(text: str) -> str:
    r"""Decode the kernel's `\xNN` escapes; the bytes they spell are UTF-8 (or stay escaped)."""
    if "\\x" not in text:
        return text
    out = bytearray()
    pos = 0
    for m in _ESCAPE_RE.finditer(text):
        out += text[pos : m.start()].encode("utf-8", "backslashreplace")
        out.append(int(m.group(1), 16))
        pos = m.end()
    out += text[pos:].encode("utf-8", "backslashreplace")
    # NUL stays escaped, as chain.decode keeps it (JSON and terminals choke on it).
    return out.decode("utf-8", "backslashreplace").replace("\x00", "\\x00")
