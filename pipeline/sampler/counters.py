"""TcpExt counters from /proc/net/netstat, and their change between two samples.

The names are the kernel's (net/ipv4/proc.c, `snmp4_net_list`); each counter is host-wide per
network namespace and starts again at zero at boot. A counter that went down was reset (a
reboot, or another namespace behind the same path): its delta is then its new value, the
count since the reset, as Prometheus' `increase()` treats a reset.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import pairwise
from pathlib import Path

from pipeline.ecs import COUNTERS


def parse_netstat(text: str) -> dict[str, int]:
    """The TcpExt counters we watch, from /proc/net/netstat text (a header line, a value line).

    Counters this kernel does not have (older kernels lack the zero-window ones) are absent.
    """
    lines = [line.split() for line in text.splitlines()]
    for header, values in pairwise(lines):
        if header and header[0] == "TcpExt:" and values and values[0] == "TcpExt:":
            row = dict(zip(header[1:], values[1:], strict=False))
            return {name: int(row[name]) for name in COUNTERS if name in row}
    return {}


def read_counters(net_dir: Path) -> dict[str, int]:
    return parse_netstat((net_dir / "netstat").read_text(encoding="ascii", errors="replace"))


def deltas(previous: Mapping[str, int], current: Mapping[str, int]) -> dict[str, int]:
    """What each counter added since `previous`; a counter that went down restarted at zero."""
    out = {}
    for name, value in current.items():
        before = previous.get(name)
        if before is None:
            continue
        out[name] = value - before if value >= before else value
    return out
