"""The catalog: which family a kernel message belongs to, and its typed model.

`FAMILIES` lists every family module; `classify()` is the one entry point. The cheap keyword
checks (`CANDIDATE_RE` for whole input blocks, `_DISPATCH_RE` per message) are built from the
families' own keywords, so adding a family is adding a module here.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

from pydantic import ValidationError

from pipeline import prose
from pipeline.catalog import (
    boot_info,
    conntrack_invalid,
    conntrack_table_full,
    drop_open_request,
    gro_suspect,
    hw_csum,
    kernel_bug,
    md5,
    memory_pressure,
    orphan_sockets,
    ratelimit_suppressed,
    socket_api_notice,
    syn_flood,
    timewait_overflow,
    window_scale_invalid,
    window_shrink,
)
from pipeline.catalog.base import Family, KernelMessage, Wording
from pipeline.catalog.truncation import truncated_message

# In the order of the family table of docs/KERNEL-MESSAGES.md.
FAMILIES: tuple[Family, ...] = (
    window_shrink.FAMILY,
    syn_flood.FAMILY,
    orphan_sockets.FAMILY,
    memory_pressure.FAMILY,
    timewait_overflow.FAMILY,
    drop_open_request.FAMILY,
    window_scale_invalid.FAMILY,
    md5.FAMILY,
    gro_suspect.FAMILY,
    hw_csum.FAMILY,
    kernel_bug.FAMILY,
    boot_info.FAMILY,
    conntrack_table_full.FAMILY,
    conntrack_invalid.FAMILY,
    socket_api_notice.FAMILY,
    ratelimit_suppressed.FAMILY,
)

BY_ACTION: dict[str, Family] = {f.action: f for f in FAMILIES}


class CandidateMatch(Protocol):
    def start(self) -> int: ...

    def end(self) -> int: ...


class CandidateSearch(Protocol):
    def search(self, data: bytes, pos: int = ...) -> CandidateMatch | None: ...


# A message "looks like TCP" when it starts with a TCP-family subsystem prefix; such a line that
# no wording matches is a catalog gap, reported as unmatched rather than as noise.
_TCP_LOOKING_RE = re.compile(
    r"^(?:<\d>)?\s*(?:TCP|TCPv6|TCP\w*\b|tcp_\w+|nf_conntrack|ip_conntrack|nf_ct_\w+|"
    r"request_sock_\w+)[:\s]"
)
_TCP_WORDS = ("TCP", "tcp_", "conntrack", "nf_ct_")


def _alternation(words: tuple[str, ...]) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=lambda w: (-len(w), w)))


def _keyword_index() -> dict[str, tuple[Family, bool]]:
    """Keyword -> (its family, whether a line holding it but matching nothing is a gap)."""
    index: dict[str, tuple[Family, bool]] = {}
    for family in FAMILIES:
        for word in (*family.loose_keywords, *family.routing_only_keywords):
            index[word] = (family, False)
        for word in family.keywords:
            index[word] = (family, True)
    return index


_KEYWORDS = _keyword_index()
# One alternation over every keyword (longest first): a line is scanned once, and only the
# families whose keywords it holds are tried.
_DISPATCH_RE = re.compile(_alternation(tuple(_KEYWORDS)))

# Over raw input bytes: a line holding none of these cannot be a TCP-family message in any
# envelope (journald's byte-array MESSAGE form included), so it is counted without parsing.
_ROUTING_ONLY = {w for f in FAMILIES for w in f.routing_only_keywords}
CANDIDATE_WORDS: tuple[str, ...] = tuple(
    sorted((set(_KEYWORDS) - _ROUTING_ONLY) | set(_TCP_WORDS) | {'"MESSAGE":['})
)
# Firewall logs (`... PROTO=TCP SPT=...`, iptables LOG / UFW) can be most of a kern.log and are
# not TCP-stack messages: a `TCP` that is a KEY=value's value does not make a line a candidate.
_CANDIDATE_PATTERN = _alternation(CANDIDATE_WORDS)
# The scan covers every input byte, so it uses RE2 (a DFA: one pass, whatever the number of
# keywords) when installed; Python's re tries the alternation at every position, ~15x slower.
CANDIDATE_RE: CandidateSearch
try:
    import re2
except ImportError:  # pragma: no cover - google-re2 is a dependency; keep working without it
    CANDIDATE_RE = re.compile(_CANDIDATE_PATTERN.replace("TCP", "(?<!=)TCP").encode())
else:  # RE2 has no look-behind: the character before TCP stays on the same line instead
    # Latin-1: one byte is one character, so invalid UTF-8 before a keyword cannot hide it.
    _options = re2.Options()
    _options.encoding = re2.Options.Encoding.LATIN1
    CANDIDATE_RE = re2.compile(
        ("(?m)" + _CANDIDATE_PATTERN.replace("TCP", "(?:^|[^=\\n])TCP")).encode(), _options
    )

CandidateSpan = Callable[[bytes, int], "tuple[int, int] | None"]


def _public_span(data: bytes, pos: int) -> tuple[int, int] | None:
    """(start, end) of the first candidate keyword at or after `pos`, through the public API."""
    hit = CANDIDATE_RE.search(data, pos)
    return None if hit is None else (hit.start(), hit.end())


def _raw_span() -> CandidateSpan | None:
    """The same answer straight from RE2's compiled program, without the match object the
    wrapper builds around every hit (half the cost of a TCP-only line's scan). The wrapper's
    internals are not public API, so this is used only when it gives the public answers."""
    program = getattr(CANDIDATE_RE, "_regexp", None)
    anchor = getattr(getattr(sys.modules.get("re2"), "_Anchor", None), "UNANCHORED", None)
    if program is None or anchor is None:
        return None
    match = program.Match

    def span(data: bytes, pos: int) -> tuple[int, int] | None:
        end = len(data)
        if pos > end:  # past the last line (RE2 itself would log an error)
            return None
        found: tuple[int, int] = match(anchor, data, pos, end)[0]
        return None if found[0] < 0 else found

    probe = b"x PROTO=TCP\nTCP: drop open request from 1.2.3.4/80\nnothing\n"
    try:
        if all(span(probe, p) == _public_span(probe, p) for p in range(len(probe) + 2)):
            return span
    except Exception:  # any surprise from the private API: the public path is used
        return None
    return None  # pragma: no cover - a google-re2 release that answers differently


# The block scanner's search: `candidate_span(data, pos)`; the public path is the reference.
candidate_span: CandidateSpan = _raw_span() or _public_span


# What may follow a wording's match without being more text: the trailing dot some kernels
# print and stray whitespace (a line whose match leaves anything else is checked for a cut).
TAIL_NOISE = " .\t"
_REASON_INPUT_CHARS = 60  # a bad value is quoted in the miss reason, cut to this length


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
    return any(_KEYWORDS[m.group()][1] for m in _DISPATCH_RE.finditer(message))


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
    tried: list[Family] = []
    gap = False
    for hit in _DISPATCH_RE.finditer(message):
        family, strong = _KEYWORDS[hit.group()]
        gap = gap or strong
        if family in tried:
            continue
        tried.append(family)
        found = family.match(message)
        if found is None:
            continue
        wording, groups, end = found
        if end != len(message) and message[end:].strip(TAIL_NOISE):
            cut = truncated_message(family, message)  # a longer wording cut off at the tail?
            if cut is not None:
                return Match(family, cut[1], cut[0], truncated=True)
            if prose.after_message(message[end:]):
                return NoMatch(True, "a sentence follows the message: a mention, not a log line")
        try:
            return Match(family, family.model.model_validate(groups), wording)
        except ValidationError as exc:
            return Invalid(family, wording.variant, _short_errors(exc))
    if gap or _TCP_LOOKING_RE.match(message):
        return NoMatch(True, "TCP-family line that matches no catalog wording")
    return NoMatch(False, "not a TCP-family message")


def families_in(message: str) -> list[Family]:
    """The families whose keywords occur in `message`, in the order they first occur."""
    found: list[Family] = []
    for hit in _DISPATCH_RE.finditer(message):
        family = _KEYWORDS[hit.group()][0]
        if family not in found:
            found.append(family)
    return found


def keyword_starts(message: str) -> list[int]:
    """Where each catalog keyword occurrence starts in `message`."""
    return [hit.start() for hit in _DISPATCH_RE.finditer(message)]


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
        try:
            return Match(family, family.model.model_validate(groups), wording)
        except ValidationError:
            continue
    for family in families:
        cut = truncated_message(family, message)
        if cut is not None:
            return Match(family, cut[1], cut[0], truncated=True)
    return None


def _short_errors(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors(include_url=False):
        where = ".".join(str(p) for p in err["loc"])
        got = repr(err.get("input"))
        if len(got) > _REASON_INPUT_CHARS:
            got = got[: _REASON_INPUT_CHARS - 3] + "..."
        parts.append(f"{where}: {err['msg']} (got {got})")
    return "; ".join(parts)


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
