"""`ktcp lookup`: what each enrichment layer says about an address, and the merged answer."""

from __future__ import annotations

import json
from dataclasses import asdict
from ipaddress import IPv6Address, ip_address
from typing import Any

import click

from pipeline.commands.options import database_options, enrich_settings_from_options
from pipeline.enrich import build_resolver
from pipeline.enrich.answer import IPAddress
from pipeline.records import PeerInfo


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
@database_options
@click.option("--json", "as_json", is_flag=True, help="One JSON object per address.")
def lookup_command(ips: list[IPAddress], as_json: bool, **databases: Any) -> None:
    """Show what each enrichment layer says about IP, and the merged answer events get."""
    resolver = build_resolver(enrich_settings_from_options(databases))  # lookup always enriches
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
