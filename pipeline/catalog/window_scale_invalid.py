"""tcp-window-scale-invalid: a SYN asked for a window scale above 14 (RFC 7323); clamped to 14.

tcp_input.c tcp_parse_options(). No address is printed. The three wordings differ only in
`>14` vs `> %u` and a trailing dot, so each has its own pattern and the limit is always read
from the line.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field

from pipeline.catalog.base import TCP_PREFIX, Family, KernelMessage, Wording

ACTION = "tcp-window-scale-invalid"
_HEAD = rf"{TCP_PREFIX}(?:\w+: )?Illegal window scaling value (?P<value>\d+) "
Scale = Annotated[int, Field(ge=0, le=255)]  # the option is one byte


class WindowScaleInvalid(KernelMessage):
    action: Literal["tcp-window-scale-invalid"] = "tcp-window-scale-invalid"
    value: Scale = Field(description="window scale the peer's SYN asked for")
    limit: Scale = Field(description="the kernel's maximum (TCP_MAX_WSCALE, 14)")


FAMILY = Family(
    action=ACTION,
    model=WindowScaleInvalid,
    wordings=(
        Wording("gt-max", re.compile(rf"{_HEAD}> (?P<limit>\d+) received")),  # ≈4.x+
        Wording("gt14-dot", re.compile(rf"{_HEAD}>(?P<limit>14) received\.")),  # 2.4-≈3.3
        Wording("gt14", re.compile(rf"{_HEAD}>(?P<limit>14) received")),  # ≈3.3-≈4.x
    ),
    keywords=("Illegal window scaling value",),
    namespace="window_scale",
    level=6,
    event_type=("protocol", "info"),
    summary="peer's SYN asked for a window scale above 14; the kernel used 14",
)
