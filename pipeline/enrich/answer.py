"""What one provider says about an address, before the layers are merged."""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address
from pathlib import Path
from typing import Protocol

from pipeline.errors import DatabaseError

IPAddress = IPv4Address | IPv6Address


@dataclass(frozen=True, slots=True)
class Answer:
    """One provider's facts; None = this provider does not know (a lower layer may)."""

    source: str  # database and data date, for ktcp.isp.source
    isp_name: str | None = None  # a decided canonical name (overrides, special ranges)
    isp_name_local: str | None = None
    isp_hint: str | None = None  # raw ISP text to canonicalise (GeoIP2-ISP isp, ip2region ISP)
    as_number: int | None = None
    as_organization: str | None = None
    country_iso_code: str | None = None
    region_name: str | None = None
    city_name: str | None = None
    final: bool = False  # nothing below this layer may add facts (special ranges)


class Provider(Protocol):
    """A layer of enrichment: opened once, then asked per address."""

    @property
    def name(self) -> str: ...

    def answer(self, ip: IPAddress) -> Answer | None: ...


def country_code(value: object) -> str | None:
    """An ISO 3166 alpha-2 code, or None for anything else (placeholders such as '--')."""
    if isinstance(value, str) and len(value) == 2 and value.isascii() and value.isalpha():
        return value.upper()
    return None


def text(value: object) -> str | None:
    """A non-empty string, or None."""
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return None


def require_file(path: Path, kind: str) -> None:
    """A database path must be a regular file; say which file and what was expected if not."""
    if not path.is_file():
        reason = "is a directory" if path.is_dir() else "no such file"
        raise DatabaseError(f"{path}: {reason}; expected {kind}")
