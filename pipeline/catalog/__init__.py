"""The catalog: which family a kernel message belongs to, and its typed model.

`FAMILIES` lists every family module (pipeline/catalog/families.py); `classify()` is the one
entry point. The cheap keyword checks (`CANDIDATE_RE` for whole input blocks, the dispatch
regex per message) use the families' own keywords, so adding a family is adding a module there
(and its keywords to pipeline/prefilter.py, which is checked against them at load).

Importing this package is cheap: the family table (sixteen pydantic models and their regexes)
is loaded on the first message classified or the first use of `FAMILIES` / `BY_ACTION`, so
`ktcp parse` of a log without TCP lines, and commands that never classify, start without it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

from pipeline import prose
from pipeline.prefilter import CANDIDATE_RE, candidate_span

if TYPE_CHECKING:
    from collections.abc import Mapping

    from pipeline.catalog.base import Family, KernelMessage, Wording
    from pipeline.catalog.families import FamilyTable

    FAMILIES: tuple[Family, ...]
    BY_ACTION: Mapping[str, Family]


@cache
def _table() -> FamilyTable:
    """The family table, imported on first use (see the module's docstring)."""
    from pipeline.catalog.families import TABLE

    return TABLE


def __getattr__(name: str) -> Any:
    if name == "FAMILIES":
        return _table().families
    if name == "BY_ACTION":
        return _table().by_action
    raise AttributeError(f"module 'pipeline.catalog' has no attribute {name!r}")


# A message "looks like TCP" when it starts with a TCP-family subsystem prefix; such a line that
# no wording matches is a catalog gap, reported as unmatched rather than as noise.
_TCP_LOOKING_RE = re.compile(
    r"^(?:<\d>)?\s*(?:TCP|TCPv6|TCP\w*\b|tcp_\w+|nf_conntrack|ip_conntrack|nf_ct_\w+|"
    r"request_sock_\w+)[:\s]"
)


# What may follow a wording's match without being more text: the trailing dot some kernels
# print and stray whitespace (a line whose match leaves anything else is checked for a cut).
TAIL_NOISE = " .\t"


@dataclass(frozen=True, slots=True)
class Match:
    family: Family
    message: KernelMessage
    wording: Wording | None = None
    truncated: bool = False  # the text ends inside the wording: only its complete fields are set

    @property
    def level(self) -> int:
        """Kernel level of the matched wording (some wordings differ from their family's)."""
        if self.wording is not None and self.wording.level is not None:
            return self.wording.level
        return self.family.level


@dataclass(frozen=True, slots=True)
class NoMatch:
    tcp_looking: bool
    reason: str


@dataclass(frozen=True, slots=True)
class Invalid:
    family: Family
    variant: str
    reason: str


def looks_like_tcp(message: str) -> bool:
    if _TCP_LOOKING_RE.match(message) is not None:
        return True
    table = _table()
    return any(table.keywords[m.group()][1] for m in table.dispatch.finditer(message))


# Many kernel messages repeat word for word (`TCP: too many orphaned sockets`, `nf_conntrack:
# table full`, one SYN-flood line per listener); outcomes are immutable, so they are shared.
# 1,024 outcomes hold the repeating wordings; each keeps a model (about 1 KiB), so a larger
# cache mostly adds memory (docs/PERFORMANCE.md: peak RSS).
CLASSIFY_CACHE_ENTRIES = 1024


@lru_cache(maxsize=CLASSIFY_CACHE_ENTRIES)
def classify(message: str) -> Match | NoMatch | Invalid:
    """Find the family and wording of one kernel message (envelope already stripped).

    Every wording holds one of its family's keywords (a test checks it), so only the families
    whose keywords occur in the message are tried, in the order the keywords occur.
    """
    table = _table()
    tried: list[Family] = []
    gap = False
    for hit in table.dispatch.finditer(message):
        family, strong = table.keywords[hit.group()]
        gap = gap or strong
        if family in tried:
            continue
        tried.append(family)
        found = family.match(message)
        if found is None:
            continue
        wording, groups, end = found
        if end != len(message) and message[end:].strip(TAIL_NOISE):
            cut = _truncated(family, message)  # a longer wording cut off at the tail?
            if cut is not None:
                return Match(family, cut[1], cut[0], truncated=True)
            if prose.after_message(message[end:]):
                return NoMatch(True, "a sentence follows the message: a mention, not a log line")
        model = family.validate(groups)
        if isinstance(model, str):
            return Invalid(family, wording.variant, model)
        return Match(family, model, wording)
    if gap or _TCP_LOOKING_RE.match(message):
        return NoMatch(True, "TCP-family line that matches no catalog wording")
    return NoMatch(False, "not a TCP-family message")


def families_in(message: str) -> list[Family]:
    """The families whose keywords occur in `message`, in the order they first occur."""
    table = _table()
    found: list[Family] = []
    for hit in table.dispatch.finditer(message):
        family = table.keywords[hit.group()][0]
        if family not in found:
            found.append(family)
    return found


def keyword_starts(message: str) -> list[int]:
    """Where each catalog keyword occurrence starts in `message`."""
    return [hit.start() for hit in _table().dispatch.finditer(message)]


def match_whole(message: str) -> Match | None:
    """A wording that spans all of `message` (trailing dots and spaces aside), or one it is a
    cut-off start of; None otherwise. For text found inside a longer line (catalog.locate)."""
    families = families_in(message)
    for family in families:
        found = family.match(message)
        if found is None:
            continue
        wording, groups, end = found
        if message[end:].strip(TAIL_NOISE):
            continue
        model = family.validate(groups)
        if not isinstance(model, str):
            return Match(family, model, wording)
    for family in families:
        cut = _truncated(family, message)
        if cut is not None:
            return Match(family, cut[1], cut[0], truncated=True)
    return None


def _truncated(family: Family, message: str) -> tuple[Wording, KernelMessage] | None:
    """catalog.truncation's answer; imported here, off the common path (it loads `regex`)."""
    from pipeline.catalog.truncation import truncated_message

    return truncated_message(family, message)


__all__ = [
    "BY_ACTION",
    "CANDIDATE_RE",
    "FAMILIES",
    "Invalid",
    "Match",
    "NoMatch",
    "candidate_span",
    "classify",
    "families_in",
    "keyword_starts",
    "looks_like_tcp",
    "match_whole",
]
