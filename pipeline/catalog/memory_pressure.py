"""tcp-memory-pressure: TCP memory above tcp_mem[2]: the kernel drops segments and resets sockets.

tcp.c / tcp_timer.c. Up to 3.2 the retransmit/probe timer printed `Out of socket memory` (no
prefix) when orphans **or** memory were over the limit: it names memory, so it belongs here with
`ktcp.memory.cause: orphans-or-memory` (its sibling `too many of orphaned sockets` belongs to
tcp-orphan-sockets). Since ≈3.3 tcp_check_oom() prints `out of memory -- consider tuning
tcp_mem` for memory only.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field

from pipeline.catalog.base import TCP_PREFIX, Family, KernelMessage, Wording

ACTION = "tcp-memory-pressure"


class MemoryPressure(KernelMessage):
    action: Literal["tcp-memory-pressure"] = "tcp-memory-pressure"
    cause: Literal["memory", "orphans-or-memory"] = Field(
        description="memory (≈3.3+) or orphans-or-memory (the ambiguous ≤3.2 wording)"
    )


FAMILY = Family(
    action=ACTION,
    model=MemoryPressure,
    wordings=(
        Wording(
            "out-of-memory-tcp-mem",  # ≈3.3+: tcp_out_of_memory() only
            re.compile(rf"{TCP_PREFIX}out of memory -- consider tuning tcp_mem"),
            fixed={"cause": "memory"},
        ),
        Wording(
            "out-of-socket-memory",  # 2.4-3.2: orphans or memory, the wording hides which
            re.compile(rf"{TCP_PREFIX}Out of socket memory"),
            fixed={"cause": "orphans-or-memory"},
        ),
    ),
    keywords=("consider tuning tcp_mem", "Out of socket memory"),
    namespace="memory",
    level=6,
    event_type=("connection", "end"),
    summary="TCP memory over tcp_mem[2]: segments dropped, affected connections reset",
)
