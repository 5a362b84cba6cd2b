"""One ECS document -> one `Row`: the few fields the report counts, read in one place.

Documents come from the parse chain, from `parse -o ndjson` output or from Elasticsearch; all
three carry the event contract, so the report works on documents and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from pipeline.catalog import BY_ACTION
from pipeline.ecs import COUNTERS_ACTION, DATASET, ZERO_WINDOW_ACTION
from pipeline.enrich.names import load as isp_names

HIDDEN_IPV6_PEER = "ipv6-hidden"  # pre-2.6.29 window-shrink lines of IPv6 peers (127.0.0.6)
# ktcp.<namespace> of the kernel-state samples (`ktcp sample`), which are no catalog family.
SAMPLE_NAMESPACES = {ZERO_WINDOW_ACTION: "zero_window", COUNTERS_ACTION: "counters"}


class NotADocument(ValueError):
    """A JSON object that is not a ktcp event document; the message is the reason."""


@dataclass(frozen=True, slots=True)
class Row:
    id: str
    timestamp: datetime
    action: str
    host: str | None
    peer_ip: str | None
    peer_port: int | None
    local_ip: str | None
    local_port: int | None
    isp: str | None  # ktcp.isp.name
    as_number: int | None
    as_organization: str | None
    country: str | None
    region: str | None
    details: dict[str, Any]  # the family's own fields, ktcp.<namespace>.*
    kind: str = "event"  # event.kind: `metric` for counter samples
    duration_secs: float | None = None  # event.duration (a sampled episode's end)
    closes_episode: bool = False  # carries event.end: the end of an episode already counted

    @property
    def counted(self) -> bool:
        """Whether top lists and the timeline count it: not a metric sample, and not the event
        that closes a sampled episode (its start was counted already)."""
        return self.kind != "metric" and not self.closes_episode

    @property
    def isp_group(self) -> str | None:
        """Chinese carriers (and every ISP of the canonical table) by canonical name; the rest
        by AS organisation, else the enrichment's word (private, reserved, unknown)."""
        if self.isp is not None and self.isp in canonical_isps():
            return self.isp
        return self.as_organization or self.isp

    @property
    def bytes_outstanding(self) -> int | None:
        value = self.details.get("bytes_outstanding")
        return value if isinstance(value, int) else None


@cache
def canonical_isps() -> frozenset[str]:
    table = isp_names()
    return frozenset(
        {isp.name for isp in table.by_asn.values()} | {p[2].name for p in table.patterns}
    )


def parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def row(doc: Any) -> Row:
    """The row of one document; NotADocument says why a JSON value is not one."""
    if not isinstance(doc, dict):
        raise NotADocument("not a JSON object")
    event = doc.get("event")
    if not isinstance(event, dict) or event.get("dataset") != DATASET:
        raise NotADocument(f"not a ktcp event (event.dataset is not {DATASET!r})")
    action, event_id, stamp = event.get("action"), event.get("id"), doc.get("@timestamp")
    if not isinstance(action, str) or not isinstance(event_id, str) or not isinstance(stamp, str):
        raise NotADocument("event.action, event.id or @timestamp missing")
    try:
        timestamp = parse_time(stamp)
    except ValueError as exc:
        raise NotADocument(f"@timestamp {stamp!r} is not ISO 8601") from exc
    source = doc.get("source") or {}
    dest = doc.get("destination") or {}
    ktcp = doc.get("ktcp") or {}
    as_ = source.get("as") or {}
    geo = source.get("geo") or {}
    family = BY_ACTION.get(action)
    namespace = (
        family.namespace
        if family is not None
        else SAMPLE_NAMESPACES.get(action, action.removeprefix("tcp-").replace("-", "_"))
    )
    duration = _int(event.get("duration"))
    details = ktcp.get(namespace)
    peer_ip = _str(source.get("ip"))
    if peer_ip is None and isinstance(details, dict) and details.get("ipv6_peer_hidden"):
        peer_ip = HIDDEN_IPV6_PEER
    return Row(
        id=event_id,
        timestamp=timestamp,
        action=action,
        host=_str((doc.get("host") or {}).get("name")),
        peer_ip=peer_ip,
        peer_port=_int(source.get("port")),
        local_ip=_str(dest.get("ip")),
        local_port=_int(dest.get("port")),
        isp=_str((ktcp.get("isp") or {}).get("name")),
        as_number=_int(as_.get("number")),
        as_organization=_str((as_.get("organization") or {}).get("name")),
        country=_str(geo.get("country_iso_code")),
        region=_str(geo.get("region_name")),
        details=details if isinstance(details, dict) else {},
        kind=_str(event.get("kind")) or "event",
        duration_secs=duration / 1e9 if duration is not None else None,
        closes_episode=event.get("end") is not None,
    )
