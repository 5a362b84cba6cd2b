"""tcp-syn-flood: a listener's SYN (request) queue is full; the kernel sends cookies or drops.

tcp_ipv4.c / tcp_ipv6.c, from ≈3.17 tcp_input.c tcp_syn_flood_action(). Six wordings, 2.2 to
6.x. Only the **local** end is ever printed (port; the listening address since 6.2), so the
address goes to `destination.ip`, never to `source.ip`: it must not be geo-located as a peer.

The name in front of `Possible SYN flooding` is the listener (`ktcp.syn_flood.listener`): the
protocol literal `TCP` / `TCPv6` before 3.17, the request-sock slab name (`request_sock_TCP`,
`request_sock_TCPv6`, MPTCP `request_sock_subflow_v4`) after. With a `TCP: ` pr_fmt in front
(3.4+) it is the *last* name before the text. The old wordings `TCPv6: dropping request` and
`TCP: Possible ...` (2.6.34-3.0) print the protocol literal, recorded as the listener too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from pydantic import Field

from pipeline.catalog.base import (
    IPV4,
    IPV6_BRACKETED,
    TCP_PREFIX,
    Family,
    KernelMessage,
    Wording,
)

ACTION = "tcp-syn-flood"
RESPONSES = {"Sending cookies": "cookies", "Dropping request": "drop"}
_RESPONSE = r"(?P<response>Sending cookies|Dropping request)\."
_PROTO = r"(?P<listener>TCP|TCPv6): "
_CHECK_SNMP = r"\s+Check SNMP counters\."  # two spaces in the kernel's literal


class SynFlood(KernelMessage):
    action: Literal["tcp-syn-flood"] = "tcp-syn-flood"
    ECS_NAMES: ClassVar[Mapping[str, str]] = {"response": "action"}

    listener: str | None = Field(
        None, description="listener name: TCP / TCPv6 or the request-sock slab name"
    )
    response: Literal["cookies", "drop"] = Field(
        description="cookies (`Sending cookies`) or drop (`Dropping request`)"
    )


def _response(groups: dict[str, Any]) -> dict[str, Any]:
    groups["response"] = RESPONSES[groups["response"]]
    return groups


FAMILY = Family(
    action=ACTION,
    model=SynFlood,
    wordings=(
        Wording(
            "with-address",  # ≈6.2+: `%s: ... port %pI4:%u. %s.` / `[%pI6c]:%u`
            re.compile(
                rf"{TCP_PREFIX}(?P<listener>\w+): Possible SYN flooding on port "
                rf"(?P<local_ip>{IPV4}|{IPV6_BRACKETED}):(?P<local_port>\d+)\. {_RESPONSE}"
            ),
            convert=_response,
        ),
        Wording(
            "request-sock",  # ≈3.17-6.1: slab name, `  Check SNMP counters.`
            re.compile(
                rf"{TCP_PREFIX}(?P<listener>request_sock_\w+): Possible SYN flooding on port "
                rf"(?P<local_port>\d+)\. {_RESPONSE}(?:{_CHECK_SNMP})?"
            ),
            convert=_response,
        ),
        Wording(
            "check-snmp",  # 3.1-≈3.16: `TCP: TCP: ...  Check SNMP counters.` from 3.4
            re.compile(
                rf"{TCP_PREFIX}{_PROTO}Possible SYN flooding on port (?P<local_port>\d+)\. "
                rf"{_RESPONSE}{_CHECK_SNMP}"
            ),
            convert=_response,
        ),
        Wording(
            "proto-possible",  # ≈2.6.34-3.0: every SYN that finds the queue full
            re.compile(
                rf"{TCP_PREFIX}{_PROTO}Possible SYN flooding on port (?P<local_port>\d+)\. "
                rf"{_RESPONSE}"
            ),
            convert=_response,
        ),
        Wording(
            "possible-lowercase",  # 2.2/2.4-≈2.6.33 IPv4, only when sending cookies
            re.compile(
                rf"{TCP_PREFIX}possible SYN flooding on port (?P<local_port>\d+)\. {_RESPONSE}"
            ),
            convert=_response,
        ),
        Wording(
            "tcpv6-dropping",  # 2.6 IPv6 before IPv6 syncookies
            re.compile(rf"{TCP_PREFIX}(?P<listener>TCPv6): dropping request, synflood is possible"),
            fixed={"response": "drop"},
        ),
    ),
    # `SYN flooding` names the family even when a line is cut before `on port`.
    keywords=("SYN flooding", "synflood is possible"),
    namespace="syn_flood",
    level=6,
    event_type=("connection", "info"),
    summary="listen queue full: the kernel answers new SYNs with cookies or drops them",
)
