"""tcp-zero-window-peer (`ktcp sample`): connections seen at the persist timer in /proc/net/tcp.

The same condition as the window-shrink line, read from kernel state instead of the log, so it
works on stock kernels that no longer print that line. Each episode has a start event and, once
it is over, an end event with its duration; the concentration counts each episode once.
"""

from __future__ import annotations

from collections import defaultdict

from pipeline.ecs import ZERO_WINDOW_ACTION
from pipeline.report.findings.base import Context, concentration, evidence, plural, sysctls
from pipeline.report.findings.window_shrink import CHECKS_BASE, MEANING, REFERENCES, Held, causes
from pipeline.report.model import Finding
from pipeline.report.rows import Row
from pipeline.report.terminal import duration

ACTIONS = (ZERO_WINDOW_ACTION,)


def _held(starts: list[Row]) -> list[Held]:
    """Per peer: its connections seen at a zero window (every sampled event is a probe state)."""
    connections: dict[str, set[tuple[int | None, int | None]]] = defaultdict(set)
    events: dict[str, int] = defaultdict(int)
    for r in starts:
        if r.peer_ip is not None:
            connections[r.peer_ip].add((r.peer_port, r.local_port))
            events[r.peer_ip] += 1
    return [Held(p, len(c), events[p], events[p]) for p, c in sorted(connections.items())]


def find(ctx: Context) -> list[Finding]:
    rows = ctx.of(*ACTIONS)
    starts = [r for r in rows if not r.closes_episode]
    if not starts:
        return []
    ends = [r for r in rows if r.closes_episode]
    conc = concentration(starts)
    queued = [q for r in rows if isinstance(q := r.details.get("bytes_queued"), int)]
    durations = [r.duration_secs for r in ends if r.duration_secs is not None]
    statement = (
        f"{plural(len(starts), 'connection')} seen held at a zero window (persist timer); "
        + conc.sentence("them")
    )
    if durations:
        statement += (
            f" {plural(len(ends), 'episode')} ended, the longest after "
            f"{duration(max(durations))}; up to {max(queued, default=0):,} bytes were queued."
        )
    top_peers = [p for p, _ in conc.peers.most_common(3)]
    return [
        Finding(
            id="zero-window-peers",
            actions=list(ACTIONS),
            severity="warning" if len(starts) >= 10 else "info",
            title="Peers holding connections at a zero window (sampled from kernel state)",
            statement=statement,
            meaning=MEANING.split(" Exactly one byte")[0]
            + " These connections were seen in /proc/net/tcp with the zero-window probe "
            "(persist) timer running and data queued for the peer.",
            causes=causes(starts, conc, _held(starts)),
            checks=[*CHECKS_BASE, *(f"ss -tino dst {p}" for p in top_peers)],
            sysctls=sysctls(
                ctx,
                ("net.ipv4.tcp_retries2", "unanswered probes before abort"),
                ("net.ipv4.tcp_wmem", "send buffer per connection: data a held peer can pin"),
            ),
            references=REFERENCES,
            evidence=evidence(
                ctx,
                rows,
                **{**conc.facts(), "events": len(rows)},
                episodes_started=len(starts),
                episodes_ended=len(ends),
            ),
        )
    ]
