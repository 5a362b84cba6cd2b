"""socket-api-notice: an application misused the socket API (net/core/sock.c).

`sock_set_timeout: `%s' (pid %d) tries to set negative timeout` (later with `__func__` and the
6.x `sock: ` pr_fmt), and `process `%s' is using obsolete %s SO_BSDCOMPAT`. They name a
misbehaving process (comm, pid), not a network peer, and no protocol.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field

from pipeline.catalog.base import Family, KernelMessage, Wording

ACTION = "socket-api-notice"
PID_MAX_LIMIT = 4 * 1024 * 1024  # include/linux/threads.h on 64-bit


class SocketApiNotice(KernelMessage):
    action: Literal["socket-api-notice"] = "socket-api-notice"
    transport: str | None = None
    comm: str = Field(description="command name of the process (task comm)")
    pid: Annotated[int, Field(ge=0, le=PID_MAX_LIMIT)] | None = Field(
        None, description="process id"
    )
    call: str | None = Field(None, description="so-bsdcompat: setsockopt or getsockopt")


FAMILY = Family(
    action=ACTION,
    model=SocketApiNotice,
    wordings=(
        Wording(
            "negative-timeout",
            re.compile(
                r"(?:[\w.]+: )*?(?:sock_set_timeout: )?`(?P<comm>.*)' \(pid (?P<pid>\d+)\) "
                r"tries to set negative timeout"
            ),
        ),
        Wording(
            "so-bsdcompat",
            re.compile(
                r"(?:[\w.]+: )*?process `(?P<comm>.*)' is using obsolete (?P<call>\w+) "
                r"SO_BSDCOMPAT"
            ),
            level=4,
        ),
    ),
    keywords=("tries to set negative timeout", "SO_BSDCOMPAT"),
    namespace="socket",
    level=6,
    event_type=("error",),
    summary="an application misused the socket API (negative timeout, obsolete SO_BSDCOMPAT)",
)
