"""CLI pieces of enrichment: `ktcp lookup` and the options every enriching command shares."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import asdict
from ipaddress import IPv6Address, ip_address
from pathlib import Path
from typing import Any, TypeVar

import click

from pipeline.enrich.answer import IPAddress
from pipeline.enrich.build import build_resolver
from pipeline.enrich.settings import ENV_ENABLED, EnrichSettings
from pipeline.records import PeerInfo

F = TypeVar("F", bound=Callable[..., Any])

_FILE = click.Path(path_type=Path, dir_okay=False)


def _database_options(func: F) -> F:
    func = click.option(
        "--isp-overrides",
        type=_FILE,
        default=None,
        metavar="CSV",
        help="Your CIDR table (cidr,isp[,isp_local,as_number,as_organization,country]); "
        "it wins over every database.  [env KTCP_ISP_OVERRIDES]",
    )(func)
    func = click.option(
        "--ip2region",
        type=_FILE,
        default=None,
        metavar="PATH",
        help="ip2region xdb file (province and ISP of Chinese addresses).  [env KTCP_IP2REGION]",
    )(func)
    func = click.option(
        "--mmdb",
        type=_FILE,
        multiple=True,
        metavar="PATH",
        help="MaxMind database (GeoLite2-ASN, GeoIP2-ISP, GeoLite2-City...); repeat to layer "
        "several, first answer wins.  [env KTCP_MMDB, separated by ':']",
    )(func)
    return func


def enrich_options(func: F) -> F:
    """Add --no-enrich, --mmdb, --ip2region, --isp-overrides (read by settings_from_options)."""
    func = _database_options(func)
    return click.option(
        "--no-enrich",
        is_flag=True,
        default=False,
        help="Leave out AS, ISP and geo fields (enrichment is on by default, with bundled data).",
    )(func)


def settings_from_options(
    *,
    no_enrich: bool = False,
    mmdb: tuple[Path, ...] = (),
    ip2region: Path | None = None,
    isp_overrides: Path | None = None,
    environ: Mapping[str, str] | None = None,
    **_: object,
) -> EnrichSettings:
    """Settings from the environment, each flag given on the command line taking precedence."""
    env = EnrichSettings.from_env(os.environ if environ is None else environ)
    return EnrichSettings(
        enabled=False if no_enrich else env.enabled,
        mmdb=tuple(mmdb) or env.mmdb,
        ip2region=ip2region or env.ip2region,
        isp_overrides=isp_overrides or env.isp_overrides,
        cache_size=env.cache_size,
    )


def _address(
    _ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]
) -> list[IPAddress]:
    out: list[IPAddress] = []
    for value in values:
        try:
            out.append(ip_address(value.strip().strip("[]")))
        except ValueError:
            raise click.BadParameter(f"{value!r} is not an IPv4 or IPv6 address") from None
    return out


@click.command("lookup")
@click.argument("ips", nargs=-1, required=True, metavar="IP...", callback=_address)
@_database_options
@click.option("--json", "as_json", is_flag=True, help="One JSON object per address.")
def lookup_command(
    ips: list[IPAddress],
    mmdb: tuple[Path, ...],
    ip2region: Path | None,
    isp_overrides: Path | None,
    as_json: bool,
) -> None:
    """Show what each enrichment layer says about IP, and the merged answer events get."""
    environ = {k: v for k, v in os.environ.items() if k != ENV_ENABLED}  # lookup always enriches
    settings = settings_from_options(
        mmdb=mmdb, ip2region=ip2region, isp_overrides=isp_overrides, environ=environ
    )
    resolver = build_resolver(settings)
    assert resolver is not None
    for ip in ips:
        layers = resolver.explain(ip)
        final = resolver.lookup(ip)
        if as_json:
            doc = {
                "ip": str(ip),
                "providers": [{"provider": name, "answer": _fields(info)} for name, info in layers],
                "result": _fields(final),
            }
            click.echo(json.dumps(doc, ensure_ascii=False))
            continue
        mapped = ip.ipv4_mapped if isinstance(ip, IPv6Address) else None
        click.echo(f"{ip} (= {mapped})" if mapped else str(ip))
        width = max(len(name) for name, _ in layers)
        for name, info in layers:
            click.echo(f"  {name:<{width}}  {_line(info) if info else '-'}")
        click.echo(f"  {'=> result':<{width}}  {_line(final)}")
        click.echo(f"  {'':<{width}}  source: {final.isp_source}")


def _fields(info: PeerInfo | None) -> dict[str, Any] | None:
    if info is None:
        return None
    return {k: v for k, v in asdict(info).items() if v is not None}


def _line(info: PeerInfo) -> str:
    parts = [info.isp_name + (f" ({info.isp_name_local})" if info.isp_name_local else "")]
    if info.as_number is not None:
        parts.append(f"AS{info.as_number}")
    if info.as_organization:
        parts.append(repr(info.as_organization))
    place = [p for p in (info.country_iso_code, info.region_name, info.city_name) if p]
    if place:
        parts.append("/".join(place))
    return "  ".join(parts)
