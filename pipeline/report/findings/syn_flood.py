"""tcp-syn-flood and tcp-drop-open-request: listeners whose SYN queue overflowed.

tcp_syn_flood_action() (net/ipv4/tcp_input.c; tcp_ipv4.c / tcp_ipv6.c before ≈3.17) and
tcp_conn_request()'s pr_drop_req().
"""

from __future__ import annotations

from pipeline.report.findings.base import Context, counted, evidence, plural, sysctls
from pipeline.report.model import Cause, Finding, Sysctl
from pipeline.report.rows import Row

ACTIONS = ("tcp-syn-flood", "tcp-drop-open-request")
REFERENCES = [
    "Linux net/ipv4/tcp_input.c: tcp_syn_flood_action() (once per listening socket since "
    "3.1), tcp_conn_request() and pr_drop_req()",
    "RFC 4987: TCP SYN Flooding Attacks and Common Mitigations (SYN cookies)",
]


def _listener(r: Row) -> str:
    port = r.local_port if r.local_port is not None else "?"
    if r.local_ip is None:
        return f"port {port}"
    host = f"[{r.local_ip}]" if ":" in r.local_ip else r.local_ip
    return f"{host}:{port}"


def _syn_sysctls(ctx: Context) -> list[Sysctl]:
    return sysctls(
        ctx,
        ("net.ipv4.tcp_syncookies", "1: cookies when the queue is full; 0: drop; 2: always"),
        ("net.ipv4.tcp_max_syn_backlog", "half-open (SYN_RECV) requests per listener"),
        ("net.core.somaxconn", "cap on every listen() backlog (accept queue)"),
        ("net.ipv4.tcp_synack_retries", "SYN-ACK retransmissions before a request is dropped"),
    )


def find(ctx: Context) -> list[Finding]:
    out = []
    floods = ctx.of("tcp-syn-flood")
    if floods:
        out.append(_flood(ctx, floods))
    drops = ctx.of("tcp-drop-open-request")
    if drops:
        out.append(_drop_open(ctx, drops))
    return out


def _flood(ctx: Context, rows: list[Row]) -> Finding:
    listeners = counted(rows, _listener)
    responses = counted(rows, lambda r: r.details.get("action"))
    dropped = responses.get("drop", 0)
    ports = sorted(counted(rows, lambda r: r.local_port), key=int)
    names = sorted(listeners)
    statement = (
        f"{plural(len(rows), 'SYN-flood report')} on {plural(len(listeners), 'listener')} "
        f"({', '.join(names[:6])}{' ...' if len(names) > 6 else ''}): "
        f"{responses.get('cookies', 0)} answered with SYN cookies, {dropped} dropping requests."
    )
    if dropped:
        statement += (
            " Dropped SYNs are clients that see connection timeouts: syncookies are off "
            "(net.ipv4.tcp_syncookies=0) or not available for that listener."
        )
    port_filter = " or ".join(f"sport = :{p}" for p in ports[:4])
    checks = [
        "nstat -az TcpExtListenOverflows TcpExtListenDrops TcpExtTCPReqQFullDoCookies "
        "TcpExtTCPReqQFullDrop   # counted for every SYN, unlike the line",
        f"ss -ltn '( {port_filter} )'   # Recv-Q (accept queue now) against Send-Q (backlog)",
        f"ss -tn state syn-recv '( {port_filter} )' | wc -l   # half-open connections now",
    ]
    return Finding(
        id="syn-flood",
        actions=["tcp-syn-flood"],
        severity="critical" if dropped else "warning",
        title="Listen queues overflowing (SYN flood or slow accept)",
        statement=statement,
        meaning="A listener's SYN queue was full. With net.ipv4.tcp_syncookies=1 the kernel "
        "answers with SYN cookies (some TCP options, such as window scaling, can be lost); "
        "with 0 it drops the SYN. Since Linux 3.1 the line is printed once per listening "
        "socket until it listens again, so one line can stand for hours of overload: the "
        "counters tell how many SYNs were affected. The line names only the local listener, "
        "never the peers, so it says nothing about where the SYNs came from.",
        causes=[
            Cause(
                cause="a SYN flood (many spoofed or abandoned handshakes)",
                assessment="cannot-tell",
                reason="the line does not name the senders; count half-open connections "
                "(`ss -tn state syn-recv`) and their sources while it happens.",
            ),
            Cause(
                cause="a legitimate burst, or an application that accepts too slowly",
                assessment="cannot-tell",
                reason="a full accept queue shows as TcpExtListenOverflows and a Recv-Q at "
                "the backlog in `ss -ltn`: that points at the application, not at the network.",
            ),
        ],
        checks=checks,
        sysctls=_syn_sysctls(ctx),
        references=REFERENCES,
        evidence=evidence(
            ctx,
            rows,
            events=len(rows),
            listeners=len(listeners),
            cookies_events=responses.get("cookies", 0),
            drop_events=dropped,
            local_ports=", ".join(ports),
        ),
    )


def _drop_open(ctx: Context, rows: list[Row]) -> Finding:
    peers = counted(rows, lambda r: r.peer_ip)
    isps = counted(rows, lambda r: r.isp_group or "unknown")
    top = ", ".join(f"{p} ({n})" for p, n in peers.most_common(3))
    statement = (
        f"{plural(len(rows), 'SYN')} from {plural(len(peers), 'peer')} dropped before the "
        f"handshake (top: {top}); networks: "
        f"{', '.join(f'{i} ({n})' for i, n in isps.most_common(3))}."
    )
    return Finding(
        id="drop-open-request",
        actions=["tcp-drop-open-request"],
        severity="warning",
        title="SYNs from unproven peers dropped",
        statement=statement,
        meaning="With syncookies off and the SYN queue three-quarters full, the kernel drops "
        "SYNs from peers it has no timestamp or RTT history for. The peers named are the "
        "senders of those SYNs. Since about Linux 4.0 the line is debug-only.",
        checks=[
            "nstat -az TcpExtListenDrops TcpExtTCPReqQFullDrop",
            "sysctl net.ipv4.tcp_syncookies   # 1 keeps answering instead of dropping",
        ],
        sysctls=_syn_sysctls(ctx)[:2],
        references=REFERENCES,
        evidence=evidence(ctx, rows, events=len(rows), peers=len(peers)),
    )
