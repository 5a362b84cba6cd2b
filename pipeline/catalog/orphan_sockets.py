"""tcp-orphan-sockets: too many orphaned sockets (closed by the app, not yet gone): RSTs follow.

tcp.c. Up to 3.2 `TCP: too many of orphaned sockets` was printed from tcp_close() when orphans
exceeded tcp_max_orphans **or** TCP memory exceeded tcp_mem[2], so that wording belongs here (it
names orphans) with `ktcp.orphans.cause: orphans-or-memory`. Its sibling of the same era,
`Out of socket memory`, names memory and belongs to tcp-memory-pressure with the same cause.
Since ≈3.3 tcp_check_oom() prints `too many orphaned sockets` for orphans only.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field

from pipeline.catalog.base import TCP_PREFIX, Family, KernelMessage, Wording

ACTION = "tcp-orphan-sockets"


class OrphanSockets(KernelMessage):
    action: Literal["tcp-orphan-sockets"] = "tcp-orphan-sockets"
    cause: Literal["orphans", "orphans-or-memory"] = Field(
        description="orphans (≈3.3+) or orphans-or-memory (the ambiguous ≤3.2 wording)"
    )


FAMILY = Family(
    action=ACTION,
    model=OrphanSockets,
    wordings=(
        Wording(
            "too-many-orphaned",  # ≈3.3+: tcp_too_many_orphans() only
            re.compile(rf"{TCP_PREFIX}too many orphaned sockets"),
            fixed={"cause": "orphans"},
        ),
        Wording(
            "too-many-of-orphaned",  # 2.4-3.2: orphans or memory, the wording hides which
            re.compile(rf"{TCP_PREFIX}too many of orphaned sockets"),
            fixed={"cause": "orphans-or-memory"},
        ),
    ),
    keywords=("orphaned sockets",),
    namespace="orphans",
    level=6,
    event_type=("connection", "end"),
    summary="too many orphaned sockets: the kernel resets them instead of closing them properly",
)
