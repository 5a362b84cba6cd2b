"""Enrichment settings from the environment (the Fluentd stage has no flags)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipeline.enrich import DEFAULT_CACHE_SIZE, EnrichSettings
from pipeline.errors import UsageError


def test_defaults_enrich_with_bundled_data_only() -> None:
    settings = EnrichSettings.from_env({})
    assert settings == EnrichSettings()
    assert settings.enabled and settings.mmdb == () and settings.cache_size == DEFAULT_CACHE_SIZE


def test_environment_names_databases_in_order() -> None:
    env = {
        "KTCP_ENRICH": "1",
        "KTCP_MMDB": os.pathsep.join(["/db/GeoIP2-ISP.mmdb", "/db/GeoLite2-City.mmdb"]),
        "KTCP_IP2REGION": "/db/ip2region_v4.xdb",
        "KTCP_ISP_OVERRIDES": "/etc/ktcp/isp.csv",
    }
    settings = EnrichSettings.from_env(env)
    assert settings.mmdb == (Path("/db/GeoIP2-ISP.mmdb"), Path("/db/GeoLite2-City.mmdb"))
    assert settings.ip2region == Path("/db/ip2region_v4.xdb")
    assert settings.isp_overrides == Path("/etc/ktcp/isp.csv")


def test_enrichment_can_be_switched_off() -> None:
    assert not EnrichSettings.from_env({"KTCP_ENRICH": "0"}).enabled


def test_bad_switch_value_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="KTCP_ENRICH='yes'"):
        EnrichSettings.from_env({"KTCP_ENRICH": "yes"})
