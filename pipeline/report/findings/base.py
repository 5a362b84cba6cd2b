"""What every finder gets (`Context`) and the helpers they share to state their evidence.

A finder is a module with `ACTIONS` (the event.action values it reads) and
`find(ctx) -> list[Finding]`; registering it in findings/__init__.py is all a new family needs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

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


CONCENTRATION_COVER = 0.9  # "k peers account for 90%": the fewest peers covering this share


@dataclass(frozen=True)
class Concentration:
    """Who the events of one kind come from: network, peers, local ports."""

    total: int
    isps: Counter[str]
    top_isp: str
    top_isp_events: int
    top_isp_as_numbers: list[str]
    peers: Counter[str]
    top_peers_needed: int  # the fewest peers whose events reach CONCENTRATION_COVER
    top_peers_events: int
    local_ports: list[str]

    def sentence(self, what: str) -> str:
        """`87% of <what> come from China Unicom (AS4808); 3 peers account for 90%; all on
        local port 80.`"""
        asns = self.top_isp_as_numbers
        network = f"{self.top_isp} ({', '.join(asns)})" if asns else self.top_isp
        ports = self.local_ports
        if len(ports) == 1:
            where = f"all on local port {ports[0]}"
        else:
            where = f"on local ports {join_ports(ports[:8])}" + (" ..." if len(ports) > 8 else "")
        return (
            f"{pct(self.top_isp_events, self.total)} of {what} come from {network}; "
            f"{plural(self.top_peers_needed, 'peer')} account for "
            f"{pct(self.top_peers_events, self.total)}; {where}."
        )

    def facts(self) -> dict[str, Any]:
        return {
            "events": self.total,
            "peers": len(self.peers),
            "top_isp": self.top_isp,
            "top_isp_events": self.top_isp_events,
            "top_isp_as_numbers": ", ".join(self.top_isp_as_numbers),
            "top_peers_needed": self.top_peers_needed,
            "top_peers_events": self.top_peers_events,
            "local_ports": ", ".join(self.local_ports),
        }


def concentration(rows: Sequence[Row]) -> Concentration:
    total = len(rows)
    isps = counted(rows, lambda r: r.isp_group or "unknown")
    top_isp, top_isp_events = sorted(isps.items(), key=lambda kv: (-kv[1], kv[0]))[0]
    asns = counted([r for r in rows if r.isp_group == top_isp], lambda r: r.as_number)
    peers = counted(rows, lambda r: r.peer_ip)
    needed, running = len(peers), 0
    for k, (_, n) in enumerate(peers.most_common(), start=1):
        running += n
        if running >= CONCENTRATION_COVER * total:
            needed = k
            break
    return Concentration(
        total=total,
        isps=isps,
        top_isp=top_isp,
        top_isp_events=top_isp_events,
        top_isp_as_numbers=[f"AS{a}" for a, _ in asns.most_common(3)],
        peers=peers,
        top_peers_needed=needed,
        top_peers_events=running,
        local_ports=sorted(counted(rows, lambda r: r.local_port), key=int),
    )
