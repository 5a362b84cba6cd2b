"""What every finder gets (`Context`) and the helpers they share to state their evidence.

A finder is a module with `ACTIONS` (the event.action values it reads) and
`find(ctx) -> list[Finding]`; registering it in findings/__init__.py is all a new family needs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from pipeline.report.host import HostSysctls
from pipeline.report.model import Evidence, Scalar, Sysctl, WindowShrinkSummary
from pipeline.report.rows import Row
from pipeline.settings import REPORT_EVIDENCE_IDS


@dataclass(frozen=True)
class Context:
    rows: Sequence[Row]  # every event of the report, oldest first
    by_action: dict[str, list[Row]]
    sysctls: HostSysctls
    window_shrink: WindowShrinkSummary | None = None
    lines_read: int = 0  # kernel log lines read (0 for document inputs)
    evidence_ids: int = REPORT_EVIDENCE_IDS
    extra: dict[str, object] = field(default_factory=dict)

    def of(self, *actions: str) -> list[Row]:
        out: list[Row] = []
        for action in actions:
            out.extend(self.by_action.get(action, ()))
        if len(actions) > 1:
            out.sort(key=lambda r: (r.timestamp, r.id))
        return out


def evidence(ctx: Context, rows: Sequence[Row], **facts: Scalar) -> Evidence:
    ids = [r.id for r in rows]
    return Evidence(
        events=len(rows),
        event_ids=ids[: ctx.evidence_ids],
        ids_complete=len(ids) <= ctx.evidence_ids,
        facts=facts,
    )


def sysctls(ctx: Context, *specs: tuple[str, str]) -> list[Sysctl]:
    return [Sysctl(name=n, meaning=m, value=ctx.sysctls.value(n)) for n, m in specs]


def pct(part: int, whole: int) -> str:
    """`87%`; never rounds a part to 100% or a non-zero part to 0%."""
    if whole <= 0:
        return "0%"
    share = 100 * part / whole
    if 0 < share < 1:
        return "<1%"
    if 99 < share < 100:
        return ">99%"
    return f"{share:.0f}%"


def counted(rows: Sequence[Row], key: Callable[[Row], str | int | None]) -> Counter[str]:
    out: Counter[str] = Counter()
    for r in rows:
        k = key(r)
        if k is not None:
            out[str(k)] += 1
    return out


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def join_ports(ports: Sequence[str]) -> str:
    """`80`, `80 and 443`, `80, 443 and 8443`."""
    if len(ports) <= 1:
        return "".join(ports)
    return ", ".join(ports[:-1]) + " and " + ports[-1]
