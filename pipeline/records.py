"""The small frozen records passed between stages: raw line -> envelope -> outcome."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import MISSING, dataclass, field, fields
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

_T = TypeVar("_T")


def fast_init(cls: type[_T]) -> type[_T]:
    """Give a frozen, slotted dataclass an `__init__` that stores each field through its slot.

    The generated frozen `__init__` calls `object.__setattr__(self, name, value)` per field,
    which looks the slot up by name every time: about five times the cost of a plain class's
    init. One such record is built per input line (RawLine, Envelope, Event), so this does the
    same with each slot's descriptor bound once. Same signature, defaults and factories;
    instances stay frozen, hashable and comparable (a test compares both inits field by field).
    """
    namespace: dict[str, Any] = {"_MISSING": MISSING}
    params, body = [], []
    for f in fields(cls):  # type: ignore[arg-type]
        namespace[f"_set_{f.name}"] = getattr(cls, f.name).__set__
        if f.default is not MISSING:
            namespace[f"_default_{f.name}"] = f.default
            params.append(f"{f.name}=_default_{f.name}")
            body.append(f"    _set_{f.name}(self, {f.name})")
        elif f.default_factory is not MISSING:
            namespace[f"_factory_{f.name}"] = f.default_factory
            params.append(f"{f.name}=_MISSING")
            value = f"_factory_{f.name}() if {f.name} is _MISSING else {f.name}"
            body.append(f"    _set_{f.name}(self, {value})")
        else:
            params.append(f.name)
            body.append(f"    _set_{f.name}(self, {f.name})")
    source = f"def __init__(self, {', '.join(params)}):\n" + "\n".join(body) + "\n"
    exec(source, namespace)  # built from the dataclass's own field names, as dataclasses does
    init: Callable[..., None] = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    setattr(cls, "__init__", init)  # noqa: B010 - mypy forbids assigning a method directly
    return cls


@fast_init
@dataclass(frozen=True, slots=True)
class RawLine:
    """One input line (or record) exactly as read, with where it came from."""

    text: str
    path: str | None = None  # absolute file path; None for stdin, journald, Fluentd records
    offset: int | None = None  # byte offset of the line's first byte in the (decompressed) file
    file_id: str | None = None  # fingerprint of the file's first line: the file, whatever its name
    boot_id: str | None = None  # boot the record was read in (/dev/kmsg of this machine)


@fast_init
@dataclass(frozen=True, slots=True)
class Envelope:
    """What the transport around a kernel message says; every field optional but `message`."""

    name: str  # envelope id: "bare", "dmesg", "syslog-3164", "journald-json", ...
    message: str  # the kernel's text, envelope stripped
    wall_time: datetime | None = None  # aware datetime when the envelope carries a wall clock
    naive_time: datetime | None = None  # wall clock without zone (dmesg -T): configured tz applies
    year_missing: bool = False  # RFC 3164: naive_time carries a placeholder year
    uptime: float | None = None  # seconds since boot, as printed
    severity: int | None = None
    facility: int | None = None
    priority: int | None = None
    host: str | None = None
    boot_id: str | None = None
    sequence: int | None = None  # the kmsg sequence number (/dev/kmsg, Fluent Bit in_kmsg)
    record_id: str | None = None  # the journal's own position: `__SEQNUM_ID:__SEQNUM`
    ident: str | None = None  # syslog tag / SYSLOG_IDENTIFIER; non-kernel idents are not TCP events
    prefix: str | None = None  # text before the message that no envelope claimed (unknown-prefix)
    repeat_count: int | None = None  # logwatch `N Time(s)`: the message stands for N lines
    extra: dict[str, str] = field(default_factory=dict)


class MissKind(StrEnum):
    NON_TCP = "non-tcp"  # ordinary kernel noise or a non-kernel record: normal, not an error
    UNMATCHED = "unmatched"  # looks like a TCP-family kernel line but no catalog pattern fits
    INVALID = "invalid"  # broken record or out-of-range values


@fast_init
@dataclass(frozen=True, slots=True)
class Miss:
    """A line that produced no event, and why."""

    kind: MissKind
    reason: str
    raw: RawLine
    message: str | None = None


@dataclass(frozen=True, slots=True)
class Rendered:
    """Events the compiled fast path rendered itself: `count` ECS documents as NDJSON lines,
    in input order (pipeline/native.py)."""

    ndjson: bytes
    count: int


@dataclass(frozen=True, slots=True)
class PeerInfo:
    """What enrichment knows about a peer address (ECS source.as.*, source.geo.*, ktcp.isp.*)."""

    isp_name: str  # canonical ISP, or "private" / "reserved" / "unknown"
    isp_source: str  # which database answered, with its data date
    isp_name_local: str | None = None
    as_number: int | None = None
    as_organization: str | None = None
    country_iso_code: str | None = None
    region_name: str | None = None
    city_name: str | None = None
