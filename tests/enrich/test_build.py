"""Opening the configured databases once, at start."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.enrich import EnrichSettings, build_resolver
from pipeline.errors import DatabaseError


def test_disabled_enrichment_builds_nothing() -> None:
    assert build_resolver(EnrichSettings(enabled=False, mmdb=(Path("/nope.mmdb"),))) is None


def test_layers_are_in_the_documented_order(
    enrich_data: Path, asn_mmdb: Path, city_mmdb: Path, xdb_v4: Path
) -> None:
    settings = EnrichSettings(
        mmdb=(asn_mmdb, city_mmdb),
        ip2region=xdb_v4,
        isp_overrides=enrich_data / "overrides.csv",
    )
    resolver = build_resolver(settings)
    assert resolver is not None
    assert [p.name for p in resolver.providers] == [
        "overrides overrides.csv",
        "special-purpose ranges",
        f"GeoLite2-ASN {asn_mmdb.name}",
        f"GeoLite2-City {city_mmdb.name}",
        f"ip2region {xdb_v4.name}",
        "bundled ip-location-db",
    ]


def test_one_bad_file_stops_the_start(asn_mmdb: Path, enrich_data: Path) -> None:
    with pytest.raises(DatabaseError, match=r"corrupt\.xdb"):
        build_resolver(EnrichSettings(mmdb=(asn_mmdb,), ip2region=enrich_data / "corrupt.xdb"))
