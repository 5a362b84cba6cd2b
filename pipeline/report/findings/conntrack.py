"""conntrack-table-full: netfilter's connection table was full (nf_conntrack_core.c)."""

from __future__ import annotations

from pipeline.report.findings.base import Context, evidence, plural, sysctls
from pipeline.report.model import Finding
from pipeline.report.rows import Row

ACTIONS = ("conntrack-table-full",)


def _when(rows: list[Row]) -> str:
    first = f"{rows[0].timestamp:%Y-%m-%d %H:%M}"
    last = f"{rows[-1].timestamp:%Y-%m-%d %H:%M}"
    return f"at {first} UTC" if first == last else f"between {first} and {last} UTC"


def find(ctx: Context) -> list[Finding]:
    rows = ctx.of(*ACTIONS)
    if not rows:
        return []
    return [
        Finding(
            id="conntrack-table-full",
            actions=list(ACTIONS),
            severity="critical",
            title="Connection-tracking table full: new flows dropped",
            statement=f"{plural(len(rows), 'line')} of a full conntrack table {_when(rows)}: "
            "packets of new flows were dropped, which clients see as connect timeouts.",
            meaning="netfilter tracks every flow through this host (TCP, UDP, ICMP) up to "
            "net.netfilter.nf_conntrack_max entries; when full it drops the first packet of "
            "new flows (after trying to evict an unreplied one). A TCP problem in appearance "
            "only: a UDP flood or long timeouts fill the table just as well.",
            checks=[
                "conntrack -S   # drop, early_drop, insert_failed per CPU",
                "conntrack -C   # entries now (same as net.netfilter.nf_conntrack_count)",
                "conntrack -L -o extended | awk '{print $3}' | sort | uniq -c   # by protocol",
            ],
            sysctls=sysctls(
                ctx,
                ("net.netfilter.nf_conntrack_max", "table size (entries)"),
                ("net.netfilter.nf_conntrack_count", "entries in use now"),
                ("net.netfilter.nf_conntrack_buckets", "hash buckets (hashsize)"),
                (
                    "net.netfilter.nf_conntrack_tcp_timeout_established",
                    "seconds an idle established TCP flow is kept",
                ),
            ),
            references=[
                "Linux net/netfilter/nf_conntrack_core.c: __nf_conntrack_alloc()",
                "Linux Documentation/networking/nf_conntrack-sysctl.rst",
            ],
            evidence=evidence(ctx, rows, events=len(rows)),
        )
    ]
