"""The forward protocol's bytes: addresses, EventTime, PackedForward messages and their acks.

Only what in_forward accepts (docs/FLUENTD.md, Protocol notes): time is always an EventTime
(ext type 0, big-endian u32 seconds + u32 nanoseconds), never a float; every message carries
`chunk` so Fluentd answers `{"ack": chunk}` once the events are in its buffer.
"""

from __future__ import annotations

import base64
import os
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgpack

from pipeline.clock import epoch_parts
from pipeline.ecs import document_action, document_time
from pipeline.errors import UsageError
from pipeline.sinks.base import Document

DEFAULT_PORT = 24224
EVENT_TIME_EXT = 0
_EVENT_TIME = struct.Struct(">II")
# an entry's first bytes as msgpack writes `[ExtType(0, <8 bytes>), record]`: fixarray of 2,
# fixext 8 of type EVENT_TIME_EXT; the 8 bytes of the EventTime follow, then the record
_ENTRY_HEAD = bytes((0x92, 0xD7, EVENT_TIME_EXT))


@dataclass(frozen=True, slots=True)
class Address:
    """Where in_forward listens: a TCP host and port, or a unix socket path."""

    host: str = ""
    port: int = DEFAULT_PORT
    path: str | None = None  # unix socket

    def __str__(self) -> str:
        if self.path is not None:
            return f"unix:{self.path}"
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def parse_address(text: str) -> Address:
    """HOST:PORT, [v6]:PORT, HOST (port 24224) or unix:/path/to.sock."""
    usage = "give --fluentd as HOST:PORT, [IPv6]:PORT or unix:/path/to.sock"
    if text.startswith("unix:"):
        path = text[len("unix:") :].removeprefix("//")
        if not path:
            raise UsageError(f"--fluentd {text!r}: the unix socket path is empty; {usage}")
        return Address(path=path)
    host, port_text = text, ""
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise UsageError(f"--fluentd {text!r}: unbalanced brackets; {usage}")
        port_text = rest[1:]
    elif text.count(":") == 1:
        host, port_text = text.split(":")
    if not host:
        raise UsageError(f"--fluentd {text!r}: no host; {usage}")
    if not port_text:
        return Address(host=host)
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise UsageError(f"--fluentd {text!r}: port must be 1-65535; {usage}")
    return Address(host=host, port=int(port_text))


def event_time(timestamp: str) -> msgpack.ExtType:
    """EventTime of the document's `@timestamp` (ISO 8601 UTC), exact to the microsecond."""
    return msgpack.ExtType(EVENT_TIME_EXT, _event_time_bytes(timestamp))


def _event_time_bytes(timestamp: str) -> bytes:
    return _EVENT_TIME.pack(*epoch_parts(datetime.fromisoformat(timestamp)))


def tag_for(prefix: str, document: Document) -> str:
    """`<prefix>.<event.action>`: Fluentd routes on it (`<match kernel.**>`)."""
    action = document_action(document)
    return f"{prefix}.{action}" if prefix else action


def pack_entries(documents: Iterable[Document]) -> bytes:
    """The PackedForward body: concatenated msgpack `[time, record]` entries. The same bytes as
    packing each `[event_time(...), record]` (tests compare), without building a list and an
    ExtType per event, and parsing each distinct `@timestamp` once per batch."""
    pack = msgpack.Packer(use_bin_type=True).pack
    times: dict[str, bytes] = {}
    parts: list[bytes] = []
    for doc in documents:
        timestamp = document_time(doc)
        time_bytes = times.get(timestamp)
        if time_bytes is None:
            time_bytes = times[timestamp] = _event_time_bytes(timestamp)
        parts += (_ENTRY_HEAD, time_bytes, pack(doc))
    return b"".join(parts)


def new_chunk_id() -> str:
    """A unique chunk id (16 random bytes, URL-safe base64: also usable in a file name)."""
    return base64.urlsafe_b64encode(os.urandom(16)).rstrip(b"=").decode("ascii")


def packed_forward(tag: str, entries: bytes, count: int, chunk: str) -> bytes:
    """`[tag, <bin entries>, {"chunk": id, "size": n}]`: one message, one acknowledgement."""
    return msgpack.packb([tag, entries, {"chunk": chunk, "size": count}], use_bin_type=True)


def ack_of(reply: Any) -> str | None:
    """The chunk id a Fluentd reply acknowledges (`{"ack": chunk}`), else None."""
    if isinstance(reply, dict):
        chunk = reply.get("ack")
        if isinstance(chunk, bytes):
            return chunk.decode("utf-8", "replace")
        if isinstance(chunk, str):
            return chunk
    return None
