"""The catalog: which family a kernel message belongs to, and its typed model.

`FAMILIES` lists every family module; `classify()` is the one entry point. The cheap keyword
checks (`CANDIDATE_RE` for whole input blocks, `_DISPATCH_RE` per message) are built from the
families' own keywords, so adding a family is adding a module here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic import ValidationError

from pipeline.catalog import window_shrink
from pipeline.catalog.base import Family, KernelMessage

FAMILIES: tuple[Family, ...] = (window_shrink.FAMILY,)

BY_ACTION: dict[str, Family] = {f.action: f for f in FAMILIES}

# A message "looks like TCP" when it starts with a TCP-family subsystem prefix; such a line that
# no wording matches is a catalog gap, reported as unmatched rather than as noise.
_TCP_LOOKING_RE = re.compile(
    r"^(?:<\d>)?\s*(?:TCP|TCPv6|TCP\w*\b|tcp_\w+|nf_conntrack|ip_conntrack|nf_ct_\w+|"
    r"request_sock_\w+)[:\s]"
)
_TCP_WORDS = ("TCP", "tcp_", "conntrack", "nf_ct_")


def _alternation(words: tuple[str, ...]) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=lambda w: (-len(w), w)))


_DISPATCH_RE = re.compile(
    "|".join(f"(?P<f{i}>{_alternation(f.keywords)})" for i, f in enumerate(FAMILIES))
)
_DISPATCH_INDEX = {f"f{i}": f for i, f in enumerate(FAMILIES)}

# Over raw input bytes: a line holding none of these cannot be a TCP-family message in any
# envelope (journald's byte-array MESSAGE form included), so it is counted without parsing.
CANDIDATE_WORDS: tuple[str, ...] = tuple(
    sorted({w for f in FAMILIES for w in f.keywords} | set(_TCP_WORDS) | {'"MESSAGE":['})
)
CANDIDATE_RE = re.compile(_alternation(CANDIDATE_WORDS).encode())


@dataclass(frozen=True, slots=True)
class Match:
    family: Family
    message: KernelMessage


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
    return _TCP_LOOKING_RE.match(message) is not None or _DISPATCH_RE.search(message) is not None


def classify(message: str) -> Match | NoMatch | Invalid:
    """Find the family and wording of one kernel message (envelope already stripped)."""
    hit = _DISPATCH_RE.search(message)
    families = (_DISPATCH_INDEX[hit.lastgroup],) if hit and hit.lastgroup else ()
    # A keyword names the likely family, but a wording may hold another family's keyword;
    # fall back to every family before calling the line unmatched.
    for family in families + tuple(f for f in FAMILIES if f not in families):
        found = family.match(message)
        if found is None:
            continue
        wording, groups = found
        try:
            return Match(family, family.model.model_validate(groups))
        except ValidationError as exc:
            return Invalid(family, wording.variant, _short_errors(exc))
    if hit is not None or _TCP_LOOKING_RE.match(message):
        return NoMatch(True, "TCP-family line that matches no catalog wording")
    return NoMatch(False, "not a TCP-family message")


def _short_errors(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors(include_url=False):
        where = ".".join(str(p) for p in err["loc"])
        parts.append(f"{where}: {err['msg']} (got {err.get('input')!r})")
    return "; ".join(parts)


__all__ = [
    "BY_ACTION",
    "CANDIDATE_RE",
    "FAMILIES",
    "Invalid",
    "Match",
    "NoMatch",
    "classify",
    "looks_like_tcp",
]
