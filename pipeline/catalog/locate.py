"""Find a catalog message anywhere in a line (the fallback for lines no envelope fully claims).

Real text pasted into forums and tickets often starts with something no envelope knows
(`kernel: ...`, `web1 kernel: ...`, a relay's stamp, a logwatch count, a cut dmesg stamp). The
message is looked for by the catalog's own keywords: from each word start before the first
keyword, left to right, a wording must span the rest of the line (or the rest must be a cut-off
start of one, see catalog.truncation). So a line that only *names* a message in prose
(`I keep seeing Treason uncloaked in my logs`) gives nothing: the wording's fields are missing
or text follows it.

Off the hot path: chain.py calls it only for lines the envelope and catalog did not match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.catalog import Match, keyword_starts, match_whole

# A message starts at the line's start, after whitespace, or right after `]` / `>` (a stamp or
# a PRI glued to it).
_WORD_START_RE = re.compile(r"(?:^|(?<=[\s\]>]))(?=\S)")
# How far before its keyword a wording can start (`TCP: TCP: request_sock_subflow_v4: `, an MD5
# reason, a dynamic-debug `module:function:line:` prefix all fit): only word starts this close to
# a keyword are tried, so a long line costs linear time, not quadratic.
MAX_LEAD_CHARS = 256
# A wording must run to the end of the line, and no kernel message is longer than this (printk
# lines stop near 1 KiB): starts further back are not tried, whatever the line's length.
MAX_MESSAGE_CHARS = 1024


@dataclass(frozen=True, slots=True)
class Located:
    start: int  # where the kernel message begins in the text
    match: Match


def locate(text: str) -> Located | None:
    """The leftmost word start from which `text` is (or is a cut-off start of) one wording."""
    for start in _starts(text, keyword_starts(text)):
        found = match_whole(text[start:])
        if found is not None:
            return Located(start, found)
    return None


def _starts(text: str, keywords: list[int]) -> list[int]:
    """Word starts at most MAX_LEAD_CHARS before a keyword and MAX_MESSAGE_CHARS before the
    end of the text, leftmost first."""
    first = max(0, len(text) - MAX_MESSAGE_CHARS)
    starts: set[int] = set()
    for keyword in keywords:
        if keyword < first:
            continue
        lo = max(first, keyword - MAX_LEAD_CHARS)
        starts.update(m.start() for m in _WORD_START_RE.finditer(text, lo, keyword + 1))
    return sorted(starts)
