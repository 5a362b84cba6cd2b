"""The offline default: geoip2fast's bundled GeoLite2 country + ASN-organisation data.

The data file carries each network's country and AS organisation name but no AS number. Where
an organisation name belongs to exactly one AS (pipeline/data/as_organizations.csv, each row with
its registry record), the number is taken from that table and the source says so; any other
answer has no source.as.number (nothing is guessed).
"""

from __future__ import annotations

import csv
import functools
import os
from pathlib import Path
from typing import Any

import geoip2fast
from geoip2fast import GeoIP2Fast

from pipeline.enrich.answer import Answer, IPAddress, country_code, text
from pipeline.errors import DatabaseError

DATA_FILE = "geoip2fast-asn-ipv6.dat.gz"  # country + ASN organisation, IPv4 and IPv6
KIND = "geoip2fast's bundled data file"
NO_ORGANIZATION = frozenset({"<unknown>", "IANA.ORG"})
AS_BY_ORGANIZATION = Path(__file__).resolve().parent.parent / "data" / "as_organizations.csv"


def _org_key(name: str) -> str:
    return " ".join("".join(c if c.isalnum() else " " for c in name.casefold()).split())


@functools.cache
def _as_numbers() -> dict[str, int]:
    """Organisation names that identify a single AS -> its number."""
    with AS_BY_ORGANIZATION.open(encoding="utf-8", newline="") as rows:
        return {_org_key(r["as_organization"]): int(r["as_number"]) for r in csv.DictReader(rows)}


@functools.cache
def _load() -> tuple[Any, str]:
    """One copy per process: geoip2fast keeps its tables in module globals anyway."""
    path = os.path.join(os.path.dirname(geoip2fast.__file__), DATA_FILE)
    try:
        reader = GeoIP2Fast(geoip2fast_data_file=path)
    except Exception as exc:  # geoip2fast wraps every failure in its own GeoIPError
        raise DatabaseError(f"{path}: cannot load {KIND} (reinstall geoip2fast): {exc}") from exc
    info = str(reader.get_database_info().get("source_info", ""))
    # "MAXMIND:GeoLite2-CountryASN-IPv4IPv6-en-20240618" -> "GeoLite2-CountryASN 2024-06-18"
    parts = info.removeprefix("MAXMIND:").split("-")
    stamp = parts[-1]
    edition = "-".join(parts[:2]) if len(parts) > 2 else info
    date = f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:]}" if stamp.isdigit() and len(stamp) == 8 else "?"
    return reader, f"geoip2fast {geoip2fast.__version__} {edition} {date}"


class BundledDatabase:
    """Country and AS organisation for any public address, with no download."""

    name = "bundled geoip2fast"

    def __init__(self) -> None:
        self._reader, self._source = _load()

    def answer(self, ip: IPAddress) -> Answer | None:
        found = self._reader.lookup(str(ip))
        if found.is_private:  # geoip2fast's own reserved table; ours answered before this
            return None
        organization = text(found.asn_name)
        if organization in NO_ORGANIZATION:
            organization = None
        as_number = _as_numbers().get(_org_key(organization)) if organization else None
        source = self._source
        if as_number is not None:
            source = f"{source} (AS number by organisation name: {AS_BY_ORGANIZATION.name})"
        answer = Answer(
            source,
            as_number=as_number,
            as_organization=organization,
            country_iso_code=country_code(found.country_code),
        )
        return answer if answer != Answer(source) else None
