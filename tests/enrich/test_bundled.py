"""Seed peers answered by the bundled data alone (no download, no configuration)."""

from __future__ import annotations

import json
from ipaddress import IPv4Address, IPv6Address, ip_address
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.enrich import IspResolver
from pipeline.enrich.bundled import DATA_FILE
from pipeline.enrich.ipdata import IpData, IpDataError, Record, write


def test_beijing_unicom_peer_is_china_unicom_with_its_as_and_country(
    bundled: IspResolver,
) -> None:
    info = bundled.lookup(ip_address("202.106.38.7"))
    assert info.isp_name == "China Unicom"
    assert info.isp_name_local == "中国联通"
    assert info.as_number == 4808
    assert info.as_organization == "China Unicom Beijing Province Network"
    assert info.country_iso_code == "CN"
    assert info.isp_source.startswith("bundled ip-location-db 20")


def test_china169_backbone_peer_is_china_unicom(bundled: IspResolver) -> None:
    info = bundled.lookup(ip_address("202.99.99.211"))
    assert (info.isp_name, info.country_iso_code) == ("China Unicom", "CN")
    assert info.as_organization == "CHINA UNICOM China169 Backbone"
    assert info.as_number == 4837


def test_every_network_has_its_as_number_not_only_chinese_carriers(bundled: IspResolver) -> None:
    google = bundled.lookup(ip_address("8.8.8.8"))
    assert (google.as_number, google.country_iso_code) == (15169, "US")
    assert bundled.lookup(ip_address("2001:4860:4860::8888")).as_number == 15169
    assert bundled.lookup(ip_address("39.156.66.10")).isp_name == "China Mobile"


def test_a_range_without_an_as_still_gives_its_country(bundled: IspResolver) -> None:
    info = bundled.lookup(ip_address("210.76.114.42"))  # no AS announces it in this data
    assert info.as_number is None and info.country_iso_code == "CN"


def test_ipv4_mapped_ipv6_peer_is_looked_up_as_its_ipv4_address(bundled: IspResolver) -> None:
    mapped = bundled.lookup(ip_address("::ffff:202.106.38.7"))
    assert mapped == bundled.lookup(ip_address("202.106.38.7"))


def test_ipv6_peers_are_canonicalised_too(bundled: IspResolver) -> None:
    assert bundled.lookup(ip_address("240e::1")).isp_name == "China Telecom"
    assert bundled.lookup(ip_address("2409:8000::1")).isp_name == "China Mobile"
    assert bundled.lookup(ip_address("2001:da8::1")).isp_name == "CERNET"


def test_the_data_says_where_it_comes_from() -> None:
    meta = IpData(DATA_FILE).meta
    assert "RouteViews" in meta["attribution"] and "DB-IP" in meta["attribution"]
    assert meta["date"][:2] == "20"


def test_format_round_trip_with_gaps_and_sub_64_ipv6_boundaries(tmp_path: Path) -> None:
    a = Record(64500, "Example One", "DE")
    b = Record(None, None, "FR")
    c = Record(64501, "Example Two", None)
    v4 = [(int(ip_address("1.0.0.0")), a), (int(ip_address("1.0.1.0")), None),
          (int(ip_address("9.0.0.0")), b)]
    v6 = [(int(ip_address("2001:db8::")), c), (int(ip_address("2001:db8:0:0:8000::")), a),
          (int(ip_address("2001:db8:0:1::")), None)]
    path = tmp_path / "ipdata.bin"
    write(path, v4, v6, {"date": "2026-01-02"})
    data = IpData(path)
    expect = {
        "0.255.255.255": None, "1.0.0.7": a, "1.0.1.0": None, "8.255.0.1": None,
        "9.1.2.3": b, "255.255.255.255": b,
        "2001:db7::1": None, "2001:db8::1": c, "2001:db8::7fff:ffff:ffff:ffff": c,
        "2001:db8:0:0:8000::1": a, "2001:db8:0:1::1": None,
    }
    assert {k: data.lookup(ip_address(k)) for k in expect} == expect
    assert data.meta == {"date": "2026-01-02"}


def test_a_damaged_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ipdata.bin"
    path.write_bytes(DATA_FILE.read_bytes()[:100_000])
    with pytest.raises(IpDataError, match="truncated"):
        IpData(path)
    path.write_bytes(json.dumps({}).encode() * 20)
    with pytest.raises(IpDataError, match="not a ktcp ipdata"):
        IpData(path)


_V6_POINTS = st.integers(0, (1 << 128) - 1) | st.sampled_from(
    [0, (1 << 64), (1 << 64) - 1, (5 << 64) + 3, (5 << 64) + 4, (5 << 64), (6 << 64) - 1]
)


@settings(max_examples=60, deadline=None)
@given(
    starts4=st.sets(st.integers(0, (1 << 32) - 1), max_size=40),
    starts6=st.sets(_V6_POINTS, max_size=40),
    probes4=st.lists(st.integers(0, (1 << 32) - 1), max_size=30),
    probes6=st.lists(_V6_POINTS, max_size=30),
)
def test_lookup_agrees_with_a_linear_scan(
    tmp_path_factory: pytest.TempPathFactory,
    starts4: set[int],
    starts6: set[int],
    probes4: list[int],
    probes6: list[int],
) -> None:
    records = [None, Record(1, "one", "AA"), Record(2, None, None), Record(None, "three", "CC")]

    def segs(starts: set[int]) -> list[tuple[int, Record | None]]:
        return [(s, records[i % len(records)]) for i, s in enumerate(sorted(starts))]

    v4, v6 = segs(starts4), segs(starts6)
    path = tmp_path_factory.mktemp("ipdata") / "ipdata.bin"
    write(path, v4, v6, {})
    data = IpData(path)

    def linear(segments: list[tuple[int, Record | None]], value: int) -> Record | None:
        found = None
        for start, record in segments:
            if start <= value:
                found = record
        return found

    for value in probes4 + [s for s, _ in v4]:
        assert data.lookup(IPv4Address(value)) == linear(v4, value)
    for value in probes6 + [s for s, _ in v6] + [max(s - 1, 0) for s, _ in v6]:
        assert data.lookup(IPv6Address(value)) == linear(v6, value)
