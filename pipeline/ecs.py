"""The ECS rendering: the only place ECS and ktcp.* field names are spelled.

`FIELDS` is the field table of docs/CONTRACT.md (name -> Elasticsearch type);
`family_fields()` adds each catalog family's own fields under ktcp.<namespace>.*, typed from its
model. The Elasticsearch templates and JSON Schema in schemas/ are generated from these.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from pipeline.catalog import FAMILIES
from pipeline.catalog.base import Family
from pipeline.events import Event
from pipeline.records import PeerInfo

DATASET = "kernel.tcp"
MODULE = "kernel"
EVENT_KIND = "event"  # rate-limit summaries too: one kind for every family keeps queries simple
EVENT_CATEGORY = ("network",)
DEFAULT_TRANSPORT = "tcp"

try:
    PARSER_VERSION = version("ktcp")
except PackageNotFoundError:  # running from a source tree without installation
    PARSER_VERSION = "0+unknown"


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str  # dotted ECS name
    es_type: str  # Elasticsearch mapping type
    description: str
    index: bool = True


FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("@timestamp", "date", "wall-clock time of the kernel message, UTC"),
    FieldSpec("message", "text", "the kernel's message as printed, envelope stripped"),
    FieldSpec("event.original", "keyword", "the raw input line or record", index=False),
    FieldSpec("event.kind", "keyword", "always 'event'"),
    FieldSpec("event.category", "keyword", "always ['network']"),
    FieldSpec("event.type", "keyword", "ECS event types"),
    FieldSpec("event.action", "keyword", "the message family"),
    FieldSpec("event.dataset", "keyword", "always 'kernel.tcp'"),
    FieldSpec("event.module", "keyword", "always 'kernel'"),
    FieldSpec("event.severity", "long", "syslog severity 0-7"),
    FieldSpec("event.id", "keyword", "deterministic id, also the document _id"),
    FieldSpec("event.ingested", "date", "when a sink shipped the event"),
    FieldSpec("host.name", "keyword", "host that printed the message"),
    FieldSpec("host.boot.id", "keyword", "journald _BOOT_ID"),
    FieldSpec("log.syslog.priority", "long", "syslog PRI"),
    FieldSpec("log.syslog.facility.code", "long", "syslog facility"),
    FieldSpec("log.syslog.severity.code", "long", "syslog severity"),
    FieldSpec("log.file.path", "keyword", "file the line was read from"),
    FieldSpec("log.offset", "long", "byte offset of the line's first byte"),
    FieldSpec("network.transport", "keyword", "tcp (or what conntrack says)"),
    FieldSpec("network.type", "keyword", "ipv4 / ipv6"),
    FieldSpec("source.ip", "ip", "the peer's address"),
    FieldSpec("source.port", "long", "the peer's port"),
    FieldSpec("destination.ip", "ip", "the local address"),
    FieldSpec("destination.port", "long", "the local port"),
    FieldSpec("source.as.number", "long", "peer's autonomous system number"),
    FieldSpec("source.as.organization.name", "keyword", "peer's AS organisation"),
    FieldSpec("source.geo.country_iso_code", "keyword", "peer's country"),
    FieldSpec("source.geo.region_name", "keyword", "peer's region or province"),
    FieldSpec("source.geo.city_name", "keyword", "peer's city"),
    FieldSpec("ktcp.isp.name", "keyword", "canonical ISP, or private / reserved / unknown"),
    FieldSpec("ktcp.isp.name_local", "keyword", "the ISP's name in its own language"),
    FieldSpec("ktcp.isp.source", "keyword", "which database answered, with its data date"),
    FieldSpec("ktcp.kernel.uptime", "double", "seconds since boot as printed"),
    FieldSpec("ktcp.kernel.sequence", "long", "kmsg sequence number"),
    FieldSpec("ktcp.variant", "keyword", "which wording of the family matched"),
    FieldSpec("ktcp.time.source", "keyword", "envelope / boot-time / ingest"),
    FieldSpec("ktcp.time.inferred", "boolean", "true when the year was inferred"),
    FieldSpec("ktcp.envelope", "keyword", "the envelope the line arrived in"),
    FieldSpec("ktcp.parser.version", "keyword", "ktcp version that produced the event"),
)

_JSON_TO_ES = {"integer": "long", "number": "double", "string": "keyword", "boolean": "boolean"}


def family_fields(family: Family) -> tuple[FieldSpec, ...]:
    """ktcp.<namespace>.* fields of one family, typed from its model's JSON Schema."""
    specs = []
    for name, prop in family.model.extra_field_schemas().items():
        types = [p.get("type") for p in prop.get("anyOf", [prop])]
        es_type = next((_JSON_TO_ES[t] for t in types if t in _JSON_TO_ES), "keyword")
        specs.append(
            FieldSpec(
                f"ktcp.{family.namespace}.{name}",
                es_type,
                prop.get("description", f"{family.action}: {name}"),
            )
        )
    return tuple(specs)


def all_fields() -> tuple[FieldSpec, ...]:
    """Every field a document may carry; one entry per name."""
    seen: dict[str, FieldSpec] = {f.name: f for f in FIELDS}
    for family in FAMILIES:
        for spec in family_fields(family):
            seen.setdefault(spec.name, spec)
    return tuple(seen.values())


def format_time(ts: datetime) -> str:
    """ISO 8601, UTC, microseconds, `Z` (isoformat is several times faster than strftime)."""
    return ts.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


# Most events come from few peers: rendering an address once per distinct peer is enough.
_ip_text = lru_cache(maxsize=1 << 16)(str)


def to_document(event: Event) -> dict[str, Any]:
    """The ECS document of one event: nested objects, absent fields left out (never null).

    Runs once per event: plain dict literals and `is not None` tests, no helpers per field.
    """
    detail = event.detail
    env = event.envelope
    family = event.family
    raw = event.raw
    ev: dict[str, Any] = {
        "original": raw.text,
        "kind": EVENT_KIND,
        "category": list(EVENT_CATEGORY),
        "type": list(family.event_type),
        "action": family.action,
        "dataset": DATASET,
        "module": MODULE,
        "id": event.id,
    }
    if event.severity is not None:
        ev["severity"] = event.severity
    doc: dict[str, Any] = {
        "@timestamp": format_time(event.timestamp),
        "message": env.message,
        "event": ev,
    }
    if event.host or env.boot_id:
        host: dict[str, Any] = {"name": event.host} if event.host else {}
        if env.boot_id:
            host["boot"] = {"id": env.boot_id}
        doc["host"] = host
    log: dict[str, Any] | None = None
    if env.priority is not None or env.facility is not None or env.severity is not None:
        syslog: dict[str, Any] = {}
        if env.priority is not None:
            syslog["priority"] = env.priority
        if env.facility is not None:
            syslog["facility"] = {"code": env.facility}
        if env.severity is not None:
            syslog["severity"] = {"code": env.severity}
        log = {"syslog": syslog}
    if raw.path is not None:
        if log is None:
            log = {}
        log["file"] = {"path": raw.path}
        if raw.offset is not None:
            log["offset"] = raw.offset
    if log is not None:
        doc["log"] = log
    # The contract makes network.transport always present: tcp unless the line names another.
    network: dict[str, Any] = {"transport": detail.transport or DEFAULT_TRANSPORT}
    peer_ip = detail.peer_ip
    local_ip = detail.local_ip
    address = peer_ip if peer_ip is not None else local_ip
    if address is not None:
        network["type"] = "ipv4" if address.version == 4 else "ipv6"
    doc["network"] = network
    ktcp: dict[str, Any] = {"variant": detail.variant}
    source: dict[str, Any] = {}
    if peer_ip is not None:
        source["ip"] = _ip_text(peer_ip)
    if detail.peer_port is not None:
        source["port"] = detail.peer_port
    if event.peer is not None:
        _render_peer(event.peer, source, ktcp)
    if source:
        doc["source"] = source
    if local_ip is not None or detail.local_port is not None:
        destination: dict[str, Any] = {}
        if local_ip is not None:
            destination["ip"] = _ip_text(local_ip)
        if detail.local_port is not None:
            destination["port"] = detail.local_port
        doc["destination"] = destination
    if env.uptime is not None or env.sequence is not None:
        kernel: dict[str, Any] = {}
        if env.uptime is not None:
            kernel["uptime"] = env.uptime
        if env.sequence is not None:
            kernel["sequence"] = env.sequence
        ktcp["kernel"] = kernel
    extras = detail.extra_fields()
    if extras:
        ktcp[family.namespace] = extras
    ktcp["time"] = (
        {"source": event.time_source.value, "inferred": True}
        if event.time_inferred
        else {"source": event.time_source.value}
    )
    ktcp["envelope"] = env.name
    ktcp["parser"] = {"version": PARSER_VERSION}
    doc["ktcp"] = ktcp
    return doc


def _render_peer(peer: PeerInfo, source: dict[str, Any], ktcp: dict[str, Any]) -> None:
    isp: dict[str, Any] = {"name": peer.isp_name, "source": peer.isp_source}
    if peer.isp_name_local:
        isp["name_local"] = peer.isp_name_local
    ktcp["isp"] = isp
    if peer.as_number is not None or peer.as_organization:
        as_: dict[str, Any] = {}
        if peer.as_number is not None:
            as_["number"] = peer.as_number
        if peer.as_organization:
            as_["organization"] = {"name": peer.as_organization}
        source["as"] = as_
    geo = {
        k: v
        for k, v in (
            ("country_iso_code", peer.country_iso_code),
            ("region_name", peer.region_name),
            ("city_name", peer.city_name),
        )
        if v
    }
    if geo:
        source["geo"] = geo


def flatten(doc: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Dotted names of a nested document (for tables, tests and template checks)."""
    out: dict[str, Any] = {}
    for key, value in doc.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, f"{name}."))
        else:
            out[name] = value
    return out
