"""`ktcp lookup` and the shared enrichment options."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from pipeline.enrich.commands import enrich_options, lookup_command, settings_from_options
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


def test_flags_override_the_environment() -> None:
    env = {"KTCP_MMDB": "/env/a.mmdb", "KTCP_IP2REGION": "/env/r.xdb", "KTCP_ENRICH": "1"}
    settings = settings_from_options(mmdb=(Path("/flag/b.mmdb"),), environ=env)
    assert settings.mmdb == (Path("/flag/b.mmdb"),)
    assert settings.ip2region == Path("/env/r.xdb")
    assert not settings_from_options(no_enrich=True, environ=env).enabled


def test_enrich_options_add_the_four_flags() -> None:
    seen: dict[str, object] = {}

    @click.command()
    @enrich_options
    def parse(**options: object) -> None:
        seen.update(options)

    runner = CliRunner()
    result = runner.invoke(
        parse, ["--no-enrich", "--mmdb", "a.mmdb", "--mmdb", "b.mmdb", "--isp-overrides", "o.csv"]
    )
    assert result.exit_code == 0, result.output
    assert seen == {
        "no_enrich": True,
        "mmdb": (Path("a.mmdb"), Path("b.mmdb")),
        "ip2region": None,
        "isp_overrides": Path("o.csv"),
    }
    settings = settings_from_options(**seen, environ={})  # type: ignore[arg-type]
    assert not settings.enabled


@pytest.mark.parametrize("flag", ["--no-enrich", "--mmdb", "--ip2region", "--isp-overrides"])
def test_enrich_options_are_documented_in_help(flag: str) -> None:
    @click.command()
    @enrich_options
    def ship(**_: object) -> None: ...

    assert flag in CliRunner().invoke(ship, ["--help"]).output
