"""JSON records, one per line: journald (`journalctl -o json`), Fluent Bit kmsg, docker json-file
and Fluentd records (whatever key ParseSettings.record_keys names first holds the line).

A line that starts with `{` but is not a JSON object is an EnvelopeError (invalid), never a
bare message. Which kind a record is follows from its keys; `parse(..., kind=...)` forces one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import orjson

from pipeline.envelopes.base import (
    FACILITY_NAMES,
    LEVEL_NAMES,
    EnvelopeError,
    RecordKeys,
    from_epoch_usec,
    parse_iso,
    split_pri,
    with_priority,
)
from pipeline.envelopes.syslog import syslog_stamp
from pipeline.records import Envelope

Record = dict[str, Any]

# journald fields that mark a record as journald's own (`-o json`, fluent-plugin-systemd and
# Fluent Bit's systemd input keep these names).
_JOURNALD_MARKS = (
    "__CURSOR",
    "__REALTIME_TIMESTAMP",
    "_BOOT_ID",
    "_TRANSPORT",
    "_SOURCE_MONOTONIC_TIMESTAMP",
    "SYSLOG_IDENTIFIER",
    "PRIORITY",
    "SYSLOG_FACILITY",
    "_HOSTNAME",
    "_MACHINE_ID",
    "__MONOTONIC_TIMESTAMP",
)
_FLUENT_BIT_KMSG = ("priority", "sec", "usec")


def load(text: str) -> Record:
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise EnvelopeError(f"broken JSON record: {exc}") from None
    if not isinstance(value, dict):
        raise EnvelopeError("JSON record is not an object")
    return value


def kind_of(record: Record) -> str:
    if "MESSAGE" in record and any(key in record for key in _JOURNALD_MARKS):
        return "journald"
    if "msg" in record and all(key in record for key in _FLUENT_BIT_KMSG):
        return "fluent-bit"
    if isinstance(record.get("log"), str) and "stream" in record and "time" in record:
        return "docker"
    return "fluentd"


_LINE_KEYS = {"journald": ("MESSAGE",), "fluent-bit": ("msg",), "docker": ("log",)}


def line_keys(record: Record, record_keys: RecordKeys, kind: str | None = None) -> RecordKeys:
    """The keys, in order, under which a record of this kind keeps its text line."""
    return _LINE_KEYS.get(kind or kind_of(record), record_keys)


def line_of(record: Record, record_keys: RecordKeys, kind: str | None = None) -> str | None:
    """The text line a record carries, where its kind keeps it; None when it has none (or not
    as plain text): a cheap look, before any envelope is parsed. The first of `line_keys`
    whose value is text that is not blank."""
    for key in line_keys(record, record_keys, kind):
        value = record.get(key)
        if isinstance(value, str) and value.strip():
            return value
    return None


def parse(text: str, record_keys: RecordKeys, kind: str | None = None) -> Envelope | None:
    """The envelope of a JSON record line; None when `kind` is forced and the record is not it."""
    if not text.startswith("{"):
        return None
    record = load(text)
    found = kind_of(record)
    if kind is not None and kind != found and not (kind == "fluentd" and found == "docker"):
        return None
    return KINDS[kind or found](record, record_keys)


def parse_journald(record: Record, record_keys: RecordKeys) -> Envelope:
    """`journalctl -o json`: every value a string, a byte array, null, or an array of those."""
    realtime = _integer(record, "__REALTIME_TIMESTAMP")
    monotonic = _integer(record, "_SOURCE_MONOTONIC_TIMESTAMP")
    severity = _integer(record, "PRIORITY")
    facility = _integer(record, "SYSLOG_FACILITY")
    extra = {}
    cursor = _text(record.get("__CURSOR"))
    if cursor is not None:
        extra["cursor"] = cursor  # journald's own position; __SEQNUM is not the kmsg sequence
    seqnum_id, seqnum = _text(record.get("__SEQNUM_ID")), _integer(record, "__SEQNUM")
    return Envelope(
        name="journald",
        message=_text(record.get("MESSAGE")) or "",
        wall_time=from_epoch_usec(realtime) if realtime is not None else None,
        uptime=monotonic / 1_000_000 if monotonic is not None else None,
        severity=severity,
        facility=facility,
        priority=facility * 8 + severity if facility is not None and severity is not None else None,
        host=_text(_single(record.get("_HOSTNAME"))),
        boot_id=_text(_single(record.get("_BOOT_ID"))),
        record_id=f"{seqnum_id}:{seqnum}" if seqnum_id and seqnum is not None else None,
        ident=_text(_single(record.get("SYSLOG_IDENTIFIER"))),
        extra=extra,
    )


def parse_fluent_bit(record: Record, record_keys: RecordKeys) -> Envelope:
    """Fluent Bit in_kmsg: `priority` is the level only; `sec`/`usec` count from boot."""
    sec, usec = _integer(record, "sec"), _integer(record, "usec")
    base = _fluentd_meta(record)
    return Envelope(
        name="fluent-bit",
        message=_text(record.get("msg")) or "",
        wall_time=base.wall_time,
        naive_time=base.naive_time,
        uptime=(sec * 1_000_000 + (usec or 0)) / 1_000_000 if sec is not None else None,
        severity=_integer(record, "priority"),
        host=base.host,
        sequence=_integer(record, "sequence"),
        ident=base.ident,
        extra=base.extra,
    )


def parse_docker(record: Record, record_keys: RecordKeys) -> Envelope:
    """docker json-file: `{"log": "line\\n", "stream": "stdout", "time": "RFC 3339 nano"}`."""
    base = _fluentd_meta(record)
    message = str(record["log"]).removesuffix("\n").removesuffix("\r")
    return Envelope(
        name="docker",
        message=message,
        wall_time=base.wall_time,
        naive_time=base.naive_time,
        host=base.host,
        ident=base.ident,
        extra=base.extra | {"stream": str(record["stream"])},
    )


def parse_fluentd(record: Record, record_keys: RecordKeys) -> Envelope:
    """A Fluentd record: the first of `record_keys` holding non-empty text is the line.

    A record without one is an EnvelopeError that names what it holds instead (no such field,
    a number, a map, a list, an empty string): it is counted invalid, never dropped quietly.
    """
    problem = None
    for key in record_keys:
        if key not in record:
            continue
        value = record[key]
        if isinstance(value, str) and value.strip():
            if _META_KEYS.isdisjoint(record):  # the line alone, as in_tail gives it
                return Envelope(name="fluentd", message=value.removesuffix("\n"))
            base = _fluentd_meta(record)
            return with_priority(
                Envelope(
                    name="fluentd",
                    message=value.removesuffix("\n"),
                    wall_time=base.wall_time,
                    naive_time=base.naive_time,
                    year_missing=base.year_missing,
                    severity=base.severity,
                    facility=base.facility,
                    priority=base.priority,
                    host=base.host,
                    ident=base.ident,
                    extra=base.extra,
                )
            )
        problem = problem or _not_a_line(key, value)
    raise EnvelopeError(
        problem
        or f"JSON record has no text under {', '.join(record_keys)}: name the field holding "
        "the kernel line in the record keys setting"
    )


def _not_a_line(key: str, value: Any) -> str:
    if isinstance(value, str):
        return f"record field {key} is empty"
    kind = {dict: "a map", list: "a list", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number" if isinstance(value, int | float) else type(value).__name__
    )
    return f"record field {key} holds {kind}, not the text of a kernel line"


KINDS: dict[str, Callable[[Record, RecordKeys], Envelope]] = {
    "journald": parse_journald,
    "fluent-bit": parse_fluent_bit,
    "docker": parse_docker,
    "fluentd": parse_fluentd,
}


# Where collectors keep a record's time: Fluentd `time`/<inject>, Fluent Bit `date` (its es and
# forward-json outputs), ECS/Logstash `@timestamp`, generic `timestamp`.
_TIME_KEYS = ("time", "fluentd_time", "@timestamp", "timestamp", "date")


# Every key `_fluentd_meta` reads: a record with none of them has nothing around its line.
_META_KEYS = frozenset((*_TIME_KEYS, "pri", "fluentd_tag", "pid", "host", "hostname", "ident"))


def _fluentd_meta(record: Record) -> Envelope:
    """Fields Fluentd parsers and `inject` sections add around a line (message left empty)."""
    moment: datetime | None = None
    year_missing = False
    for key in _TIME_KEYS:
        value = record.get(key)
        moment = _moment(value)
        if moment is None and isinstance(value, str):
            # Fluentd/Fluent Bit syslog parsers keeping the time: `Nov 24 15:14:57`, no year
            moment = syslog_stamp(value)
            year_missing = moment is not None
        if moment is not None:
            break
    extra: dict[str, str] = {}
    severity = facility = priority = None
    pri = _single(record.get("pri"))
    if isinstance(pri, int | str) and str(pri).isdigit() and int(pri) < 192:
        priority = int(pri)
        severity, facility = split_pri(priority)
    tag = _text(record.get("fluentd_tag"))
    if tag is not None:
        extra["tag"] = tag
        # in_syslog tags events `<tag>.<facility>.<level>`
        *_, fac, level = ["", "", *tag.split(".")]
        if priority is None and fac in FACILITY_NAMES and level in LEVEL_NAMES:
            facility, severity = FACILITY_NAMES[fac], LEVEL_NAMES[level]
    pid = record.get("pid")
    if pid is not None and pid != "-":
        extra["pid"] = str(pid)
    return Envelope(
        name="fluentd",
        message="",
        wall_time=moment if moment is not None and moment.tzinfo is not None else None,
        naive_time=moment if moment is not None and moment.tzinfo is None else None,
        year_missing=year_missing,
        severity=severity,
        facility=facility,
        priority=priority,
        host=_host(record),
        ident=_text(record.get("ident")),
        extra=extra,
    )


def _host(record: Record) -> str | None:
    """`host`/`hostname` as text, or ECS-style `host: {"name": ...}` / `{"hostname": ...}`."""
    for key in ("host", "hostname"):
        value = record.get(key)
        if isinstance(value, dict):
            value = value.get("name") or value.get("hostname")
        text = _text(value)
        if text:
            return text
    return None


def _moment(value: Any) -> datetime | None:
    """A record's time: epoch seconds (number or numeric text) or ISO 8601 text; else None."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return parse_iso(value) if isinstance(value, str) else None
    if not 0 <= seconds < 1e11:
        return None
    return from_epoch_usec(round(seconds * 1_000_000))


def _text(value: Any) -> str | None:
    """A journald-style value as text: string, byte array, or repeated field (joined by lines)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and value:
        if all(isinstance(item, int) and 0 <= item < 256 for item in value):
            text = bytes(value).decode("utf-8", "backslashreplace")
            return text.replace("\x00", "\\x00")
        parts = [_text(item) for item in value]
        return "\n".join(part for part in parts if part is not None)
    return None


def _single(value: Any) -> Any:
    """The first value of a repeated journald field (a byte array is one value)."""
    if isinstance(value, list) and value and not isinstance(value[0], int):
        return value[0]
    return value


def _integer(record: Record, key: str) -> int | None:
    """An integer field; present but not a number means the record is broken."""
    value = _single(record.get(key))
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    raise EnvelopeError(f"record field {key} is not a number: {value!r}")
