"""Findings: plain-word statements with their evidence, one module per family or concern.

Each module in `FINDERS` has `ACTIONS` and `find(ctx)`; `notes` takes every action the others
do not claim, so adding a family is one small module and one line here.
"""

from __future__ import annotations

from types import ModuleType

from pipeline.report.findings import (
    conntrack,
    counters,
    memory,
    notes,
    ratelimit,
    syn_flood,
    timewait,
    window_shrink,
    zero_window_peer,
)
from pipeline.report.findings.base import Context
from pipeline.report.model import Finding

FINDERS: tuple[ModuleType, ...] = (
    window_shrink,
    zero_window_peer,
    syn_flood,
    memory,
    timewait,
    conntrack,
    ratelimit,
    counters,
)
_SEVERITY = {"critical": 0, "warning": 1, "info": 2}


def find_all(ctx: Context) -> list[Finding]:
    out: list[Finding] = []
    claimed: set[str] = set()
    for finder in FINDERS:
        out.extend(finder.find(ctx))
        claimed.update(finder.ACTIONS)
    out.extend(notes.find(ctx, claimed))
    return sorted(out, key=lambda f: (_SEVERITY[f.severity], -f.evidence.events))


__all__ = ["Context", "find_all"]
