"""The offline default: AS number, AS organisation and country for any public address, from
data shipped inside the package (pipeline/data/ipdata.bin, memory-mapped; no download).

Built by scripts/build_bundled_data.py from the ip-location-db project's `asn` (RouteViews and
DB-IP IP to ASN Lite, CC BY 4.0) and `geo-whois-asn-country` (CC0) packages; docs/ENRICHMENT.md
says how old it is and how to refresh it or bring production databases instead.
"""

from __future__ import annotations

import functools
from pathlib import Path

from pipeline.enrich.answer import Answer, IPAddress
from pipeline.enrich.ipdata import IpData, IpDataError
from pipeline.errors import DatabaseError

DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "ipdata.bin"
KIND = "ktcp's bundled IP data (reinstall ktcp, or rebuild it with scripts/build_bundled_data.py)"


@functools.cache
def _open(path: Path = DATA_FILE) -> tuple[IpData, str]:
    """One mapping per process, shared by every resolver."""
    try:
        data = IpData(path)
    except (OSError, IpDataError, ValueError) as exc:
        raise DatabaseError(f"{path}: cannot open {KIND}: {exc}") from exc
    return data, f"bundled ip-location-db {data.meta.get('date', '?')}"


class BundledDatabase:
    """The last layer: answers for any routed address, with no configuration."""

    name = "bundled ip-location-db"

    def __init__(self) -> None:
        self._data, self._source = _open()

    @property
    def attribution(self) -> str:
        return str(self._data.meta.get("attribution", ""))

    def answer(self, ip: IPAddress) -> Answer | None:
        record = self._data.lookup(ip)
        if record is None:
            return None
        return Answer(
            self._source,
            as_number=record.as_number,
            as_organization=record.as_organization,
            country_iso_code=record.country,
        )
