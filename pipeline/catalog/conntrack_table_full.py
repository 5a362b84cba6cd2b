"""conntrack-table-full: the conntrack table is at nf_conntrack_max: new flows' packets dropped.

netfilter, not TCP-only (UDP floods fill it too), kept because it explains TCP connect timeouts.
The line names no protocol, so `network.transport` is left out. The ≈3.5+ wording is printed
with a doubled prefix where nf_conntrack_core.c defines pr_fmt
(`nf_conntrack: nf_conntrack: table full, dropping packet`); old wordings end with a dot.
`table full in netns %u` was a 2023 proposal that reviewers turned down; it is accepted (as
`netns-proposal`, with `ktcp.conntrack.netns`) in case a distribution kernel carries it.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field

from pipeline.catalog.base import U32, Family, KernelMessage, Wording

ACTION = "conntrack-table-full"
_NF = r"(?:nf_conntrack: )+"


class ConntrackTableFull(KernelMessage):
    action: Literal["conntrack-table-full"] = "conntrack-table-full"
    transport: str | None = None
    netns: U32 | None = Field(None, description="netns-proposal only: network namespace inode")


FAMILY = Family(
    action=ACTION,
    model=ConntrackTableFull,
    wordings=(
        Wording("nf-conntrack-dot", re.compile(rf"{_NF}table full, dropping packet\.")),
        Wording("nf-conntrack", re.compile(rf"{_NF}table full, dropping packet")),
        Wording("ip-conntrack", re.compile(r"(?:ip_conntrack: )+table full, dropping packet")),
        Wording(
            "netns-proposal",
            re.compile(rf"{_NF}table full in netns (?P<netns>\d+), dropping packet"),
        ),
    ),
    keywords=("conntrack: table full",),
    namespace="conntrack",
    level=4,
    event_type=("connection", "denied"),
    summary="conntrack table full: packets of new flows are dropped (connect timeouts)",
)
