"""tcp-window-shrink: the retransmit timer fired while the peer advertises a zero window.

net/ipv4/tcp_timer.c tcp_retransmit_timer() (early 2.4: tcp_input.c). Five wordings, 2.4 to 6.x.
The address is the peer's; the port after `/` is the local port.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import computed_field

from pipeline.catalog.base import (
    DYNDBG_PREFIX,
    IPV4,
    IPV6,
    TCP_PREFIX,
    U32,
    Family,
    KernelMessage,
    Wording,
)

ACTION = "tcp-window-shrink"
_ADDR = rf"(?P<peer_ip>{IPV4}|{IPV6}):(?P<peer_port>\d+)/(?P<local_port>\d+)"
_SEQ = r"(?P<snd_una>\d+):(?P<snd_nxt>\d+)"


class WindowShrink(KernelMessage):
    action: Literal["tcp-window-shrink"] = "tcp-window-shrink"
    snd_una: U32
    snd_nxt: U32
    # early-2.4 `bad-what-else` prints snd_una:snd_wnd:snd_nxt; the middle one is a window size
    snd_wnd: U32 | None = None
    recv_ago_ms: U32 | None = None  # 6.6+: time since the last ACK
    lasting_ms: U32 | None = None  # 6.6+: time since the head segment's first retransmission

    @computed_field  # type: ignore[prop-decorator]
    @property
    def bytes_outstanding(self) -> int:
        """Bytes in flight; sequence numbers are u32 and wrap."""
        return (self.snd_nxt - self.snd_una) % 2**32


FAMILY = Family(
    action=ACTION,
    model=WindowShrink,
    wordings=(
        Wording(
            "treason-uncloaked",
            re.compile(
                rf"^{TCP_PREFIX}Treason uncloaked! Peer {_ADDR} shrinks window {_SEQ}\. Repaired\.?"
            ),
        ),
        Wording(
            "unexpectedly-shrunk",
            re.compile(
                rf"^{TCP_PREFIX}{DYNDBG_PREFIX}Peer {_ADDR} unexpectedly shrunk window {_SEQ} "
                r"\(repaired\)"
            ),
        ),
        Wording(
            "probing-zero-window",
            re.compile(
                rf"^{TCP_PREFIX}{DYNDBG_PREFIX}Probing zero-window on {_ADDR}, seq={_SEQ}, "
                r"recv (?P<recv_ago_ms>\d+)ms ago, lasting (?P<lasting_ms>\d+)ms"
            ),
        ),
        Wording(
            "bad-what-else",
            re.compile(
                rf"^{TCP_PREFIX}peer {_ADDR} shrinks window "
                r"(?P<snd_una>\d+):(?P<snd_wnd>\d+):(?P<snd_nxt>\d+)\. Bad, what else can I say\?"
            ),
        ),
    ),
    keywords=("shrinks window", "shrunk window", "Probing zero-window"),
    namespace="window",
    level=7,
    event_type=("connection", "info"),
    summary="peer advertised a zero receive window; our retransmissions became window probes",
)
