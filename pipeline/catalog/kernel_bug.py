"""tcp-kernel-bug: "should not happen" states the kernel reports; collect them for a bug report.

`%s: Impossible, sk->sk_state=%d` (tcp_input.c tcp_fin, pr_err), `Hmm... keepalive on a LISTEN
???` (tcp_timer.c, no prefix), the `TCP recvmsg seq # bug` WARN() splat headers (hex sequence
numbers; the 2.6-era `recvmsg bug: copied %X seq %X ...` spelling is accepted too), `%s: found a
SYN, please report !` (pr_err_once) and the FASTRETRANS_DEBUG > 1 `Undo ...` / `Disorder...`
lines of 2.4 (legacy noise, one variant). Only the header line of a WARN splat is an event; the
`------------[ cut here ]` / `Call Trace:` tail is ordinary noise.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Field, computed_field

from pipeline.catalog.base import IPV4, IPV6, TCP_PREFIX, U32, Family, KernelMessage, Wording

ACTION = "tcp-kernel-bug"
# include/net/tcp_states.h
TCP_STATES = {
    1: "ESTABLISHED",
    2: "SYN_SENT",
    3: "SYN_RECV",
    4: "FIN_WAIT1",
    5: "FIN_WAIT2",
    6: "TIME_WAIT",
    7: "CLOSE",
    8: "CLOSE_WAIT",
    9: "LAST_ACK",
    10: "LISTEN",
    11: "CLOSING",
    12: "NEW_SYN_RECV",
    13: "BOUND_INACTIVE",
}
_HEX = r"[0-9A-Fa-f]+"
State = Annotated[int, Field(ge=0, le=255)]  # sk_state is an unsigned char


class KernelBug(KernelMessage):
    action: Literal["tcp-kernel-bug"] = "tcp-kernel-bug"
    function: str | None = Field(None, description="kernel function that complained")
    state: State | None = Field(None, description="fin-impossible: sk->sk_state number")
    copied_seq: U32 | None = Field(None, description="recvmsg-seq-bug: copied sequence (hex)")
    seq: U32 | None = Field(None, description="recvmsg-seq-bug: skb sequence (hex)")
    rcv_nxt: U32 | None = Field(None, description="recvmsg-seq-bug: rcv_nxt (hex)")
    flags: U32 | None = Field(None, description="recvmsg-seq-bug: `fl` value (hex)")
    check: Literal[1, 2] | None = Field(None, description="recvmsg-seq-bug: which check fired")
    undo: str | None = Field(None, description="debug-undo: the undo event (`loss`, `D-SACK`...)")
    reordering: U32 | None = Field(None, description="debug-undo Disorder line: reordering")

    @computed_field(description="fin-impossible: name of the TCP state")  # type: ignore[prop-decorator]
    @property
    def state_name(self) -> str | None:
        return None if self.state is None else TCP_STATES.get(self.state)


def _recvmsg(groups: dict[str, Any]) -> dict[str, Any]:
    for name in ("copied_seq", "seq", "rcv_nxt", "flags"):
        groups[name] = int(groups[name], 16)
    groups["check"] = 2 if groups.pop("second", None) else 1
    return groups


FAMILY = Family(
    action=ACTION,
    model=KernelBug,
    wordings=(
        Wording(
            "fin-impossible",
            re.compile(rf"{TCP_PREFIX}(?P<function>\w+): Impossible, sk->sk_state=(?P<state>\d+)"),
        ),
        Wording(
            "keepalive-on-listen",
            re.compile(rf"{TCP_PREFIX}Hmm\.\.\. keepalive on a LISTEN \?\?\?"),
        ),
        Wording(
            "recvmsg-seq-bug",
            re.compile(
                rf"{TCP_PREFIX}(?:TCP recvmsg seq # bug|recvmsg bug)(?P<second> 2)?: "
                rf"copied (?P<copied_seq>{_HEX}),? seq (?P<seq>{_HEX}),? "
                rf"rcvnxt (?P<rcv_nxt>{_HEX}),? fl (?P<flags>{_HEX})\b"
            ),
            convert=_recvmsg,
            level=4,  # WARN()
        ),
        Wording(
            "found-a-syn",
            re.compile(rf"{TCP_PREFIX}(?P<function>\w+): found a SYN, please report !"),
        ),
        Wording(
            "debug-undo",  # `Undo %s %u.%u.%u.%u/%u c%u l%u ss%u/%u p%u` (later %pI4 / %pI6)
            re.compile(
                rf"Undo (?P<undo>\S+) (?P<peer_ip>{IPV4}|{IPV6})/(?P<peer_port>\d+) "
                r"c\d+ l\d+ ss\d+/\d+ p\d+"
            ),
            level=7,
        ),
        Wording(
            "debug-undo",  # `Disorder%d %d %u f%u s%u rr%d`
            re.compile(r"Disorder\d+ \d+ (?P<reordering>\d+) f\d+ s\d+ rr-?\d+"),
            level=7,
        ),
    ),
    keywords=(
        "Impossible, sk->sk_state",
        "keepalive on a LISTEN",
        "recvmsg seq # bug",
        "recvmsg bug",
        "found a SYN, please report",
    ),
    loose_keywords=("Undo ", "Disorder"),
    namespace="kernel_bug",
    level=3,
    event_type=("error",),
    summary="the TCP stack reached a state it considers impossible: kernel bug report material",
)
