"""The user's CIDR table: internal networks and known partners, asked before any database."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path

from pipeline.enrich.answer import Answer, IPAddress, country_code, text
from pipeline.errors import DatabaseError

KIND = "an ISP overrides CSV with header cidr,isp[,isp_local,as_number,as_organization,country]"
REQUIRED = ("cidr", "isp")


class IspOverrides:
    """Longest-prefix match over the rows of one CSV file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = f"overrides {path.name}"
        self._tables: dict[int, list[tuple[int, dict[int, Answer]]]] = {4: [], 6: []}
        rows = _read_rows(path)
        stamp = datetime.fromtimestamp(path.stat().st_mtime, UTC).date().isoformat()
        source = f"overrides {path.name} {stamp}"
        by_length: dict[tuple[int, int], dict[int, Answer]] = {}
        for network, answer in (_parse(path, n, row, source) for n, row in rows):
            bits = network.max_prefixlen - network.prefixlen
            table = by_length.setdefault((network.version, network.prefixlen), {})
            # The first row for a network wins, as in the layering of providers.
            table.setdefault(int(network.network_address) >> bits, answer)
        for (version, length), table in sorted(by_length.items(), key=lambda kv: -kv[0][1]):
            self._tables[version].append((length, table))

    def answer(self, ip: IPAddress) -> Answer | None:
        value = int(ip)
        width = ip.max_prefixlen
        for length, table in self._tables[ip.version]:
            found = table.get(value >> (width - length))
            if found is not None:
                return found
        return None


def _read_rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            header = [h.strip().lower() for h in reader.fieldnames or []]
            missing = [c for c in REQUIRED if c not in header]
            if missing:
                raise DatabaseError(
                    f"{path}: not {KIND}: header lacks {', '.join(missing)} (found {header})"
                )
            reader.fieldnames = header
            return [
                (reader.line_num, {k: (v or "").strip() for k, v in row.items() if k})
                for row in reader
                if any((v or "").strip() for v in row.values() if isinstance(v, str))
            ]
    except DatabaseError:
        raise
    except UnicodeDecodeError as exc:
        raise DatabaseError(f"{path}: not {KIND}: not UTF-8 text ({exc.reason})") from exc
    except (OSError, csv.Error) as exc:
        raise DatabaseError(f"{path}: cannot read {KIND}: {exc}") from exc


def _parse(
    path: Path, line: int, row: dict[str, str], source: str
) -> tuple[IPv4Network | IPv6Network, Answer]:
    where = f"{path}:{line}"
    try:
        network = ip_network(row["cidr"], strict=False)
    except ValueError as exc:
        raise DatabaseError(f"{where}: {row['cidr']!r} is not a CIDR such as 10.0.0.0/8") from exc
    isp = text(row.get("isp"))
    if isp is None:
        raise DatabaseError(f"{where}: the isp column is empty")
    as_number = None
    raw_as = row.get("as_number", "")
    if raw_as:
        digits = raw_as.upper().removeprefix("AS")
        if not digits.isdigit() or int(digits) >= 1 << 32:
            raise DatabaseError(f"{where}: {raw_as!r} is not an AS number such as AS4808")
        as_number = int(digits)
    country = None
    raw_country = row.get("country", "")
    if raw_country:
        country = country_code(raw_country)
        if country is None:
            raise DatabaseError(f"{where}: {raw_country!r} is not a two-letter country code")
    answer = Answer(
        source,
        isp_name=isp,
        isp_name_local=text(row.get("isp_local")),
        as_number=as_number,
        as_organization=text(row.get("as_organization")),
        country_iso_code=country,
    )
    return network, answer
