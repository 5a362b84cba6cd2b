"""kernel-ratelimit-suppressed: the rate limiter's count of messages it dropped.

lib/ratelimit.c `%s: %d callbacks suppressed` (`net_ratelimit` for the networking budget shared
by every family, or the printk_ratelimited() caller's function) and, before the generic limiter,
kernel/printk.c `printk: %d messages suppressed.`, and before that (2.4, early 2.6) net/core/utils.c
net_ratelimit()'s own `NET: %d messages suppressed.`. The count covers messages of *any* family
(or subsystem, for other functions), so it is an event of its own and never attached to the
next line. Only networking limiters are TCP-family events: `net_ratelimit` and functions of the
network stack (tcp_*, inet_*, nf_*, ...); `kauditd_printk_skb: N callbacks suppressed` and other
subsystems' summaries are ordinary kernel noise. `printk: <comm>: N output lines suppressed due
to ratelimiting` is about user-space writes to /dev/kmsg, not kernel messages, and is not matched.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field

from pipeline.catalog.base import Count, Family, KernelMessage, Wording

ACTION = "kernel-ratelimit-suppressed"


class RatelimitSuppressed(KernelMessage):
    action: Literal["kernel-ratelimit-suppressed"] = "kernel-ratelimit-suppressed"
    transport: str | None = None
    count: Count = Field(description="how many messages the rate limiter dropped")
    function: str | None = Field(
        None, description="rate limiter's owner: net_ratelimit or the printing function"
    )


FAMILY = Family(
    action=ACTION,
    model=RatelimitSuppressed,
    wordings=(
        Wording(
            "callbacks-suppressed",
            re.compile(
                r"(?:\S+: )*?(?P<function>net_ratelimit|(?:tcp|inet6?|inet_csk|ip6?|ipv[46]|nf|"
                r"nf_conntrack|nf_ct|sk|sock|net|dccp|mptcp)_[\w.]*): (?P<count>\d+) "
                r"callbacks suppressed"
            ),
        ),
        Wording(
            "messages-suppressed",
            re.compile(r"printk: (?P<count>\d+) messages suppressed\.?"),
        ),
        Wording(  # 2.4 and the first 2.6 releases: net_ratelimit() printed its own summary
            "net-messages-suppressed",
            re.compile(r"NET: (?P<count>\d+) messages suppressed\.?"),
        ),
    ),
    keywords=("messages suppressed", "net_ratelimit"),
    # Every subsystem prints `callbacks suppressed` (kauditd's is frequent): it routes a line
    # here, but only the networking limiters' names (net_ratelimit, and tcp_* / nf_conntrack_*
    # / nf_ct_* through the catalog's TCP words) make a line worth parsing.
    routing_only_keywords=("callbacks suppressed",),
    namespace="suppressed",
    level=4,
    event_type=("info",),
    summary="the rate limiter dropped N messages (networking budget shared by every family)",
)
