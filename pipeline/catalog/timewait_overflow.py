"""tcp-timewait-overflow: TIME_WAIT table full (or allocation failed): socket closed without it.

tcp_minisocks.c tcp_time_wait(), 2.4-3.0; since 3.1 only the counter TcpExtTCPTimeWaitOverflow.
DCCP's copy (DCCP_WARN, prefixed with the function name) is the same event for DCCP sockets,
so it sets `network.transport: dccp`.
"""

from __future__ import annotations

import re
from typing import Literal

from pipeline.catalog.base import TCP_PREFIX, Family, KernelMessage, Wording

ACTION = "tcp-timewait-overflow"


class TimewaitOverflow(KernelMessage):
    action: Literal["tcp-timewait-overflow"] = "tcp-timewait-overflow"


FAMILY = Family(
    action=ACTION,
    model=TimewaitOverflow,
    wordings=(
        Wording(
            "tw-bucket-overflow",
            re.compile(rf"{TCP_PREFIX}time wait bucket table overflow"),
        ),
        Wording(
            "dccp-tw-overflow",
            re.compile(r"(?:\w+: )*?dccp\w*: time wait bucket table overflow"),
            fixed={"transport": "dccp"},
            level=4,
        ),
    ),
    keywords=("time wait bucket table overflow",),
    namespace="timewait",
    level=6,
    event_type=("connection", "end"),
    summary="TIME_WAIT bucket table full: sockets closed without TIME_WAIT protection",
)
