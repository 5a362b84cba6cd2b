"""The ECS rendering: the only place ECS and ktcp.* field names are spelled.

(The compiled fast path, native/, writes the same documents for the lines it covers;
tests/test_native.py holds its output equal to `to_document`'s, byte for byte.)

`FIELDS` is the field table of docs/CONTRACT.md (name -> Elasticsearch type);
`family_fields()` adds each catalog family's own fields under ktcp.<namespace>.*, typed from its
model. The Elasticsearch templates and JSON Schema in schemas/ are generated from these.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from ipaddress import IPv4Address, IPv6Address
from typing import TYPE_CHECKING, Any, Protocol

from pipeline.clock import TimeSource
from pipeline.records import PeerInfo
from pipeline.version import PARSER_VERSION

if TYPE_CHECKING:
    from pipeline.catalog.base import Family
    from pipeline.events import Event

# The ECS release whose definitions our fields follow (emitted as ecs.version): the last of the
# 8.x line, the Elasticsearch major ktcp targets. tests/data/ecs/ holds the extract of its
# ecs_flat.yml that tests compare our mapping with.
ECS_VERSION = "8.17.0"
DATA_STREAM_TYPE = "logs"
DATASET = "kernel.tcp"
MODULE = "kernel"
EVENT_KIND = "event"  # rate-limit summaries too: one kind for every family keeps queries simple
EVENT_CATEGORY = ("network",)
DEFAULT_TRANSPORT = "tcp"


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str  # dotted ECS name
    es_type: str  # Elasticsearch mapping type
    description: str
    index: bool = True
    array: bool = False  # the value is a list (ECS `normalize: array`)
    value: str | None = None  # constant_keyword: the one value of every document


FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("@timestamp", "date", "wall-clock time of the kernel message, UTC"),
    FieldSpec("message", "text", "the kernel's message as printed, envelope stripped"),
    FieldSpec("ecs.version", "keyword", "the ECS version the field names follow"),
    # Set by the data stream, as Elastic's own data streams do; `ktcp ship` also writes them.
    FieldSpec("data_stream.type", "constant_keyword", "always 'logs'", value=DATA_STREAM_TYPE),
    FieldSpec("data_stream.dataset", "constant_keyword", "always 'kernel.tcp'", value=DATASET),
    FieldSpec("data_stream.namespace", "constant_keyword", "the data stream's namespace"),
    FieldSpec("event.original", "keyword", "the raw input line or record", index=False),
    FieldSpec("event.kind", "keyword", "always 'event'"),
    FieldSpec("event.category", "keyword", "always ['network']", array=True),
    FieldSpec("event.type", "keyword", "ECS event types", array=True),
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
    FieldSpec("ktcp.prefix", "keyword", "text before the message that no envelope claimed"),
    FieldSpec("ktcp.repeat.count", "long", "logwatch `N Time(s)`: lines this one stands for"),
    FieldSpec("ktcp.truncated", "boolean", "message cut at its tail; only complete fields set"),
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
    from pipeline.catalog import FAMILIES  # the family table: only schemas and templates need it

    seen: dict[str, FieldSpec] = {f.name: f for f in (*FIELDS, *SAMPLE_FIELDS)}
    for family in FAMILIES:
        for spec in family_fields(family):
            seen.setdefault(spec.name, spec)
    return tuple(seen.values())


def format_time(ts: datetime) -> str:
    """ISO 8601, UTC, microseconds, `Z` (isoformat is several times faster than strftime)."""
    return ts.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def stamp_ingested(document: dict[str, Any], at: str | None = None) -> None:
    """Set event.ingested to now (or to `at`, an `ingested_now()` of this moment's work): a
    sink is about to ship the document."""
    document["event"]["ingested"] = at if at is not None else format_time(datetime.now(UTC))


def ingested_now() -> str:
    """The event.ingested value of this moment, for the documents of one read."""
    return format_time(datetime.now(UTC))


# Most events come from few peers: rendering an address once per distinct peer is enough.
_ip_text = lru_cache(maxsize=1 << 13)(str)
# A log's lines share their second (the clock hands out one datetime per printed stamp).
_event_time = lru_cache(maxsize=1 << 10)(format_time)


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
        "category": [*EVENT_CATEGORY],
        "type": [*family.event_type],
        "action": family.action,
        "dataset": DATASET,
        "module": MODULE,
        "id": event.id,
    }
    if event.severity is not None:
        ev["severity"] = event.severity
    doc: dict[str, Any] = {
        "@timestamp": _event_time(event.timestamp),
        "message": env.message,
        "ecs": {"version": ECS_VERSION},
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
    ktcp["time"] = time_object(event.time_source, event.time_inferred)
    ktcp["envelope"] = env.name
    if env.prefix is not None:
        ktcp["prefix"] = env.prefix
    if env.repeat_count is not None:
        ktcp["repeat"] = {"count": env.repeat_count}
    if event.truncated:
        ktcp["truncated"] = True
    ktcp["parser"] = {"version": PARSER_VERSION}
    doc["ktcp"] = ktcp
    return doc


def time_object(source: TimeSource, inferred: bool) -> dict[str, Any]:
    """ktcp.time: where @timestamp came from (and `inferred` only when the year was)."""
    return {"source": source.value, "inferred": True} if inferred else {"source": source.value}


def event_time(moment: datetime) -> str:
    """@timestamp's text of an event time (cached: a log's lines share their second)."""
    return _event_time(moment)


def peer_objects(peer: PeerInfo) -> tuple[dict[str, Any], dict[str, Any]]:
    """What enrichment adds to `source` (as, geo) and `ktcp.isp`, as rendered for one peer."""
    source: dict[str, Any] = {}
    ktcp: dict[str, Any] = {}
    _render_peer(peer, source, ktcp)
    return source, ktcp["isp"]


def stamp_data_stream(document: dict[str, Any], data_stream: str) -> None:
    """Set data_stream.* from the name of the data stream the document is written to.

    A name in Elastic's `<type>-<dataset>-<namespace>` scheme (`logs-kernel.tcp-default`) gives
    all three; any other name (a plain index) adds nothing.
    """
    parts = data_stream_parts(data_stream)
    if parts is not None:
        document["data_stream"] = {"type": parts[0], "dataset": parts[1], "namespace": parts[2]}


def data_stream_parts(name: str) -> tuple[str, str, str] | None:
    """(type, dataset, namespace) of a name in the data stream naming scheme, else None."""
    parts = name.split("-")
    if len(parts) != 3 or not all(parts):
        return None
    return parts[0], parts[1], parts[2]


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
    geo: dict[str, Any] = {}  # plain tests, not a comprehension: this runs for most events
    if peer.country_iso_code:
        geo["country_iso_code"] = peer.country_iso_code
    if peer.region_name:
        geo["region_name"] = peer.region_name
    if peer.city_name:
        geo["city_name"] = peer.city_name
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


# -- kernel-state samples (ktcp sample) ---------------------------------------------------------

# Kernel counter -> its name under ktcp.counters.* (ECS style: lower snake case).
COUNTERS: Mapping[str, str] = {
    "TCPWinProbe": "win_probe",
    "TCPToZeroWindowAdv": "to_zero_window_adv",
    "TCPFromZeroWindowAdv": "from_zero_window_adv",
    "TCPWantZeroWindowAdv": "want_zero_window_adv",
    "TCPZeroWindowDrop": "zero_window_drop",
    "ListenOverflows": "listen_overflows",
    "ListenDrops": "listen_drops",
    "TCPReqQFullDoCookies": "req_q_full_do_cookies",
    "TCPReqQFullDrop": "req_q_full_drop",
    "TCPAbortOnMemory": "abort_on_memory",
    "TCPMemoryPressures": "memory_pressures",
    "TCPTimeouts": "timeouts",
    "TCPAbortOnTimeout": "abort_on_timeout",
}


class ZeroWindowSocket(Protocol):
    """What a zero-window document needs of a socket-table row (pipeline/sampler/sockets.py)."""

    @property
    def local_ip(self) -> IPv4Address | IPv6Address: ...
    @property
    def local_port(self) -> int: ...
    @property
    def peer_ip(self) -> IPv4Address | IPv6Address: ...
    @property
    def peer_port(self) -> int: ...
    @property
    def bytes_queued(self) -> int: ...
    @property
    def probes(self) -> int: ...
    @property
    def table(self) -> str: ...
    @property
    def row(self) -> str: ...


class ZeroWindowEpisode(Protocol):
    """What a zero-window document needs of an episode (pipeline/sampler/episodes.py)."""

    @property
    def socket(self) -> ZeroWindowSocket: ...
    @property
    def start(self) -> datetime: ...
    @property
    def end(self) -> datetime | None: ...
    @property
    def samples(self) -> int: ...
    @property
    def max_bytes_queued(self) -> int: ...
    @property
    def max_probes(self) -> int: ...


ZERO_WINDOW_ACTION = "tcp-zero-window-peer"
COUNTERS_ACTION = "tcp-counters"
SAMPLE_ENVELOPE = "proc"  # read from /proc, not from a log line

SAMPLE_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("event.start", "date", "zero-window episode: the sample that first showed it"),
    FieldSpec("event.end", "date", "zero-window episode: the first sample that no longer did"),
    FieldSpec("event.duration", "long", "zero-window episode length, nanoseconds"),
    FieldSpec("ktcp.zero_window.bytes_queued", "long", "bytes we hold for the peer (tx_queue)"),
    FieldSpec("ktcp.zero_window.probes", "long", "zero-window probes sent without an answer"),
    FieldSpec("ktcp.zero_window.samples", "long", "samples that showed the episode"),
    FieldSpec("ktcp.counters.interval_secs", "double", "seconds since the previous sample"),
    *(
        FieldSpec(f"ktcp.counters.{name}", "long", f"increase of TcpExt {kernel}")
        for kernel, name in COUNTERS.items()
    ),
)


def zero_window_document(
    episode: ZeroWindowEpisode,
    event_id: str,
    host: str | None,
    boot_id: str | None,
    peer: PeerInfo | None,
) -> dict[str, Any]:
    """An episode's start (`end` unset) or end, in the contract's shape."""
    sock = episode.socket
    ended = episode.end is not None
    ev: dict[str, Any] = {"start": format_time(episode.start)}
    if episode.end is not None:
        ev["end"] = format_time(episode.end)
        ev["duration"] = int((episode.end - episode.start).total_seconds() * 1_000_000) * 1000
    peer_text = f"{sock.peer_ip}:{sock.peer_port}/{sock.local_port}"
    message = (
        f"zero-window episode ended: peer {peer_text}, {episode.samples} samples, "
        f"up to {episode.max_bytes_queued} bytes queued, {episode.max_probes} probes"
        if ended
        else f"peer {peer_text} holds a zero window: {sock.bytes_queued} bytes queued, "
        f"{sock.probes} probes"
    )
    source: dict[str, Any] = {"ip": _ip_text(sock.peer_ip), "port": sock.peer_port}
    ktcp: dict[str, Any] = {
        "zero_window": {
            "bytes_queued": episode.max_bytes_queued if ended else sock.bytes_queued,
            "probes": episode.max_probes if ended else sock.probes,
            "samples": episode.samples,
        }
    }
    if peer is not None:
        _render_peer(peer, source, ktcp)
    doc = _sample_document(
        ZERO_WINDOW_ACTION,
        "event",
        ["connection", "end" if ended else "start"],
        episode.end or episode.start,
        message,
        sock.row,
        event_id,
        host,
        boot_id,
        "proc-net-tcp6" if sock.table == "tcp6" else "proc-net-tcp",
        ktcp,
    )
    doc["event"].update(ev)
    doc["network"]["type"] = "ipv4" if sock.peer_ip.version == 4 else "ipv6"
    doc["source"] = source
    doc["destination"] = {"ip": _ip_text(sock.local_ip), "port": sock.local_port}
    return doc


def counters_document(
    increases: dict[str, int],
    interval_secs: float,
    at: datetime,
    original: str,
    event_id: str,
    host: str | None,
    boot_id: str | None,
) -> dict[str, Any]:
    """TcpExt counter increases since the previous sample (kernel names -> ktcp.counters.*)."""
    counters: dict[str, Any] = {COUNTERS[k]: v for k, v in increases.items() if k in COUNTERS}
    counters["interval_secs"] = round(interval_secs, 6)
    busy = ", ".join(f"{k} +{v}" for k, v in increases.items() if v) or "no change"
    return _sample_document(
        COUNTERS_ACTION,
        "metric",
        ["info"],
        at,
        f"TcpExt counters over {interval_secs:.1f} s: {busy}",
        original,
        event_id,
        host,
        boot_id,
        "proc-net-netstat",
        {"counters": counters},
    )


def _sample_document(
    action: str,
    kind: str,
    types: list[str],
    at: datetime,
    message: str,
    original: str,
    event_id: str,
    host: str | None,
    boot_id: str | None,
    variant: str,
    ktcp: dict[str, Any],
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "@timestamp": format_time(at),
        "message": message,
        "event": {
            "original": original,
            "kind": kind,
            "category": list(EVENT_CATEGORY),
            "type": types,
            "action": action,
            "dataset": DATASET,
            "module": MODULE,
            "id": event_id,
        },
    }
    if host or boot_id:
        host_obj: dict[str, Any] = {"name": host} if host else {}
        if boot_id:
            host_obj["boot"] = {"id": boot_id}
        doc["host"] = host_obj
    doc["network"] = {"transport": DEFAULT_TRANSPORT}
    ktcp.update(
        {
            "variant": variant,
            "time": {"source": TimeSource.SAMPLE.value},
            "envelope": SAMPLE_ENVELOPE,
            "parser": {"version": PARSER_VERSION},
        }
    )
    doc["ktcp"] = ktcp
    return doc


# -- Reading documents back (sinks, the table): the names are spelled here too -----------------

PEER_IP_FIELD = "source.ip"  # the field whose mapping tells whether our templates are in place
# ktcp.* objects every family shares; the others hold one family's own fields.
_COMMON_KTCP = frozenset({"variant", "kernel", "time", "envelope", "parser", "isp"})


def document_id(doc: dict[str, Any]) -> str:
    """event.id: also the Elasticsearch `_id`."""
    return str(doc["event"]["id"])


def document_time(doc: dict[str, Any]) -> str:
    """@timestamp, as rendered (ISO 8601 UTC)."""
    return str(doc["@timestamp"])


def document_action(doc: dict[str, Any]) -> str:
    """event.action (`unknown` for a document without one)."""
    return str(doc.get("event", {}).get("action", "unknown"))


def peer_end(doc: dict[str, Any]) -> tuple[str | None, int | None]:
    """source.ip and source.port, when the document has them."""
    source = doc.get("source", {})
    return source.get("ip"), source.get("port")


def local_end(doc: dict[str, Any]) -> tuple[str | None, int | None]:
    """destination.ip and destination.port, when the document has them."""
    destination = doc.get("destination", {})
    return destination.get("ip"), destination.get("port")


def isp_of(doc: dict[str, Any]) -> tuple[str | None, int | None]:
    """ktcp.isp.name and source.as.number, when enriched."""
    name = doc.get("ktcp", {}).get("isp", {}).get("name")
    return name, doc.get("source", {}).get("as", {}).get("number")


def family_details(doc: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    """ktcp.variant, and the family's own ktcp.<namespace>.* fields (name -> value)."""
    ktcp: dict[str, Any] = doc.get("ktcp", {})
    details: dict[str, Any] = {}
    for namespace, values in ktcp.items():
        if namespace not in _COMMON_KTCP and isinstance(values, dict):
            details.update(values)
    return ktcp.get("variant"), details


def counter_increases(doc: dict[str, Any]) -> dict[str, int]:
    """A `tcp-counters` document's increases under the kernel's counter names ({} otherwise)."""
    if doc.get("event", {}).get("action") != COUNTERS_ACTION:
        return {}
    found = doc.get("ktcp", {}).get("counters", {})
    return {kernel: found[name] for kernel, name in COUNTERS.items() if name in found}
