"""The user's CIDR table wins over every database, longest prefix first."""

from __future__ import annotations

from collections.abc import Callable
from ipaddress import ip_address
from pathlib import Path

import pytest

from pipeline.enrich import IspResolver
from pipeline.enrich.overrides import IspOverrides
from pipeline.errors import DatabaseError


def test_override_wins_over_databases_and_lower_layers_fill_the_rest(
    enrich_data: Path, asn_mmdb: Path, resolver_for: Callable[..., IspResolver]
) -> None:
    resolver = resolver_for(isp_overrides=enrich_data / "overrides.csv", mmdb=[asn_mmdb])
    info = resolver.lookup(ip_address("202.106.38.7"))
    assert (info.isp_name, info.isp_name_local) == ("Partner Beijing", "合作伙伴")
    assert (info.as_number, info.as_organization) == (64500, "Partner Networks Ltd")
    assert info.isp_source.startswith("overrides overrides.csv ")
    wide = resolver.lookup(ip_address("202.106.1.1"))  # the /16 row, AS facts from the mmdb
    assert (wide.isp_name, wide.as_number) == ("Partner Wide", 4808)
    assert "GeoLite2-ASN" in wide.isp_source


def test_override_names_an_internal_network(
    enrich_data: Path, resolver_for: Callable[..., IspResolver]
) -> None:
    resolver = resolver_for(isp_overrides=enrich_data / "overrides.csv")
    assert resolver.lookup(ip_address("10.20.3.4")).isp_name == "Corp Datacenter"
    assert resolver.lookup(ip_address("10.21.3.4")).isp_name == "private"
    assert resolver.lookup(ip_address("2001:db8:42::9")).isp_name == "Lab IPv6"


def test_longest_prefix_wins(enrich_data: Path) -> None:
    table = IspOverrides(enrich_data / "overrides.csv")
    narrow = table.answer(ip_address("202.106.38.200"))
    wide = table.answer(ip_address("202.106.200.1"))
    assert narrow is not None and narrow.isp_name == "Partner Beijing"
    assert wide is not None and wide.isp_name == "Partner Wide"
    assert table.answer(ip_address("8.8.8.8")) is None


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("bad_cidr.csv", r"bad_cidr\.csv:3: 'not-a-cidr' is not a CIDR"),
        ("bad_header.csv", r"bad_header\.csv: not an ISP overrides CSV .*lacks cidr, isp"),
        ("bad_as_number.csv", r"bad_as_number\.csv:2: 'ASX12' is not an AS number"),
        ("missing.csv", r"missing\.csv: cannot read an ISP overrides CSV"),
    ],
)
def test_bad_table_is_a_clear_error_naming_file_and_line(
    enrich_data: Path, name: str, message: str
) -> None:
    with pytest.raises(DatabaseError, match=message):
        IspOverrides(enrich_data / name)
