"""Layering, caching and the Chain's enrich callable."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from ipaddress import ip_address
from pathlib import Path

from pipeline.chain import Chain
from pipeline.enrich import IspResolver
from pipeline.enrich.mmdb import MaxMindDatabase
from pipeline.enrich.names import load
from pipeline.enrich.special import SpecialRanges
from pipeline.events import Event
from pipeline.records import RawLine

WINDOW_SHRINK = (
    "TCP: Treason uncloaked! Peer 202.106.38.7:57824/80 shrinks window 3573023813:3573023814. "
    "Repaired."
)


def test_first_mmdb_given_answers_first(
    make_mmdb: Callable[..., Path], tmp_path: Path, resolver_for: Callable[..., IspResolver]
) -> None:
    first = make_mmdb(
        tmp_path / "first.mmdb",
        "GeoLite2-ASN",
        {
            "202.106.0.0/16": {
                "autonomous_system_number": 4134,
                "autonomous_system_organization": "A",
            }
        },
    )
    second = make_mmdb(
        tmp_path / "second.mmdb",
        "GeoLite2-ASN",
        {
            "202.106.0.0/16": {
                "autonomous_system_number": 4808,
                "autonomous_system_organization": "B",
            }
        },
    )
    ip = ip_address("202.106.38.7")
    assert resolver_for(mmdb=[first, second]).lookup(ip).isp_name == "China Telecom"
    assert resolver_for(mmdb=[second, first]).lookup(ip).isp_name == "China Unicom"


def test_special_ranges_come_before_databases(
    make_mmdb: Callable[..., Path], tmp_path: Path, resolver_for: Callable[..., IspResolver]
) -> None:
    db = make_mmdb(
        tmp_path / "odd.mmdb", "GeoLite2-ASN", {"10.0.0.0/8": {"autonomous_system_number": 4134}}
    )
    info = resolver_for(mmdb=[db]).lookup(ip_address("10.1.2.3"))
    assert info.isp_name == "private" and info.as_number is None


def test_address_no_database_knows_is_unknown_with_no_invented_fields(asn_mmdb: Path) -> None:
    resolver = IspResolver([SpecialRanges(), MaxMindDatabase(asn_mmdb)], load(), 16)
    info = resolver.lookup(ip_address("8.8.8.8"))
    assert info.isp_name == "unknown"
    assert (info.as_number, info.as_organization, info.country_iso_code) == (None, None, None)
    assert info.isp_name_local is None and info.region_name is None
    assert "GeoLite2-ASN" in info.isp_source


def test_repeated_peers_are_answered_from_the_cache(bundled: IspResolver) -> None:
    ip = ip_address("202.99.99.211")
    first = bundled.lookup(ip)
    hits = bundled.lookup.cache_info().hits
    assert bundled.lookup(ip) is first
    assert bundled.lookup.cache_info().hits == hits + 1


def test_explain_shows_each_layer_then_lookup_merges(
    asn_mmdb: Path, resolver_for: Callable[..., IspResolver]
) -> None:
    resolver = resolver_for(mmdb=[asn_mmdb])
    layers = dict(resolver.explain(ip_address("202.106.38.7")))
    assert layers["special-purpose ranges"] is None
    asn = layers[f"GeoLite2-ASN {asn_mmdb.name}"]
    assert asn is not None and asn.as_number == 4808 and asn.country_iso_code is None
    bundled = layers["bundled ip-location-db"]
    assert bundled is not None and bundled.country_iso_code == "CN"


def test_chain_enriches_every_event_with_a_peer(bundled: IspResolver) -> None:
    chain = Chain(enrich=bundled)
    event = chain.process(RawLine(WINDOW_SHRINK))
    assert isinstance(event, Event)
    assert event.peer is not None
    assert (event.peer.isp_name, event.peer.country_iso_code) == ("China Unicom", "CN")


def test_event_without_a_peer_address_gets_nothing(bundled: IspResolver) -> None:
    event = Chain().process(RawLine(WINDOW_SHRINK))
    assert isinstance(event, Event)
    no_peer = replace(event, detail=event.detail.model_copy(update={"peer_ip": None}))
    assert bundled(no_peer.detail) is None
