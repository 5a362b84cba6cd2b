"""Envelopes: strip what the transport wrapped around a kernel message, keep what it says.

`detect()` tries each parser in `ORDER` (cheap first-character checks avoid most attempts);
`parse_as()` forces one. A line no envelope claims is a bare kernel message.
"""

from __future__ import annotations

from pipeline.envelopes import dmesg
from pipeline.envelopes.base import EnvelopeError, Parser
from pipeline.records import Envelope


def parse_bare(text: str) -> Envelope:
    return Envelope(name="bare", message=text)


PARSERS: dict[str, Parser] = {
    "dmesg": dmesg.parse,
    "bare": parse_bare,
}
ORDER: tuple[str, ...] = ("dmesg",)


def detect(text: str) -> Envelope:
    """The envelope of one line; raises EnvelopeError for a recognisably broken record."""
    for name in ORDER:
        envelope = PARSERS[name](text)
        if envelope is not None:
            return envelope
    return parse_bare(text)


def parse_as(name: str, text: str) -> Envelope:
    """Parse with a forced envelope; a line that does not fit it is an EnvelopeError."""
    envelope = PARSERS[name](text)
    if envelope is None:
        raise EnvelopeError(f"line is not in the {name} envelope")
    return envelope


__all__ = ["ORDER", "PARSERS", "EnvelopeError", "detect", "parse_as"]
