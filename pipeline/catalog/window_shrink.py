"""tcp-window-shrink: the retransmit timer fired while the peer advertises a zero window.

net/ipv4/tcp_timer.c tcp_retransmit_timer() (early 2.4: tcp_input.c). Five wordings, 2.4 to 6.x.
The address is the peer's; the first port is the peer's, the port after `/` the local one.

Before ≈2.6.29 the message printed only the IPv4 field of the socket, which IPv6 sockets keep
at LOOPBACK4_IPV6 = 127.0.0.6: such a `Treason uncloaked! Peer 127.0.0.6:...` line is an IPv6
connection whose peer address was never printed, so it gets no `source.ip` (enrichment would
call it loopback) and `ktcp.window.ipv6_peer_hidden: true` instead. The IPv6 forms (NIP6_FMT /
%pI6, eight zero-padded groups) are accepted in every wording.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, computed_field

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
LOOPBACK4_IPV6 = "127.0.0.6"  # include/net/transp_v6.h
# Forum and ticket posters often mask the peer (`195.166.XXX.YYY`, `xx.xx.xxx.xxx`): the rest of
# the line is still the kernel's, so it is read, and the address is recorded as masked.
_MASK = r"(?:\d{1,3}|[xXyYzZ*#]{1,3})"
_MASKED_IPV4 = rf"(?=[\d.]*[xXyYzZ*#]){_MASK}(?:\.{_MASK}){{3}}"
_ADDR = (
    rf"(?:(?P<peer_ip>{IPV4}|{IPV6})|(?P<peer_masked>{_MASKED_IPV4})):"
    r"(?P<peer_port>\d+)/(?P<local_port>\d+)"
)
_SEQ = r"(?P<snd_una>\d+):(?P<snd_nxt>\d+)"


class WindowShrink(KernelMessage):
    action: Literal["tcp-window-shrink"] = "tcp-window-shrink"
    snd_una: U32 = Field(description="oldest unacknowledged sequence number (u32)")
    snd_nxt: U32 = Field(description="next sequence number to send (u32)")
    snd_wnd: U32 | None = Field(
        None, description="early 2.4 `bad-what-else` only: the peer's window in bytes"
    )
    recv_ago_ms: U32 | None = Field(None, description="6.6+: milliseconds since the last ACK")
    lasting_ms: U32 | None = Field(
        None, description="6.6+: milliseconds since the head segment's first retransmission"
    )
    ipv6_peer_hidden: bool | None = Field(
        None, description="pre-2.6.29 line printed 127.0.0.6 for an IPv6 peer: address unknown"
    )
    peer_masked: bool | None = Field(
        None, description="the peer address was masked before the line was posted: unknown"
    )

    @computed_field(description="bytes in flight: (snd_nxt - snd_una) mod 2^32")  # type: ignore[prop-decorator]
    @property
    def bytes_outstanding(self) -> int | None:
        """Bytes in flight; sequence numbers are u32 and wrap. Unknown on a line cut short."""
        una: int | None = self.snd_una  # None only in catalog.truncation's model
        nxt: int | None = self.snd_nxt
        if una is None or nxt is None:
            return None
        return (nxt - una) % 2**32


def _masked(groups: dict[str, Any]) -> dict[str, Any]:
    """No `source.ip` when the poster masked the peer."""
    if "peer_masked" in groups:
        groups["peer_masked"] = True
    return groups


def _peer(groups: dict[str, Any]) -> dict[str, Any]:
    """Pre-2.6.29 wordings: 127.0.0.6 stands for an IPv6 peer whose address was not printed."""
    if groups.get("peer_ip") == LOOPBACK4_IPV6:
        del groups["peer_ip"]
        groups["ipv6_peer_hidden"] = True
        return groups
    return _masked(groups)


FAMILY = Family(
    action=ACTION,
    model=WindowShrink,
    wordings=(
        Wording(
            "unexpectedly-shrunk",  # `TCP: Peer` ≈2.6.29-3.3, bare `Peer` 3.4-6.5
            re.compile(
                rf"{DYNDBG_PREFIX}{TCP_PREFIX}Peer {_ADDR} unexpectedly shrunk window {_SEQ} "
                r"\(repaired\)"
            ),
            convert=_masked,
        ),
        Wording(
            "probing-zero-window",  # 6.6+
            re.compile(
                rf"{DYNDBG_PREFIX}{TCP_PREFIX}Probing zero-window on {_ADDR}, seq={_SEQ}, "
                r"recv (?P<recv_ago_ms>\d+)ms ago, lasting (?P<lasting_ms>\d+)ms"
            ),
            convert=_masked,
        ),
        Wording(
            "treason-uncloaked",  # 2.4-≈2.6.28
            re.compile(
                rf"{TCP_PREFIX}Treason uncloaked! [Pp]eer {_ADDR} shrinks window {_SEQ}\. "
                r"Repaired\.?"
            ),
            convert=_peer,
        ),
        Wording(
            "bad-what-else",  # early 2.4: snd_una:snd_wnd:snd_nxt
            re.compile(
                rf"{TCP_PREFIX}[Pp]eer {_ADDR} shrinks window "
                r"(?P<snd_una>\d+):(?P<snd_wnd>\d+):(?P<snd_nxt>\d+)\. Bad, what else can I say\?"
            ),
            convert=_peer,
        ),
    ),
    # `Treason uncloaked` names the family even when a line is cut before `shrinks window`.
    keywords=("shrinks window", "shrunk window", "Probing zero-window", "Treason uncloaked"),
    namespace="window",
    level=7,
    event_type=("connection", "info"),
    summary="peer advertised a zero receive window; our retransmissions became window probes",
)
