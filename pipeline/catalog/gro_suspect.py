"""tcp-gro-suspect: a received segment was longer than the MSS without GSO data: driver GRO bug.

tcp_input.c tcp_gro_dev_warn(), ≈4.8+, KERN_WARNING, once per boot. A performance hint, not a
connectivity failure. The kernel prints `Unknown driver` when it has no device name; that is
not a device, so `ktcp.gro.device` is then absent.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field

from pipeline.catalog.base import TCP_PREFIX, Family, KernelMessage, Wording

ACTION = "tcp-gro-suspect"
UNKNOWN_DRIVER = "Unknown driver"


class GroSuspect(KernelMessage):
    action: Literal["tcp-gro-suspect"] = "tcp-gro-suspect"
    device: str | None = Field(None, description="network device whose driver misbehaves")


def _known_device(groups: dict[str, Any]) -> dict[str, Any]:
    if groups.get("device") == UNKNOWN_DRIVER:
        del groups["device"]
    return groups


FAMILY = Family(
    action=ACTION,
    model=GroSuspect,
    wordings=(
        Wording(
            "suspect-gro",
            re.compile(
                rf"{TCP_PREFIX}(?P<device>{UNKNOWN_DRIVER}|[^\s:]+): Driver has suspect GRO "
                r"implementation, TCP performance may be compromised"
            ),
            convert=_known_device,
        ),
    ),
    keywords=("Driver has suspect GRO implementation",),
    namespace="gro",
    level=4,
    event_type=("info",),
    summary="NIC driver's GRO looks broken (oversized segments without GSO data): performance",
)
