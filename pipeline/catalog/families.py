"""The family table: every family in order, and the keyword index that routes a message.

Loaded on the first message the catalog classifies (pipeline/catalog: `_table()`), not when
`pipeline.catalog` is imported: the family modules are sixteen pydantic models with their
regexes, most of `ktcp parse`'s start-up, and a log without TCP lines never needs them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

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
from pipeline.catalog.base import Family
from pipeline.prefilter import CANDIDATE_WORDS, JOURNAL_BYTES_WORD, TCP_WORDS, alternation

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


def _keyword_index() -> dict[str, tuple[Family, bool]]:
    """Keyword -> (its family, whether a line holding it but matching nothing is a gap)."""
    index: dict[str, tuple[Family, bool]] = {}
    for family in FAMILIES:
        for word in (*family.loose_keywords, *family.routing_only_keywords):
            index[word] = (family, False)
        for word in family.keywords:
            index[word] = (family, True)
    return index


@dataclass(frozen=True, slots=True)
class FamilyTable:
    families: tuple[Family, ...]
    by_action: Mapping[str, Family]
    keywords: Mapping[str, tuple[Family, bool]]  # keyword -> (family, a miss is a catalog gap)
    # One alternation over every keyword (longest first): a line is scanned once, and only the
    # families whose keywords it holds are tried.
    dispatch: re.Pattern[str]


_KEYWORDS = _keyword_index()
TABLE = FamilyTable(
    families=FAMILIES,
    by_action={f.action: f for f in FAMILIES},
    keywords=_KEYWORDS,
    dispatch=re.compile(alternation(tuple(_KEYWORDS))),
)


def _check_prefilter() -> None:
    """The block scanner's words (pipeline/prefilter.py) are exactly these families' keywords:
    a line holding a keyword the prefilter lacked would be counted non-TCP without a look."""
    routing_only = {w for f in FAMILIES for w in f.routing_only_keywords}
    words = (set(_KEYWORDS) - routing_only) | {*TCP_WORDS, JOURNAL_BYTES_WORD}
    if tuple(sorted(words)) != CANDIDATE_WORDS:
        raise RuntimeError(
            "pipeline/prefilter.py: CANDIDATE_WORDS differs from the catalog's keywords; set it "
            f"to {tuple(sorted(words))!r}"
        )


_check_prefilter()
