"""MaxMind DB files (GeoLite2-ASN, GeoIP2-ISP, GeoLite2-City/Country), memory-mapped."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import maxminddb
from maxminddb.errors import InvalidDatabaseError

from pipeline.enrich.answer import Answer, IPAddress, country_code, require_file, text
from pipeline.errors import DatabaseError

KIND = "a MaxMind DB file (.mmdb: GeoLite2-ASN, GeoIP2-ISP, GeoLite2-City or -Country)"


class MaxMindDatabase:
    """One .mmdb file; the record layout decides which fields it can fill."""

    def __init__(self, path: Path) -> None:
        self.path = path
        require_file(path, KIND)
        try:
            # MODE_AUTO: the C reader over mmap where it is built, else the pure-Python mmap one.
            self._reader = maxminddb.open_database(str(path), maxminddb.MODE_AUTO)
            meta = self._reader.metadata()
        except (InvalidDatabaseError, ValueError) as exc:
            raise DatabaseError(f"{path}: not {KIND}: {exc}") from exc
        except OSError as exc:
            raise DatabaseError(f"{path}: cannot read {KIND}: {exc.strerror or exc}") from exc
        built = datetime.fromtimestamp(meta.build_epoch, UTC).date().isoformat()
        self.name = f"{meta.database_type} {path.name}"
        self._source = f"{meta.database_type} {built}"
        self._ipv4_only = meta.ip_version == 4
        self._probe()

    def _probe(self) -> None:
        """A corrupt search tree or data section shows on the first lookups: fail at start."""
        try:
            for address in ("1.1.1.1", "202.106.38.7", "8.8.8.8"):
                self._reader.get(address)
        except (InvalidDatabaseError, ValueError) as exc:
            raise DatabaseError(f"{self.path}: corrupt {KIND}: {exc}") from exc

    def answer(self, ip: IPAddress) -> Answer | None:
        if self._ipv4_only and ip.version == 6:
            return None
        try:
            record = self._reader.get(ip)
        except (InvalidDatabaseError, ValueError):
            return None  # a damaged record deep in the file: this layer just does not know
        if not isinstance(record, dict):
            return None
        return self._read(record)

    def _read(self, record: dict[str, Any]) -> Answer | None:
        as_number = record.get("autonomous_system_number")
        if not isinstance(as_number, int) or isinstance(as_number, bool):
            as_number = None
        country = _get(record, "country", "iso_code") or _get(
            record, "registered_country", "iso_code"
        )
        subdivisions = record.get("subdivisions")
        region = None
        if isinstance(subdivisions, list) and subdivisions:
            region = _name(subdivisions[0])
        answer = Answer(
            self._source,
            isp_hint=text(record.get("isp")) or text(record.get("organization")),
            as_number=as_number,
            as_organization=text(record.get("autonomous_system_organization")),
            country_iso_code=country_code(country),
            region_name=region,
            city_name=_name(record.get("city")),
        )
        return answer if answer != Answer(self._source) else None

    def close(self) -> None:
        self._reader.close()


def _get(record: dict[str, Any], key: str, field: str) -> object:
    inner = record.get(key)
    return inner.get(field) if isinstance(inner, dict) else None


def _name(place: object) -> str | None:
    """The English name of a City/Country record's place ({"names": {"en": ...}})."""
    names = place.get("names") if isinstance(place, dict) else None
    return text(names.get("en")) if isinstance(names, dict) else None
