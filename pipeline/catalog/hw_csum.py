"""tcp-hw-csum: the NIC said the checksum was fine, the software check disagreed (2.4-≈2.6.1x).

tcp_ipv4.c tcp_v4_checksum_init() `hw tcp v4 csum failed`, and the IPv6 twin `hw tcp v6 csum
failed`. No address is printed; `ktcp.hw_csum.ip_version` says which stack complained.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field

from pipeline.catalog.base import TCP_PREFIX, Family, KernelMessage, Wording

ACTION = "tcp-hw-csum"


class HwCsum(KernelMessage):
    action: Literal["tcp-hw-csum"] = "tcp-hw-csum"
    ip_version: Literal[4, 6] = Field(description="4 or 6: which TCP stack saw the bad checksum")


FAMILY = Family(
    action=ACTION,
    model=HwCsum,
    wordings=(
        Wording(
            "hw-csum-failed",
            re.compile(rf"{TCP_PREFIX}hw tcp v(?P<ip_version>[46]) csum failed"),
            convert=lambda groups: {**groups, "ip_version": int(groups["ip_version"])},
        ),
    ),
    keywords=("hw tcp v4 csum failed", "hw tcp v6 csum failed"),
    namespace="hw_csum",
    level=7,
    event_type=("error",),
    summary="hardware checksum offload passed a segment the software check rejects: NIC fault",
)
