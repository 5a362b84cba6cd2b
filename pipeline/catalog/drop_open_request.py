"""tcp-drop-open-request: SYN from an unproven peer dropped (no syncookies, queue 3/4 full).

tcp_ipv4.c / tcp_ipv6.c, from ≈4.0 tcp_input.c pr_drop_req() (dynamic debug only). The address
and port are the **peer's** (the SYN's source). The 2.4 NIPQUAD form, the ≈2.6.29-3.18 %pI4
form and the ≈4.0+ pr_drop_req() form print the same text, so the era cannot be told from the
line: the variant says only the address family (`pi4`, `pi6`; IPv6 in the %pI6 full form).
"""

from __future__ import annotations

import re
from typing import Literal

from pipeline.catalog.base import (
    DYNDBG_PREFIX,
    IPV4,
    IPV6,
    TCP_PREFIX,
    Family,
    KernelMessage,
    Wording,
)

ACTION = "tcp-drop-open-request"


class DropOpenRequest(KernelMessage):
    action: Literal["tcp-drop-open-request"] = "tcp-drop-open-request"


FAMILY = Family(
    action=ACTION,
    model=DropOpenRequest,
    wordings=(
        Wording(
            "pi4",
            re.compile(
                rf"{DYNDBG_PREFIX}{TCP_PREFIX}drop open request from "
                rf"(?P<peer_ip>{IPV4})/(?P<peer_port>\d+)"
            ),
        ),
        Wording(
            "pi6",
            re.compile(
                rf"{DYNDBG_PREFIX}{TCP_PREFIX}drop open request from "
                rf"(?P<peer_ip>{IPV6})/(?P<peer_port>\d+)"
            ),
        ),
    ),
    keywords=("drop open request from",),
    namespace="drop_open_request",
    level=7,
    event_type=("connection", "denied"),
    summary="SYN from an unproven peer dropped: SYN queue nearly full and syncookies off",
)
