"""Seed peers answered by the bundled geoip2fast data alone (no download, no configuration)."""

from __future__ import annotations

from ipaddress import ip_address

from pipeline.enrich import IspResolver


def test_beijing_unicom_peer_is_china_unicom_with_its_organisation_and_country(
    bundled: IspResolver,
) -> None:
    info = bundled.lookup(ip_address("202.106.38.7"))
    assert info.isp_name == "China Unicom"
    assert info.isp_name_local == "中国联通"
    assert info.as_organization == "China Unicom Beijing Province Network"  # AS4808's name
    assert info.country_iso_code == "CN"
    # The bundled file has no AS numbers; this organisation name belongs to AS4808 alone.
    assert info.as_number == 4808
    assert "as_organizations.csv" in info.isp_source
    assert info.isp_source.startswith("geoip2fast ")
    assert "GeoLite2" in info.isp_source and "2024-06-18" in info.isp_source


def test_china169_backbone_peer_is_china_unicom(bundled: IspResolver) -> None:
    info = bundled.lookup(ip_address("202.99.99.211"))
    assert (info.isp_name, info.country_iso_code) == ("China Unicom", "CN")
    assert info.as_organization == "CHINA UNICOM China169 Backbone"
    assert info.as_number == 4837


def test_organisation_shared_by_many_ases_gets_no_as_number(bundled: IspResolver) -> None:
    info = bundled.lookup(ip_address("39.156.66.10"))  # China Mobile: one name, many ASes
    assert info.isp_name == "China Mobile" and info.as_number is None


def test_network_outside_the_table_keeps_its_real_organisation(bundled: IspResolver) -> None:
    info = bundled.lookup(ip_address("210.76.114.42"))
    assert info.isp_name == "Beijing Dian-Xin-Tong Network Technologies Co., Ltd."
    assert info.as_organization == info.isp_name
    assert info.isp_name_local is None


def test_ipv4_mapped_ipv6_peer_is_looked_up_as_its_ipv4_address(bundled: IspResolver) -> None:
    mapped = bundled.lookup(ip_address("::ffff:202.106.38.7"))
    assert mapped == bundled.lookup(ip_address("202.106.38.7"))


def test_ipv6_peers_are_canonicalised_too(bundled: IspResolver) -> None:
    assert bundled.lookup(ip_address("240e::1")).isp_name == "China Telecom"
    assert bundled.lookup(ip_address("2409:8000::1")).isp_name == "China Mobile"
    assert bundled.lookup(ip_address("2001:da8::1")).isp_name == "CERNET"
