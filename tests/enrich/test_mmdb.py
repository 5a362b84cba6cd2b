"""MaxMind databases (GeoLite2-ASN, GeoIP2-ISP, GeoLite2-City layouts) built with mmdb-writer."""

from __future__ import annotations

from collections.abc import Callable
from ipaddress import ip_address
from pathlib import Path

import pytest

from pipeline.enrich import IspResolver
from pipeline.enrich.mmdb import MaxMindDatabase
from pipeline.errors import DatabaseError, UsageError


def test_asn_database_gives_number_organisation_and_canonical_isp(
    asn_mmdb: Path, resolver_for: Callable[..., IspResolver]
) -> None:
    info = resolver_for(mmdb=[asn_mmdb]).lookup(ip_address("202.106.38.7"))
    assert info.as_number == 4808
    assert info.as_organization == "China Unicom Beijing Province Network"
    assert info.isp_name == "China Unicom"
    assert info.isp_name_local == "中国联通"
    assert info.country_iso_code == "CN"  # from the bundled layer below
    assert info.isp_source.startswith("GeoLite2-ASN ")
    assert "bundled ip-location-db" in info.isp_source


def test_unknown_as_number_keeps_its_organisation_name(asn_mmdb: Path) -> None:
    info = MaxMindDatabase(asn_mmdb).answer(ip_address("198.1.2.3"))
    assert info is not None
    assert (info.as_number, info.as_organization) == (64999, "Example Regional Carrier")


def test_ipv6_records_are_found(asn_mmdb: Path) -> None:
    info = MaxMindDatabase(asn_mmdb).answer(ip_address("2409:8000::1"))
    assert info is not None and info.as_number == 9808


def test_isp_database_isp_field_is_canonicalised(
    isp_mmdb: Path, resolver_for: Callable[..., IspResolver]
) -> None:
    resolver = resolver_for(mmdb=[isp_mmdb])
    info = resolver.lookup(ip_address("203.208.1.1"))
    assert info.isp_name == "China Telecom"
    assert info.as_number is None


def test_city_database_fills_region_and_city(
    city_mmdb: Path, asn_mmdb: Path, resolver_for: Callable[..., IspResolver]
) -> None:
    info = resolver_for(mmdb=[asn_mmdb, city_mmdb]).lookup(ip_address("202.106.38.7"))
    assert (info.country_iso_code, info.region_name, info.city_name) == ("CN", "Beijing", "Beijing")
    registered = MaxMindDatabase(city_mmdb).answer(ip_address("198.1.2.3"))
    assert registered is not None and registered.country_iso_code == "US"


def test_address_absent_from_the_database_gets_no_answer(asn_mmdb: Path) -> None:
    assert MaxMindDatabase(asn_mmdb).answer(ip_address("8.8.8.8")) is None


def test_ipv4_only_database_does_not_fail_on_ipv6_peers(
    tmp_path: Path, make_mmdb: Callable[..., Path]
) -> None:
    path = make_mmdb(
        tmp_path / "v4.mmdb", "GeoLite2-ASN", {"1.2.3.0/24": {"autonomous_system_number": 1}}, 4
    )
    database = MaxMindDatabase(path)
    assert database.answer(ip_address("2409:8000::1")) is None
    found = database.answer(ip_address("1.2.3.4"))
    assert found is not None and found.as_number == 1


def test_missing_database_is_a_usage_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "GeoLite2-ASN.mmdb"
    with pytest.raises(UsageError, match=r"GeoLite2-ASN\.mmdb: no such file; expected a MaxMind"):
        MaxMindDatabase(path)


def test_corrupt_database_is_a_clear_error_at_start(enrich_data: Path) -> None:
    with pytest.raises(DatabaseError) as caught:
        MaxMindDatabase(enrich_data / "corrupt.mmdb")
    message = str(caught.value)
    assert "corrupt.mmdb" in message and "MaxMind DB file" in message


def test_other_kind_of_file_is_refused(tmp_path: Path, enrich_data: Path) -> None:
    with pytest.raises(DatabaseError, match="not a MaxMind DB file"):
        MaxMindDatabase(enrich_data / "overrides.csv")
    with pytest.raises(DatabaseError, match="is a directory"):
        MaxMindDatabase(tmp_path)


def test_truncated_database_is_refused(asn_mmdb: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.mmdb"
    cut.write_bytes(asn_mmdb.read_bytes()[:200])
    with pytest.raises(DatabaseError, match=r"cut\.mmdb"):
        MaxMindDatabase(cut)
