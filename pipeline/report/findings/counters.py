"""tcp-counters (`ktcp sample`): what the TcpExt counters say over the sampled time.

Counters count every occurrence, printed or not, so they are the check on every log-based
finding: a family with no lines but a moving counter is a quiet kernel, not a healthy one.
"""

from __future__ import annotations

from pipeline.ecs import COUNTERS, COUNTERS_ACTION
from pipeline.report.findings.base import Context, evidence
from pipeline.report.model import Finding
from pipeline.report.terminal import duration

ACTIONS = (COUNTERS_ACTION,)
# What an increase of each counter (its name under ktcp.counters.*) means for this host.
MEANINGS = {
    "win_probe": "zero-window probes sent: peers held our connections at a zero window",
    "zero_window_drop": "segments dropped because our own window was zero",
    "to_zero_window_adv": "times this host closed its own receive window (slow local reader)",
    "from_zero_window_adv": "times this host reopened its own receive window",
    "want_zero_window_adv": "times this host wanted to advertise a zero window",
    "listen_overflows": "accept queue full: the application accepts too slowly",
    "listen_drops": "SYNs dropped at a listener, for any reason",
    "req_q_full_do_cookies": "SYN queue full, answered with SYN cookies",
    "req_q_full_drop": "SYN queue full, SYN dropped: clients see timeouts",
    "abort_on_memory": "connections reset for lack of TCP memory (tcp_mem)",
    "memory_pressures": "times TCP entered memory pressure (tcp_mem[1])",
    "timeouts": "retransmission timeouts: loss or an unresponsive path",
    "abort_on_timeout": "connections given up after too many timeouts",
}
_KERNEL_NAME = {v: k for k, v in COUNTERS.items()}


def find(ctx: Context) -> list[Finding]:
    rows = ctx.of(*ACTIONS)
    if not rows:
        return []
    totals: dict[str, int] = {}
    seconds = 0.0
    for r in rows:
        interval = r.details.get("interval_secs")
        if isinstance(interval, int | float):
            seconds += interval
        for name, value in r.details.items():
            if name in MEANINGS and isinstance(value, int):
                totals[name] = totals.get(name, 0) + value
    moved = {k: v for k, v in totals.items() if v}
    if moved:
        parts = [f"TcpExt{_KERNEL_NAME[k]} +{v:,} ({MEANINGS[k]})" for k, v in moved.items()]
        statement = f"Over {duration(seconds)} of samples: " + "; ".join(parts) + "."
    else:
        statement = f"Over {duration(seconds)} of samples no watched TcpExt counter moved."
    return [
        Finding(
            id="tcp-counters",
            actions=list(ACTIONS),
            severity="warning" if moved.keys() & {"req_q_full_drop", "abort_on_memory"} else "info",
            title="What the kernel's own counters say",
            statement=statement,
            meaning="The TcpExt counters of /proc/net/netstat (net/ipv4/proc.c) count every "
            "occurrence, rate limit or not, for the whole network namespace. Log lines are a "
            "sample of them at best; these increases are the totals.",
            checks=["nstat -az " + " ".join(f"TcpExt{k}" for k in COUNTERS)],
            references=[
                "Linux net/ipv4/proc.c (snmp4_net_list); Documentation/networking/snmp_counter.rst"
            ],
            evidence=evidence(
                ctx,
                rows,
                events=len(rows),
                sampled_secs=round(seconds, 3),
                **{k: totals.get(k, 0) for k in MEANINGS},
            ),
        )
    ]
