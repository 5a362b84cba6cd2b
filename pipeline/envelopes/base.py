"""Shared pieces of envelope parsing: the error type and kernel level names."""

from __future__ import annotations

from collections.abc import Callable

from pipeline.records import Envelope


class EnvelopeError(ValueError):
    """The line is clearly of one envelope kind but broken (counted as invalid, with this text)."""


# A parser returns None when the line is not of its kind, so detection can try the next one.
Parser = Callable[[str], Envelope | None]

LEVEL_NAMES = {
    "emerg": 0,
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
