"""tcp-syn-flood: the response renders as ktcp.syn_flood.action, and no peer is ever invented."""

from __future__ import annotations

from pipeline import ecs
from pipeline.catalog import BY_ACTION, Match, classify
from pipeline.records import RawLine
from tests.catalog.expect import bare_chain, flat

LINE = "TCP: request_sock_TCP: Possible SYN flooding on port 0.0.0.0:443. Sending cookies."


def test_response_and_listener_use_the_contract_names() -> None:
    doc = flat(bare_chain().process(RawLine(LINE)))
    assert doc["ktcp.syn_flood.action"] == "cookies"
    assert doc["ktcp.syn_flood.listener"] == "request_sock_TCP"
    assert not [k for k in doc if k.endswith(".response")]
    assert doc["event.action"] == "tcp-syn-flood"


def test_the_template_fields_carry_the_same_names() -> None:
    names = {f.name for f in ecs.family_fields(BY_ACTION["tcp-syn-flood"])}
    assert names == {"ktcp.syn_flood.action", "ktcp.syn_flood.listener"}


def test_the_listening_address_is_local_never_a_peer() -> None:
    doc = flat(bare_chain().process(RawLine(LINE)))
    assert doc["destination.ip"] == "0.0.0.0" and doc["destination.port"] == 443
    assert not [k for k in doc if k.startswith("source.")]


def test_the_last_name_before_the_text_is_the_listener() -> None:
    found = classify(
        "TCP: TCP: Possible SYN flooding on port 7000. Sending cookies.  Check SNMP counters."
    )
    assert isinstance(found, Match)
    assert found.message.model_dump()["listener"] == "TCP"
