"""The shared model pieces: strict ports, u32 and addresses, v4-mapped normalisation, renames."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address

import pytest
from pydantic import ValidationError

from pipeline.catalog.base import KernelMessage
from pipeline.catalog.syn_flood import SynFlood
from pipeline.catalog.window_shrink import WindowShrink
from pipeline.records import RawLine
from tests.catalog.expect import bare_chain, flat


@pytest.mark.parametrize(
    ("printed", "address"),
    [
        ("0000:0000:0000:0000:0000:ffff:5d61:70c9", IPv4Address("93.97.112.201")),
        ("::ffff:93.97.112.201", IPv4Address("93.97.112.201")),
        ("[::ffff:93.97.112.201]", IPv4Address("93.97.112.201")),
        ("2001:0db8:0000:0000:0000:0000:0000:0001", IPv6Address("2001:db8::1")),
        ("[::]", IPv6Address("::")),
        ("0.0.0.0", IPv4Address("0.0.0.0")),
    ],
)
def test_printed_addresses_normalise_and_v4_mapped_becomes_ipv4(
    printed: str, address: IPv4Address | IPv6Address
) -> None:
    assert KernelMessage(variant="x", peer_ip=printed).peer_ip == address


@pytest.mark.parametrize(
    "fields",
    [
        {"peer_port": 65536},
        {"peer_port": -1},
        {"local_port": 70000},
        {"peer_ip": "256.1.1.1"},
        {"peer_ip": "2001:::1"},
        {"peer_ip": "01.2.3.4"},
    ],
)
def test_out_of_range_common_fields_are_rejected(fields: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        KernelMessage(variant="x", **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [-1, 2**32])
def test_sequence_numbers_are_u32(value: int) -> None:
    with pytest.raises(ValidationError):
        WindowShrink(variant="x", snd_una=value, snd_nxt=0)


def test_renamed_fields_render_and_describe_under_their_ecs_name() -> None:
    message = SynFlood(variant="x", response="drop", listener="TCP")
    assert message.extra_fields() == {"action": "drop", "listener": "TCP"}
    assert set(SynFlood.extra_field_schemas()) == {"action", "listener"}


def test_network_transport_is_always_present_tcp_unless_the_line_says_otherwise() -> None:
    # docs/CONTRACT.md: network.transport always; tcp, or what a conntrack line names.
    doc = flat(
        bare_chain().process(RawLine("nf_conntrack: nf_conntrack: table full, dropping packet"))
    )
    assert doc["event.action"] == "conntrack-table-full"
    assert doc["network.transport"] == "tcp"
    assert "network.type" not in doc
