"""The block scanner's prefilter: which input lines may hold a TCP-family kernel message.

A line holding none of `CANDIDATE_WORDS` cannot be a TCP-family message in any envelope
(journald's byte-array MESSAGE form included), so the chain counts it without decoding or
parsing it. The words are the catalog's keywords (less the routing-only ones) plus the TCP
subsystem words; they are spelled here rather than collected from the family modules so that
reading a log without TCP lines never loads the catalog (sixteen pydantic models: most of
`ktcp parse`'s start-up). pipeline/catalog checks at import that this list is exactly what its
families declare, so a new keyword cannot be forgotten here.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from typing import Protocol

# Subsystem words of a message that "looks like TCP" (pipeline/catalog: _TCP_LOOKING_RE), and
# journald's MESSAGE as a byte array (`"MESSAGE":[84,67,80,...]`), whose text no word can match.
TCP_WORDS = ("TCP", "tcp_", "conntrack", "nf_ct_")
JOURNAL_BYTES_WORD = '"MESSAGE":['

CANDIDATE_WORDS: tuple[str, ...] = (
    " registered",
    '"MESSAGE":[',
    "AO hash",
    "AO key",
    "Disorder",
    "Driver has suspect GRO implementation",
    "Hash tables configured",
    "Illegal window scaling value",
    "Impossible, sk->sk_state",
    "MD5 Hash",
    "Out of socket memory",
    "Probing zero-window",
    "SO_BSDCOMPAT",
    "SYN flooding",
    "TCP",
    "TCP bind bhash2 hash table entries",
    "TCP bind hash table entries",
    "TCP established hash table entries",
    "TCP-AO",
    "Treason uncloaked",
    "Undo ",
    "auth options",
    "conntrack",
    "conntrack: table full",
    "consider tuning tcp_mem",
    "does not implement required ops",
    "drop open request from",
    "found a SYN, please report",
    "hw tcp v4 csum failed",
    "hw tcp v6 csum failed",
    "keepalive on a LISTEN",
    "messages suppressed",
    "net_ratelimit",
    "nf_ct_",
    "orphaned sockets",
    "recvmsg bug",
    "recvmsg seq # bug",
    "shrinks window",
    "shrunk window",
    "synflood is possible",
    "tcp_",
    "tcp_listen_portaddr_hash hash table entries",
    "time wait bucket table overflow",
    "tries to set negative timeout",
)


def alternation(words: tuple[str, ...]) -> str:
    """One regex alternation over `words`, longest first (so the longest keyword is reported)."""
    return "|".join(re.escape(w) for w in sorted(set(words), key=lambda w: (-len(w), w)))


class CandidateMatch(Protocol):
    def start(self) -> int: ...

    def end(self) -> int: ...


class CandidateSearch(Protocol):
    def search(self, data: bytes, pos: int = ...) -> CandidateMatch | None: ...


# Firewall logs (`... PROTO=TCP SPT=...`, iptables LOG / UFW) can be most of a kern.log and are
# not TCP-stack messages: a `TCP` that is a KEY=value's value does not make a line a candidate.
_CANDIDATE_PATTERN = alternation(CANDIDATE_WORDS)
# The pattern of the block scanners (RE2 here, the compiled fast path in pipeline/native.py):
# RE2 has no look-behind, so the character before TCP stays on the same line instead.
CANDIDATE_SCAN_PATTERN = "(?m)" + _CANDIDATE_PATTERN.replace("TCP", "(?:^|[^=\\n])TCP")
# The scan covers every input byte, so it uses RE2 (a DFA: one pass, whatever the number of
# keywords) when installed; Python's re tries the alternation at every position, ~15x slower.
CANDIDATE_RE: CandidateSearch
try:
    import re2
except ImportError:  # pragma: no cover - google-re2 is a dependency; keep working without it
    CANDIDATE_RE = re.compile(_CANDIDATE_PATTERN.replace("TCP", "(?<!=)TCP").encode())
else:
    # Latin-1: one byte is one character, so invalid UTF-8 before a keyword cannot hide it.
    _options = re2.Options()
    _options.encoding = re2.Options.Encoding.LATIN1
    CANDIDATE_RE = re2.compile(CANDIDATE_SCAN_PATTERN.encode(), _options)

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
