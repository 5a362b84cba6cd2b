"""tcp-memory-pressure and tcp-orphan-sockets: tcp_check_oom() in net/ipv4/tcp.c.

Kernels up to 3.2 printed one wording for both conditions (`ktcp.*.cause: orphans-or-memory`).
"""

from __future__ import annotations

from pipeline.report.findings.base import Context, counted, evidence, plural, sysctls
from pipeline.report.model import Finding
from pipeline.report.rows import Row

ACTIONS = ("tcp-memory-pressure", "tcp-orphan-sockets")
REFERENCES = [
    "Linux net/ipv4/tcp.c: tcp_check_oom(), tcp_too_many_orphans(), tcp_out_of_memory()",
    "Linux Documentation/networking/ip-sysctl.rst: tcp_mem, tcp_max_orphans",
]
CHECKS = [
    "cat /proc/net/sockstat   # TCP: inuse, orphan, tw, alloc, mem (pages)",
    "nstat -az TcpExtTCPAbortOnMemory TcpExtTCPMemoryPressures TcpExtTCPMemoryPressuresChrono",
    "ss -tmn | sort -t, -k4 | tail   # sockets holding the most memory (skmem)",
]


def find(ctx: Context) -> list[Finding]:
    out = []
    memory = ctx.of("tcp-memory-pressure")
    if memory:
        out.append(_memory(ctx, memory))
    orphans = ctx.of("tcp-orphan-sockets")
    if orphans:
        out.append(_orphans(ctx, orphans))
    return out


def _ambiguous(rows: list[Row]) -> int:
    return sum(1 for r in rows if r.details.get("cause") == "orphans-or-memory")


def _memory(ctx: Context, rows: list[Row]) -> Finding:
    ambiguous = _ambiguous(rows)
    statement = (
        f"TCP ran out of memory {plural(len(rows), 'time')} (lines printed; the rate limiter "
        "hides more): sockets were reset and segments dropped."
    )
    if ambiguous:
        statement += (
            f" {ambiguous} of them are the old `Out of socket memory` wording, printed for "
            "too many orphans or for memory: the line does not say which."
        )
    return Finding(
        id="tcp-memory-pressure",
        actions=["tcp-memory-pressure"],
        severity="critical",
        title="TCP memory above tcp_mem",
        statement=statement,
        meaning="TCP's memory across all sockets went over net.ipv4.tcp_mem[2] (in pages, not "
        "bytes): the kernel refuses new buffers, drops segments and resets the affected "
        "connections (TcpExtTCPAbortOnMemory counts them). Between tcp_mem[1] and [2] it is "
        "under pressure and shrinks buffers. Raise tcp_mem only with the memory to back it; "
        "first look for sockets that hold memory (large send queues to slow peers, leaks).",
        checks=CHECKS,
        sysctls=sysctls(
            ctx,
            ("net.ipv4.tcp_mem", "min, pressure, max: pages for all TCP sockets"),
            ("net.ipv4.tcp_wmem", "send buffer per socket: min, default, max bytes"),
            ("net.ipv4.tcp_rmem", "receive buffer per socket: min, default, max bytes"),
        ),
        references=REFERENCES,
        evidence=evidence(ctx, rows, events=len(rows), ambiguous_events=ambiguous),
    )


def _orphans(ctx: Context, rows: list[Row]) -> Finding:
    ambiguous = _ambiguous(rows)
    causes = counted(rows, lambda r: r.details.get("cause"))
    statement = (
        f"{plural(len(rows), 'line')} of too many orphaned sockets: connections the "
        "applications had closed were reset instead of finishing their close."
    )
    if ambiguous:
        statement += (
            f" {ambiguous} use the pre-3.3 wording, printed for orphans or for memory: the "
            "line does not say which."
        )
    return Finding(
        id="tcp-orphan-sockets",
        actions=["tcp-orphan-sockets"],
        severity="warning",
        title="Too many orphaned sockets",
        statement=statement,
        meaning="Orphans are sockets the application closed that TCP still finishes "
        "(FIN_WAIT, LAST_ACK, CLOSING), often because the peer stopped answering or holds a "
        "zero window. Above net.ipv4.tcp_max_orphans (counted with a penalty for sockets hit "
        "by timeouts) the kernel resets them. Usually harmless to this host; many orphans "
        "point at peers that vanish or at a close-heavy workload.",
        checks=[*CHECKS[:1], "ss -tan state fin-wait-1 state last-ack | wc -l"],
        sysctls=sysctls(
            ctx,
            ("net.ipv4.tcp_max_orphans", "orphans allowed before they are reset"),
            ("net.ipv4.tcp_orphan_retries", "retries for an orphan before it is dropped"),
            ("net.ipv4.tcp_fin_timeout", "seconds an orphan stays in FIN_WAIT_2"),
        ),
        references=REFERENCES,
        evidence=evidence(
            ctx,
            rows,
            events=len(rows),
            ambiguous_events=ambiguous,
            orphans_events=causes.get("orphans", 0),
        ),
    )
