"""conntrack-invalid: conntrack classified a packet INVALID (only with nf_conntrack_log_invalid).

`nf_ct_<proto>: <reason> ` (2.6-≈4.x) or `nf_ct_proto_<n>: <reason> ` (≈5.x+), then the nf_log
packet dump (`IN=... OUT=... SRC=... DST=... PROTO=TCP SPT=... DPT=...`) when a logger is
loaded. The dump describes the packet, so SRC/SPT go to `source.*` and DST/DPT to
`destination.*` as ECS defines them (for an outgoing packet, OUT= set, the source is local).
`network.transport` comes from PROTO=, else from the logger's protocol; without either it is
left out. Fields absent from the line stay absent.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Field

from pipeline.catalog.base import Family, KernelMessage, Wording

ACTION = "conntrack-invalid"
# IANA keywords (ECS network.transport) for nf_log's PROTO= names, nf_ct_<name> and numbers.
TRANSPORTS = {
    "tcp": "tcp",
    "udp": "udp",
    "udplite": "udplite",
    "icmp": "icmp",
    "icmpv6": "ipv6-icmp",
    "sctp": "sctp",
    "dccp": "dccp",
    "gre": "gre",
    "1": "icmp",
    "6": "tcp",
    "17": "udp",
    "33": "dccp",
    "47": "gre",
    "58": "ipv6-icmp",
    "132": "sctp",
    "136": "udplite",
}
_DUMP_KEYS = {"SRC": "peer_ip", "DST": "local_ip", "SPT": "peer_port", "DPT": "local_port"}
_KV_RE = re.compile(r"\b(SRC|DST|SPT|DPT|PROTO|IN|OUT)=(\S*)")
# The protocol trackers that log invalid packets (helpers such as nf_ct_ftp log drops instead).
_TRACKERS = "tcp|udplite|udp|icmpv6|icmp|sctp|dccp|gre"
_REST = r"(?P<reason>.*?) ?(?P<dump>\bIN=.*)?$"
Protocol = Annotated[int, Field(ge=0, le=255)]


class ConntrackInvalid(KernelMessage):
    action: Literal["conntrack-invalid"] = "conntrack-invalid"
    transport: str | None = None
    reason: str | None = Field(None, description="why conntrack found the packet invalid")
    protocol: Protocol | None = Field(
        None, description="ct-invalid: protocol number of nf_ct_proto_<n> (255 = generic)"
    )
    in_interface: str | None = Field(None, description="nf_log IN= (receiving interface)")
    out_interface: str | None = Field(None, description="nf_log OUT= (sending interface)")


def _packet(groups: dict[str, Any]) -> dict[str, Any]:
    """Reason and packet dump -> fields; the first SRC/DST wins (ICMP errors nest a header)."""
    reason = groups.pop("reason", "").strip()
    if reason:
        groups["reason"] = reason
    dump: dict[str, str] = {}
    for key, value in _KV_RE.findall(groups.pop("dump", "")):
        dump.setdefault(key, value)
    for key, name in _DUMP_KEYS.items():
        if dump.get(key):
            groups[name] = dump[key]
    if dump.get("IN"):
        groups["in_interface"] = dump["IN"]
    if dump.get("OUT"):
        groups["out_interface"] = dump["OUT"]
    proto = dump.get("PROTO") or groups.pop("proto_name", None) or groups.get("protocol")
    transport = TRANSPORTS.get(str(proto).lower()) if proto is not None else None
    if transport is not None:
        groups["transport"] = transport
    groups.pop("proto_name", None)
    return groups


FAMILY = Family(
    action=ACTION,
    model=ConntrackInvalid,
    wordings=(
        Wording(
            "ct-invalid",  # ≈5.x+: nf_ct_proto_%d: %pV + dump
            re.compile(rf"nf_ct_proto_(?P<protocol>\d+): {_REST}"),
            convert=_packet,
        ),
        Wording(
            "ct-invalid-old",  # 2.6-≈4.x: nf_ct_tcp: <reason> + dump
            re.compile(rf"nf_ct_(?P<proto_name>{_TRACKERS}): {_REST}"),
            convert=_packet,
        ),
    ),
    keywords=("nf_ct_",),
    namespace="conntrack",
    level=4,
    event_type=("info",),
    summary="conntrack logged a packet as INVALID (nf_conntrack_log_invalid debugging aid)",
)
