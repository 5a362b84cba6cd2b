"""Rows in, `Report` out: the numbers, the episodes and the findings, in one pass of assembly."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from pipeline.report.aggregate import (
    action_order,
    timeline,
    top_lists,
    window_shrink_summary,
)
from pipeline.report.findings import Context, find_all
from pipeline.report.host import host_context
from pipeline.report.model import InputSummary, Report
from pipeline.report.rows import Row
from pipeline.settings import REPORT_EPISODE_GAP_SECS, REPORT_EVIDENCE_IDS, REPORT_TOP_N


def build_report(
    rows: Sequence[Row],
    inputs: InputSummary,
    *,
    episode_gap_secs: float = REPORT_EPISODE_GAP_SECS,
    top_n: int = REPORT_TOP_N,
    local_input: bool = False,
    host_values: bool = True,
    proc_sys: Path | None = None,
    evidence_ids: int = REPORT_EVIDENCE_IDS,
    now: datetime | None = None,
) -> Report:
    ordered = sorted(rows, key=lambda r: (r.timestamp, r.id))
    by_action: dict[str, list[Row]] = defaultdict(list)
    for r in ordered:
        by_action[r.action].append(r)
    counts = Counter({a: len(rs) for a, rs in by_action.items()})
    host, sysctls = host_context((r.host for r in ordered), local_input, host_values, proc_sys)
    shrink = window_shrink_summary(ordered, episode_gap_secs)
    ctx = Context(
        rows=ordered,
        by_action=dict(by_action),
        sysctls=sysctls,
        window_shrink=shrink,
        lines_read=inputs.lines,
        evidence_ids=evidence_ids,
    )
    return Report(
        generated_at=now or datetime.now(UTC),
        first_event=ordered[0].timestamp if ordered else None,
        last_event=ordered[-1].timestamp if ordered else None,
        inputs=inputs,
        events_by_action={
            a: counts[a] for a in sorted(counts, key=lambda a: (-counts[a], action_order(a)))
        },
        timeline=timeline(ordered),
        top=top_lists(ordered, top_n),
        window_shrink=shrink,
        findings=find_all(ctx),
        host=host,
    )
