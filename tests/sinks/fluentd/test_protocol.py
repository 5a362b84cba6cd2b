"""The forward protocol's bytes, as in_forward reads them."""

from __future__ import annotations

import io
import struct
from collections.abc import Callable
from typing import Any

import msgpack
import pytest

from pipeline.errors import UsageError
from pipeline.sinks.fluentd.protocol import (
    Address,
    ack_of,
    event_time,
    pack_entries,
    packed_forward,
    parse_address,
)


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("fluentd.local:24225", Address(host="fluentd.local", port=24225)),
        ("10.0.0.5", Address(host="10.0.0.5", port=24224)),
        ("[::1]:24224", Address(host="::1", port=24224)),
        ("[2001:db8::7]", Address(host="2001:db8::7", port=24224)),
        ("unix:/run/fluentd/forward.sock", Address(path="/run/fluentd/forward.sock")),
        ("unix:///run/fluentd/forward.sock", Address(path="/run/fluentd/forward.sock")),
    ],
)
def test_every_address_form_is_understood(text: str, address: Address) -> None:
    assert parse_address(text) == address


@pytest.mark.parametrize("text", ["host:0", "host:99999", "host:http", "[::1", "unix:", ":24224"])
def test_a_bad_address_is_a_usage_error_saying_the_forms(text: str) -> None:
    with pytest.raises(UsageError, match="HOST:PORT"):
        parse_address(text)


def test_time_is_an_event_time_exact_to_the_microsecond_never_a_float() -> None:
    value = event_time("2026-11-24T08:01:50.123456Z")
    assert value.code == 0
    assert struct.unpack(">II", value.data) == (1795507310, 123456000)


def test_a_packed_forward_message_carries_tag_entries_and_a_chunk_to_acknowledge() -> None:
    docs = [
        {"@timestamp": "2026-11-24T08:01:50.000001Z", "event": {"id": str(i)}} for i in range(3)
    ]
    message = msgpack.unpackb(packed_forward("kernel.tcp.x", pack_entries(docs), 3, "c1"))
    tag, body, option = message
    assert (tag, option) == ("kernel.tcp.x", {"chunk": "c1", "size": 3})
    assert isinstance(body, bytes)  # PackedForward: one bin of concatenated entries
    entries = list(msgpack.Unpacker(io.BytesIO(body)))
    assert [record for _, record in entries] == docs
    assert all(isinstance(t, msgpack.ExtType) for t, _ in entries)


def test_entries_are_byte_for_byte_what_msgpack_packs_for_time_and_record(
    make_docs: Callable[[int], list[dict[str, Any]]],
) -> None:
    docs = make_docs(3)
    docs.append({"@timestamp": "1970-01-01T00:00:00Z", "event": {"id": "epoch"}})
    docs.append({"@timestamp": "2106-02-07T06:28:15.999999Z", "event": {"id": "u32 max"}})
    reference = b"".join(
        msgpack.packb([event_time(d["@timestamp"]), d], use_bin_type=True) for d in docs
    )
    assert pack_entries(docs) == reference


def test_only_an_ack_map_acknowledges() -> None:
    assert ack_of({"ack": "abc"}) == "abc"
    assert ack_of({"ack": b"abc"}) == "abc"
    assert ack_of({"nack": "abc"}) is None
    assert ack_of(["ack", "abc"]) is None
