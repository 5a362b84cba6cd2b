"""`ktcp lookup`, and the enrichment options every enriching command shares (flags and env)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from pipeline.commands.lookup import lookup_command
from pipeline.commands.options import enrich_options, enrich_settings_from_options
from pipeline.enrich import DEFAULT_CACHE_SIZE, EnrichSettings
from pipeline.errors import DatabaseError


def test_lookup_prints_each_layer_and_the_result(asn_mmdb: Path) -> None:
    result = CliRunner().invoke(lookup_command, ["202.106.38.7", "--mmdb", str(asn_mmdb)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "202.106.38.7"
    assert any(line.strip().startswith("GeoLite2-ASN") and "AS4808" in line for line in lines)
    assert any("bundled ip-location-db" in line and "CN" in line for line in lines)
    assert any("=> result" in line and "China Unicom (中国联通)" in line for line in lines)


def test_lookup_json_is_one_object_per_address() -> None:
    result = CliRunner().invoke(lookup_command, ["10.1.2.3", "::ffff:202.106.38.7", "--json"])
    assert result.exit_code == 0, result.output
    docs = [json.loads(line) for line in result.output.splitlines()]
    assert [d["result"]["isp_name"] for d in docs] == ["private", "China Unicom"]
    assert docs[0]["providers"][0] == {
        "provider": "special-purpose ranges",
        "answer": {
            "isp_name": "private",
            "isp_source": "special-purpose ranges: private (RFC 1918)",
        },
    }


def test_lookup_rejects_text_that_is_not_an_address() -> None:
    result = CliRunner().invoke(lookup_command, ["202.106.38"])
    assert result.exit_code == 2
    assert "not an IPv4 or IPv6 address" in result.output


def test_lookup_with_a_missing_database_raises_the_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(lookup_command, ["1.1.1.1", "--mmdb", str(tmp_path / "x.mmdb")])
    assert isinstance(result.exception, DatabaseError)
    assert "x.mmdb: no such file" in str(result.exception)


def _settings(args: list[str], env: dict[str, str]) -> EnrichSettings:
    """The enrichment settings a command gets from these flags and this environment."""
    got: list[EnrichSettings] = []

    @click.command()
    @enrich_options
    def parse(**options: object) -> None:
        got.append(enrich_settings_from_options(options))

    result = CliRunner().invoke(parse, args, env=env)
    assert result.exit_code == 0, result.output
    return got[0]


CLEAN = {"KTCP_ENRICH": "", "KTCP_MMDB": "", "KTCP_IP2REGION": "", "KTCP_ISP_OVERRIDES": ""}


def test_defaults_enrich_with_bundled_data_only() -> None:
    settings = _settings([], CLEAN)
    assert settings == EnrichSettings()
    assert settings.enabled and settings.mmdb == () and settings.cache_size == DEFAULT_CACHE_SIZE


def test_the_environment_names_databases_in_order() -> None:
    env = {
        "KTCP_ENRICH": "1",
        "KTCP_MMDB": os.pathsep.join(["/db/GeoIP2-ISP.mmdb", "/db/GeoLite2-City.mmdb"]),
        "KTCP_IP2REGION": "/db/ip2region_v4.xdb",
        "KTCP_ISP_OVERRIDES": "/etc/ktcp/isp.csv",
    }
    settings = _settings([], env)
    assert settings.mmdb == (Path("/db/GeoIP2-ISP.mmdb"), Path("/db/GeoLite2-City.mmdb"))
    assert settings.ip2region == Path("/db/ip2region_v4.xdb")
    assert settings.isp_overrides == Path("/etc/ktcp/isp.csv")


def test_flags_override_the_environment() -> None:
    env = {**CLEAN, "KTCP_MMDB": "/env/a.mmdb", "KTCP_IP2REGION": "/env/r.xdb", "KTCP_ENRICH": "1"}
    settings = _settings(["--mmdb", "/flag/b.mmdb"], env)
    assert settings.mmdb == (Path("/flag/b.mmdb"),)
    assert settings.ip2region == Path("/env/r.xdb")
    assert not _settings(["--no-enrich"], env).enabled


def test_enrichment_is_switched_off_by_flag_or_environment() -> None:
    assert not _settings(["--no-enrich"], CLEAN).enabled
    assert not _settings([], {**CLEAN, "KTCP_ENRICH": "0"}).enabled
    assert _settings(["--enrich"], {**CLEAN, "KTCP_ENRICH": "0"}).enabled


def test_a_bad_switch_value_is_a_usage_error_naming_the_variable() -> None:
    @click.command()
    @enrich_options
    def parse(**_: object) -> None: ...

    result = CliRunner().invoke(parse, [], env={**CLEAN, "KTCP_ENRICH": "maybe"})
    assert result.exit_code == 2
    assert "KTCP_ENRICH" in result.output and "maybe" in result.output


@pytest.mark.parametrize(
    ("flag", "variable"),
    [
        ("--no-enrich", "KTCP_ENRICH"),
        ("--mmdb", "KTCP_MMDB"),
        ("--ip2region", "KTCP_IP2REGION"),
        ("--isp-overrides", "KTCP_ISP_OVERRIDES"),
    ],
)
def test_enrich_options_and_their_variables_are_documented_in_help(
    flag: str, variable: str
) -> None:
    @click.command()
    @enrich_options
    def ship(**_: object) -> None: ...

    text = CliRunner().invoke(ship, ["--help"]).output
    assert flag in text and variable in text
