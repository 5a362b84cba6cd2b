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

from pipeline.catalog import Match, families_in, match_whole
from pipeline.catalog.base import Family

# A message starts at the line's start, after whitespace, or right after `]` / `>` (a stamp or
# a PRI glued to it).
_WORD_START_RE = re.compile(r"(?:^|(?<=[\s\]>]))(?=\S)")


@dataclass(frozen=True, slots=True)
class Located:
    start: int  # where the kernel message begins in the text
    match: Match


def locate(text: str) -> Located | None:
    """The leftmost word start from which `text` is (or is a cut-off start of) one wording."""
    families = families_in(text)
    if not families:
        return None
    # The message holds a keyword, so it starts at or before the last one.
    last_keyword = max(text.rfind(k) for f in families for k in _all_keywords(f))
    for start in _starts(text, last_keyword):
        found = match_whole(text[start:])
        if found is not None:
            return Located(start, found)
    return None


def _all_keywords(family: Family) -> tuple[str, ...]:
    return (*family.keywords, *family.loose_keywords, *family.routing_only_keywords)


def _starts(text: str, limit: int) -> list[int]:
    return [m.start() for m in _WORD_START_RE.finditer(text, 0, limit + 1)]
