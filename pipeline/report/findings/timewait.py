"""tcp-timewait-overflow: the TIME-WAIT table was full (tcp_time_wait(), tcp_minisocks.c)."""

from __future__ import annotations

from pipeline.report.findings.base import Context, evidence, plural, sysctls
from pipeline.report.model import Finding

ACTIONS = ("tcp-timewait-overflow",)


def find(ctx: Context) -> list[Finding]:
    rows = ctx.of(*ACTIONS)
    if not rows:
        return []
    return [
        Finding(
            id="tcp-timewait-overflow",
            actions=list(ACTIONS),
            severity="warning",
            title="TIME-WAIT table overflow",
            statement=f"{plural(len(rows), 'connection close')} skipped TIME-WAIT because the "
            "table was full (lines printed; the rate limiter hides more).",
            meaning="When the TIME-WAIT sockets reach net.ipv4.tcp_max_tw_buckets (or one "
            "cannot be allocated) the kernel destroys the closing socket at once: a late "
            "segment of the old connection can then reach a new one with the same ports. "
            "Kernels 2.4–3.0 print this line; from 3.1 only TcpExtTCPTimeWaitOverflow "
            "counts it, so newer hosts never log it.",
            checks=[
                "ss -s   # timewait count",
                "nstat -az TcpExtTCPTimeWaitOverflow TcpExtTW",
            ],
            sysctls=sysctls(
                ctx,
                ("net.ipv4.tcp_max_tw_buckets", "TIME-WAIT sockets kept at most"),
                ("net.ipv4.tcp_tw_reuse", "reuse TIME-WAIT ports for new outgoing connections"),
                ("net.ipv4.ip_local_port_range", "ephemeral ports for outgoing connections"),
            ),
            references=[
                "Linux net/ipv4/tcp_minisocks.c: tcp_time_wait()",
                "RFC 9293 §3.6.1 (TIME-WAIT and the 2×MSL wait)",
            ],
            evidence=evidence(ctx, rows, events=len(rows)),
        )
    ]
