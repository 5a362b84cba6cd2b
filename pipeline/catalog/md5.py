"""tcp-md5: a TCP-MD5 (RFC 2385, BGP) or TCP-AO signature was missing, unexpected or wrong.

tcp_ipv4.c / tcp_ipv6.c, later tcp.c tcp_inbound_md5_hash() and (≈6.7-≈6.10) the
tcp_hash_fail() macro, then replaced by tracepoints. The addresses are those of the offending
segment: its source (normally the peer) -> `source.*`, its destination (local) ->
`destination.*`.

`ktcp.md5.reason` normalises the kernel's words across eras (`MD5 Hash expected but NOT found`
and `MD5 Hash not found` are both `md5-not-found`); a TCP-AO reason we do not know is kept as a
slug of its text. The legacy 2.6.20 `MD5 Hash failed for (a.b.c.d, p)->...` line is textually
the same as the ≈2.6.29 %pI4 one, so both are `md5-failed-v4`. The tcp_hash_fail() forms print
`a.b.c.d.port` (split on the last dot) and `[v6].port`, the TCP flags in brackets (`F S R P`,
`.` for ACK) and an optional suffix holding `L3 index N` / `L3index: N` and `keyid: N`.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Field

from pipeline.catalog.base import (
    IPV4,
    IPV6,
    IPV6_BRACKETED,
    TCP_PREFIX,
    Count,
    Family,
    KernelMessage,
    Wording,
)

ACTION = "tcp-md5"

# The kernel's reason words -> one id per meaning, whatever the era.
REASONS = {
    "expected but NOT found": "md5-not-found",
    "expected but not found": "md5-not-found",
    "NOT expected but found": "md5-unexpected",
    "not expected but found": "md5-unexpected",
    "failed": "md5-failed",
    "mismatch": "md5-mismatch",
    "MD5 Hash failed": "md5-failed",
    "MD5 Hash mismatch": "md5-mismatch",
    "MD5 Hash not found": "md5-not-found",
    "Unexpected MD5 Hash found": "md5-unexpected",
    "AO hash is required, but not found": "ao-required",
    "AO hash wrong length": "ao-wrong-length",
    "AO hash mismatch": "ao-mismatch",
    "AO key not found": "ao-key-not-found",
    "Requested by the peer AO key id not found": "ao-peer-key-not-found",
    "TCP segment has incorrect auth options set": "bad-auth-options",
    "TCP connection can't start/end using TCP-AO": "ao-handshake",
}
_CALC_FAILED = " tcp_v4_calc_md5_hash failed"
_L3_RE = re.compile(r"L3 ?index:? (?P<l3_index>\d+)")
_KEYID_RE = re.compile(r"keyid: (?P<key_id>\d+)")
_SLUG_RE = re.compile(r"[^a-z0-9]+")

_PAREN4 = (
    rf"\((?P<peer_ip>{IPV4}), (?P<peer_port>\d+)\)->\((?P<local_ip>{IPV4}), (?P<local_port>\d+)\)"
)
_PAREN6 = (
    rf"\((?P<peer_ip>{IPV6}), (?P<peer_port>\d+)\)->\((?P<local_ip>{IPV6}), (?P<local_port>\d+)\)"
)
_LEGACY_REASON = r"(?P<reason>expected but (?:NOT|not) found|(?:NOT|not) expected but found)"
_L3 = r" L3 index (?P<l3_index>\d+)"
_CALC = r"(?P<calc_failed> tcp_v4_calc_md5_hash failed)?"
_FLAGS = r" \[(?P<flags>[FSRP.]*)\] ?(?P<suffix>.*)"
# tcp_hash_fail() reasons: the known ones, or any AO-era text holding one of the keywords.
# Bounded, so a long run of letters cannot make the two lazy parts backtrack quadratically.
_HASH_FAIL_REASON = (
    r"(?P<reason>[A-Za-z0-9 ,'/-]{0,60}?(?:MD5 Hash|AO hash|AO key|TCP-AO|auth options)"
    r"[A-Za-z0-9 ,'/-]{0,60}?)"
)

KeyId = Annotated[int, Field(ge=0, le=255)]


class Md5(KernelMessage):
    action: Literal["tcp-md5"] = "tcp-md5"
    reason: str = Field(description="md5-failed, md5-mismatch, md5-not-found, md5-unexpected, ao-*")
    l3_index: Count | None = Field(None, description="VRF L3 index (0 = default VRF)")
    flags: str | None = Field(
        None, pattern=r"^[FSRP.]+$", description="TCP flags of the segment (`.` = ACK)"
    )
    key_id: KeyId | None = Field(None, description="TCP-AO key id the segment carried")
    hash_calc_failed: bool | None = Field(
        None, description="the kernel could not compute the hash (`tcp_v4_calc_md5_hash failed`)"
    )


def reason_id(text: str) -> str:
    """The normalised reason of the kernel's words (a slug for words not in REASONS)."""
    known = REASONS.get(text)
    return known if known is not None else _SLUG_RE.sub("-", text.lower()).strip("-")


def _legacy(groups: dict[str, Any]) -> dict[str, Any]:
    # md5-v6-legacy has two alternatives for the reason; only one of them matched
    groups["reason"] = reason_id(groups.pop("reason2", None) or groups["reason"])
    if groups.pop("calc_failed", None):
        groups["hash_calc_failed"] = True
    return groups


def _hash_fail(groups: dict[str, Any]) -> dict[str, Any]:
    groups["reason"] = reason_id(groups["reason"])
    if not groups.get("flags"):
        groups.pop("flags", None)
    suffix = groups.pop("suffix", "")
    if suffix.startswith(_CALC_FAILED.strip()):
        groups["hash_calc_failed"] = True
    l3 = _L3_RE.search(suffix)
    if l3 is not None:
        groups["l3_index"] = l3.group("l3_index")
    key = _KEYID_RE.search(suffix)
    if key is not None:
        groups["key_id"] = key.group("key_id")
    return groups


def _md5_prefix(reason: str) -> str:
    return rf"{TCP_PREFIX}MD5 Hash {reason}"


FAMILY = Family(
    action=ACTION,
    model=Md5,
    wordings=(
        Wording(  # ≈6.7-≈6.10 tcp_hash_fail(): `%s for %pI4.%d->%pI4.%d [%s] ...`
            "hash-fail",
            re.compile(
                rf"{TCP_PREFIX}{_HASH_FAIL_REASON} for (?P<peer_ip>{IPV4})\.(?P<peer_port>\d+)->"
                rf"(?P<local_ip>{IPV4})\.(?P<local_port>\d+){_FLAGS}"
            ),
            convert=_hash_fail,
        ),
        Wording(  # the IPv6 macro has no space between `[%s]` and the suffix
            "hash-fail",
            re.compile(
                rf"{TCP_PREFIX}{_HASH_FAIL_REASON} for (?P<peer_ip>{IPV6_BRACKETED})\."
                rf"(?P<peer_port>\d+)->(?P<local_ip>{IPV6_BRACKETED})\.(?P<local_port>\d+)"
                rf"{_FLAGS}"
            ),
            convert=_hash_fail,
        ),
        Wording(  # ≈5.9-≈6.6
            "md5-failed-v4-l3",
            re.compile(rf"{_md5_prefix('(?P<reason>failed) for ')}{_PAREN4}{_CALC}{_L3}"),
            convert=_legacy,
        ),
        Wording(  # 2.6.20-≈5.8 (the 2.6.20 NIPQUAD line prints the same text)
            "md5-failed-v4",
            re.compile(rf"{_md5_prefix('(?P<reason>failed) for ')}{_PAREN4}{_CALC}"),
            convert=_legacy,
        ),
        Wording(  # 2.6.20-≈2.6.28 IPv4
            "md5-v4-legacy",
            re.compile(rf"{_md5_prefix(_LEGACY_REASON)} {_PAREN4}"),
            convert=_legacy,
        ),
        Wording(  # 2.6.20-≈2.6.28 IPv6, NIP6_FMT (eight zero-padded groups)
            "md5-v6-legacy",
            re.compile(
                rf"{_md5_prefix(rf'(?:{_LEGACY_REASON}|(?P<reason2>failed|mismatch) for)')} "
                rf"{_PAREN6}"
            ),
            convert=_legacy,
        ),
        Wording(  # ? 3.x-≈6.6 IPv6, %pI6c in brackets; ` L3 index %d` from ≈5.9
            "md5-v6",
            re.compile(
                rf"{_md5_prefix('(?P<reason>failed|mismatch)')} for "
                rf"(?P<peer_ip>{IPV6_BRACKETED}):(?P<peer_port>\d+)->"
                rf"(?P<local_ip>{IPV6_BRACKETED}):(?P<local_port>\d+)(?:{_L3})?"
            ),
            convert=_legacy,
        ),
    ),
    keywords=("MD5 Hash", "AO hash", "AO key", "TCP-AO", "auth options"),
    namespace="md5",
    level=6,
    event_type=("connection", "denied"),
    summary="TCP-MD5 / TCP-AO signature missing, unexpected or wrong: segment dropped",
)
