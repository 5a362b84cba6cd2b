"""Envelopes: strip what the transport wrapped around a kernel message, keep what it says.

`detect()` picks the parsers worth trying from the line's first character (detection runs for
every candidate line); a line no envelope claims is a bare kernel message.
`parse_as()` forces one of `names()`.

Nesting: a record or container line (`fluentd`, `docker`, `cri`) carries a whole line, which
may itself be enveloped (a kern.log line tailed by Fluentd, `dmesg -w` in a container). It is
detected again; the inner envelope's fields win (its clock as a whole), the outer fills gaps,
and the name joins both, outer first: `fluentd+syslog-3164`, `cri+dmesg`. A syslog line's
`[uptime]` is part of the kernel line, not an envelope: it stays `syslog-3164`.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from pipeline.envelopes import container, dmesg, kmsg, structured, syslog
from pipeline.envelopes.base import (
    DEFAULT_KEYS,
    EnvelopeError,
    LineParser,
    Parser,
    RecordKeys,
    nest,
)
from pipeline.records import Envelope


def parse_bare(text: str) -> Envelope:
    return Envelope(name="bare", message=text)


def _line(parse: LineParser) -> Parser:
    def parser(text: str, record_keys: RecordKeys) -> Envelope | None:
        return parse(text)

    return parser


def _record(kind: str) -> Parser:
    return partial(structured.parse, kind=kind)


PARSERS: dict[str, Parser] = {
    "bare": _line(parse_bare),
    "cri": _line(container.parse_cri),
    "dmesg": _line(dmesg.parse),
    "docker": _record("docker"),
    "fluent-bit": _record("fluent-bit"),
    "fluentd": _record("fluentd"),
    "journald": _record("journald"),
    "json": structured.parse,  # any JSON record, its kind told by its keys
    "kmsg": _line(kmsg.parse),
    "syslog": _line(syslog.parse),
}
# Envelopes whose message is a whole line that may carry an envelope of its own.
CARRIERS = frozenset({"fluentd", "docker", "cri"})
_MAX_NESTING = 3
_NUL = "\\x00"

_DIGIT_FIRST = ("kmsg", "cri", "dmesg", "syslog")
_BY_FIRST: dict[str, tuple[str, ...]] = {
    "[": ("dmesg",),
    "<": ("syslog", "dmesg"),
    "{": ("json",),
    " ": ("kmsg",),
    **{d: _DIGIT_FIRST for d in "0123456789"},
    # syslog months and weekdays are capitalised; dmesg -x facility names are not
    **{c: ("syslog",) for c in "ADFJMNOSTW"},
    **{c: ("dmesg",) for c in "acdfklmnprsu"},
}


def names() -> list[str]:
    """Envelope names `--envelope` accepts."""
    return sorted(PARSERS)


def detect(text: str, *, record_keys: RecordKeys = DEFAULT_KEYS) -> Envelope:
    """The envelope of one line; raises EnvelopeError for a recognisably broken record."""
    # A crash leaves a run of NUL bytes (chain.decode shows them as `\x00`) before the first
    # line written after it; the line itself is intact.
    while text.startswith(_NUL):
        text = text[len(_NUL) :]
    return _detect(text, record_keys, 0)


def parse_as(name: str, text: str, *, record_keys: RecordKeys = DEFAULT_KEYS) -> Envelope:
    """Parse with a forced envelope; a line that does not fit it is an EnvelopeError."""
    parser = PARSERS.get(name)
    if parser is None:
        raise EnvelopeError(f"unknown envelope {name!r}: use one of {', '.join(names())}")
    envelope = parser(text, record_keys)
    if envelope is None:
        raise EnvelopeError(f"line is not in the {name} envelope")
    return _unwrap(envelope, record_keys, 0)


def from_record(
    record: dict[str, Any], *, record_keys: RecordKeys = DEFAULT_KEYS, kind: str | None = None
) -> tuple[str, Envelope]:
    """(the line a decoded record carries, its envelope): the same as `detect` of the record's
    JSON text, without the round trip through text (exec-filter's msgpack or JSON maps).
    `kind` forces one of the structured kinds; a record of another kind is an EnvelopeError."""
    found = structured.kind_of(record)
    if kind is not None and kind != found and not (kind == "fluentd" and found == "docker"):
        raise EnvelopeError(f"record is not in the {kind} envelope")
    outer = structured.KINDS[kind or found](record, record_keys)
    return outer.message, _unwrap(outer, record_keys, 0)


def _detect(text: str, record_keys: RecordKeys, depth: int) -> Envelope:
    for name in _BY_FIRST.get(text[:1], ()):
        envelope = PARSERS[name](text, record_keys)
        if envelope is not None:
            return _unwrap(envelope, record_keys, depth)
    return parse_bare(text)


def _unwrap(outer: Envelope, record_keys: RecordKeys, depth: int) -> Envelope:
    if outer.name not in CARRIERS or depth >= _MAX_NESTING:
        return outer
    try:
        inner = _detect(outer.message, record_keys, depth + 1)
    except EnvelopeError:
        return outer  # a payload that merely looks like JSON is still the carrier's text
    if inner.name == "bare":
        return outer
    return nest(outer, inner)


__all__ = [
    "CARRIERS",
    "PARSERS",
    "EnvelopeError",
    "detect",
    "from_record",
    "names",
    "parse_as",
]
