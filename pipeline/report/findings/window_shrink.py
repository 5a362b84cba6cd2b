"""tcp-window-shrink: who holds our connections at a zero window, and what that can mean.

The kernel prints the line from tcp_retransmit_timer() (net/ipv4/tcp_timer.c) when the
retransmit timer fires while the peer advertises a zero receive window (snd_wnd == 0).
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.report.findings.base import (
    Concentration,
    Context,
    concentration,
    evidence,
    pct,
    plural,
    sysctls,
)
from pipeline.report.model import Cause, Finding
from pipeline.report.rows import Row

ACTIONS = ("tcp-window-shrink",)
MIDDLEBOX_ISP_SHARE = 0.8  # one network this dominant, with several peers: look at that path
MIDDLEBOX_MIN_PEERS = 3
SPREAD_ISP_SHARE = 0.5  # no network above this share, over several: no single path to blame
SOCKSTRESS_MIN_CONNECTIONS = 5  # connections one peer held at zero window in one episode
SOCKSTRESS_PROBE_SHARE = 0.8
STALLED_SINGLE_CONNECTION_SHARE = 0.8

REFERENCES = [
    "RFC 1122 §4.2.2.16 (Managing the Window): a receiver should not shrink its window; "
    "a sender must be robust against it",
    "RFC 9293 §3.8.6 (Managing the Window) and §3.8.6.1 (Zero-Window Probing): the sender "
    "keeps probing a zero window, and keeps the connection open while probes are answered",
    "Linux net/ipv4/tcp_timer.c: tcp_retransmit_timer() prints the line and aborts when the "
    "peer sent nothing for about TCP_RTO_MAX (120 s; twice that in 6.x); tcp_probe_timer() "
    "after net.ipv4.tcp_retries2 unanswered probes (tcp_orphan_retries once closed)",
]
MEANING = (
    "The peer advertised a zero receive window while this host still had data for it, and the "
    "retransmit timer fired: the kernel keeps the connection and turns its retransmissions into "
    "window probes. RFC 1122 §4.2.2.16 and RFC 9293 §3.8.6 say a receiver should not shrink "
    "its window (pull the right edge back over data already sent) and a sender must cope when "
    "it does; by RFC 9293 §3.8.6.1 the sender keeps probing a zero window and must keep the "
    "connection open while the peer answers the probes. Linux gives up only when the peer "
    "stops answering: about two minutes without anything received on the retransmit path, "
    "net.ipv4.tcp_retries2 unanswered probes on the persist timer. A peer that keeps answering "
    "with a zero window can hold a connection, and the data queued for it, indefinitely. "
    "Exactly one byte outstanding is a zero-window probe (the window was already closed, a "
    "normal flow-control state that kernels before 6.6 still called a shrink); more bytes "
    "outstanding means data this host had sent was left beyond a window pulled back to zero."
)
CHECKS_BASE = [
    "nstat -az TcpExtTCPWinProbe TcpExtTCPZeroWindowDrop TcpExtTCPToZeroWindowAdv "
    "TcpExtTCPFromZeroWindowAdv   # WinProbe: probes we sent to closed windows (the condition "
    "in these lines, counted even when no line is printed); To/FromZeroWindowAdv: this host "
    "closing and reopening its own window; ZeroWindowDrop: segments dropped for our zero window",
    "nstat -az TcpOutSegs TcpRetransSegs TcpExtTCPLostRetransmit TcpExtTCPTimeouts   "
    "# retransmission rate = TcpRetransSegs / TcpOutSegs: loss, the sign of a saturated or "
    "throttled path, shows here and not as a zero window",
]


def find(ctx: Context) -> list[Finding]:
    rows = ctx.of(*ACTIONS)
    if not rows:
        return [_absent(ctx)]
    return [_concentration(ctx, rows), _probes(ctx, rows)]


def _concentration(ctx: Context, rows: list[Row]) -> Finding:
    total = len(rows)
    conc = concentration(rows)
    peers = conc.peers
    top_peers = [p for p, _ in peers.most_common(3) if p != "ipv6-hidden"]
    checks = [
        *CHECKS_BASE,
        *(f"ss -tino dst {p}   # timer:(persist,...) and a growing Send-Q: still held at a "
          "zero window" for p in top_peers),
    ]  # fmt: skip
    return Finding(
        id="window-shrink-concentration",
        actions=list(ACTIONS),
        severity="warning" if total >= 10 else "info",
        title="Peers holding connections at a zero window",
        statement=conc.sentence("window-shrink events"),
        meaning=MEANING,
        causes=causes(rows, conc, _connections(ctx)),
        checks=checks,
        sysctls=sysctls(
            ctx,
            ("net.ipv4.tcp_retries2", "unanswered probes (and retransmissions) before abort"),
            ("net.ipv4.tcp_orphan_retries", "the same limit once the application closed it"),
            ("net.ipv4.tcp_wmem", "send buffer per connection: data a held peer can pin"),
        ),
        references=REFERENCES,
        evidence=evidence(ctx, rows, **conc.facts()),
    )


@dataclass(frozen=True)
class Held:
    """One peer's hold on us in one episode: how many connections, events and probes."""

    peer: str
    connections: int
    events: int
    probe_events: int


def _connections(ctx: Context) -> list[Held]:
    summary = ctx.window_shrink
    episodes = summary.episodes if summary is not None else []
    return [Held(e.peer, e.connections, e.events, e.probe_events) for e in episodes]


def causes(rows: list[Row], conc: Concentration, held: list[Held]) -> list[Cause]:
    """Each plausible cause of peers holding zero windows, weighed against the evidence."""
    total = conc.total
    top_events = conc.top_isp_events
    peers = {r.peer_ip for r in rows if r.peer_ip is not None}
    top_share = top_events / total

    single = sum(1 for h in held if h.connections == 1)
    if held and single / len(held) >= STALLED_SINGLE_CONNECTION_SHARE:
        stalled = Cause(
            cause="a slow, stalled or overloaded client application (it stops reading, its "
            "receive buffer fills, its TCP advertises a zero window)",
            assessment="consistent",
            reason=f"{single} of {plural(len(held), 'episode')} involve a single connection: "
            "what one client that stops reading looks like. Confirm with `ss -tino dst PEER` "
            "while it happens (persist timer, Send-Q not draining).",
        )
    else:
        stalled = Cause(
            cause="a slow, stalled or overloaded client application",
            assessment="cannot-tell",
            reason="episodes span several connections per peer; a stuck client is still "
            "possible, the events alone cannot show it. Check `ss -tino dst PEER` live.",
        )

    if len(peers) >= MIDDLEBOX_MIN_PEERS and top_share >= MIDDLEBOX_ISP_SHARE:
        middlebox = Cause(
            cause="a middlebox, NAT or CPE on one network rewriting or clamping windows",
            assessment="consistent",
            reason=f"{pct(top_events, total)} of events from {len(peers)} distinct peers share "
            "one network. That is also what it looks like when most clients simply are on that "
            "network: compare with your traffic by ISP before suspecting its equipment.",
        )
    elif len(conc.isps) >= MIDDLEBOX_MIN_PEERS and top_share <= SPREAD_ISP_SHARE:
        middlebox = Cause(
            cause="a middlebox, NAT or CPE on one network rewriting or clamping windows",
            assessment="not-supported",
            reason=f"the events are spread over {len(conc.isps)} networks, none above "
            f"{pct(top_events, total)}: no single path stands out.",
        )
    else:
        middlebox = Cause(
            cause="a middlebox, NAT or CPE on one network rewriting or clamping windows",
            assessment="cannot-tell",
            reason="too few peers or networks to tell a path apart from the client mix.",
        )

    worst = max(held, key=lambda h: (h.connections, h.events), default=None)
    if (
        worst is not None
        and worst.connections >= SOCKSTRESS_MIN_CONNECTIONS
        and worst.probe_events >= SOCKSTRESS_PROBE_SHARE * worst.events
    ):
        attack = Cause(
            cause="an attack holding connections open at zero windows (the sockstress family)",
            assessment="consistent",
            reason=f"peer {worst.peer} held {worst.connections} connections at a zero window "
            f"in one episode, {pct(worst.probe_events, worst.events)} of them one-byte probes. "
            "Count its sockets with `ss -tn dst PEER | wc -l`; rate-limit or block it if they "
            "keep growing.",
        )
    else:
        most = worst.connections if worst is not None else 0
        attack = Cause(
            cause="an attack holding connections open at zero windows (the sockstress family)",
            assessment="not-supported",
            reason=f"no peer held more than {plural(most, 'connection')} at a zero window in "
            f"one episode (such an attack opens many; the threshold used is "
            f"{SOCKSTRESS_MIN_CONNECTIONS}).",
        )

    bandwidth = Cause(
        cause="bandwidth saturation or ISP throttling",
        assessment="not-supported",
        reason="a zero window is the peer's receiver saying its buffer is full: flow "
        "control, not congestion. A saturated or policed path drops and delays packets, which "
        "shows as retransmissions and timeouts, not as a closed window; and a share by ISP only "
        "mirrors where the clients are unless compared with traffic per ISP. Test this "
        "hypothesis with the retransmission counters below, not with these lines.",
    )
    return [stalled, middlebox, attack, bandwidth]


def _probes(ctx: Context, rows: list[Row]) -> Finding:
    measured = [r for r in rows if r.bytes_outstanding is not None]
    probes = [r for r in measured if r.bytes_outstanding == 1]
    in_flight = [r.bytes_outstanding or 0 for r in measured if r.bytes_outstanding != 1]
    if in_flight:
        rest = (
            f"{plural(len(in_flight), 'event')} had {min(in_flight):,}–{max(in_flight):,} bytes "
            "in flight when the window closed: data already sent was left beyond the window"
        )
    else:
        rest = "none had more than one byte in flight"
    statement = (
        f"{len(probes)} of {plural(len(measured), 'window-shrink event')} "
        f"({pct(len(probes), len(measured))}) had exactly one byte outstanding, a zero-window "
        f"probe to a window that was already closed; {rest}."
    )
    return Finding(
        id="window-shrink-probes",
        actions=list(ACTIONS),
        severity="info",
        title="Zero-window probes against data in flight",
        statement=statement,
        meaning="bytes outstanding = (snd_nxt - snd_una) mod 2^32 from the line. One byte is "
        "the probe a sender keeps sending into a zero window (RFC 9293 §3.8.6.1): the peer is "
        "slow, not misbehaving. More than one byte means the peer advertised a zero window "
        "after this host had sent data inside the window it offered: the shrinking RFC 1122 "
        "§4.2.2.16 tells receivers not to do.",
        checks=CHECKS_BASE[:1],
        references=REFERENCES[:2],
        evidence=evidence(
            ctx,
            measured,
            events=len(measured),
            probe_events=len(probes),
            in_flight_events=len(in_flight),
            in_flight_min_bytes=min(in_flight) if in_flight else None,
            in_flight_max_bytes=max(in_flight) if in_flight else None,
        ),
    )


def _absent(ctx: Context) -> Finding:
    return Finding(
        id="window-shrink-absent",
        actions=list(ACTIONS),
        severity="info",
        title="No window-shrink lines: not proof that no peer zero-windows you",
        statement="The input has no window-shrink lines. Since about Linux 3.19 the kernel "
        "prints them only at debug level (net_dbg_ratelimited), so a stock 4.x–6.x kernel "
        "stays silent while peers hold connections at a zero window.",
        meaning="The condition stays visible in kernel state: the TcpExt counter "
        "TCPWinProbe counts the probes sent, and a socket whose timer is the persist timer "
        "(`ss -tino` shows timer:(persist,...)) is held at a zero window now.",
        checks=[
            *CHECKS_BASE[:1],
            "ss -tino state established | grep -B1 persist   # connections held right now",
        ],
        references=REFERENCES[2:],
        evidence=evidence(ctx, [], events=0, lines_read=ctx.lines_read),
    )
