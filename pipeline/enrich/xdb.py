"""ip2region xdb files: province, city and ISP of Chinese addresses, memory-mapped."""

from __future__ import annotations

import mmap
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

from ip2region import searcher as xdb_searcher
from ip2region import util as xdb_util

from pipeline.enrich.answer import Answer, IPAddress, country_code, require_file
from pipeline.errors import DatabaseError

KIND = "an ip2region xdb file (ip2region_v4.xdb / ip2region_v6.xdb, structure 2.0 or 3.0)"
UNKNOWN_FIELDS = frozenset({"", "0"})  # how ip2region writes "not known"
# ip2region 2.0 data names countries in Chinese and carries no ISO code.
COUNTRY_CODES = {"中国": "CN"}


class Ip2RegionDatabase:
    """One xdb file, mapped into memory and searched by ip2region's own reader."""

    def __init__(self, path: Path) -> None:
        self.path = path
        require_file(path, KIND)
        try:
            with path.open("rb") as handle:
                self._map = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        except ValueError as exc:  # mmap of an empty file
            raise DatabaseError(f"{path}: not {KIND}: the file is empty") from exc
        except OSError as exc:
            raise DatabaseError(f"{path}: cannot read {KIND}: {exc.strerror or exc}") from exc
        header = xdb_util.Header(self._map[: xdb_util.HeaderInfoLength])
        version = self._check(header)
        self.version = version.id
        created = datetime.fromtimestamp(header.createdAt, UTC).date().isoformat()
        self.name = f"ip2region {path.name}"
        self._source = f"ip2region xdb {created}"
        # The reader slices its buffer like bytes; an mmap slices the same way without a copy.
        self._searcher = xdb_searcher.new_with_buffer(version, cast(bytes, self._map))
        self._probe()

    def _check(self, header: xdb_util.Header) -> xdb_util.Version:
        size = len(self._map)
        index_start = xdb_util.HeaderInfoLength + xdb_util.VectorIndexLength
        if size <= index_start:
            raise DatabaseError(f"{self.path}: not {KIND}: only {size} bytes")
        if header.version not in (xdb_util.XdbStructure20, xdb_util.XdbStructure30):
            raise DatabaseError(f"{self.path}: not {KIND}: structure version {header.version}")
        version = xdb_util.version_from_header(header)
        if version is None:
            raise DatabaseError(f"{self.path}: not {KIND}: IP version id {header.ipVersion}")
        start, end = header.startIndexPtr, header.endIndexPtr
        if not (index_start <= start <= end < size) or (end - start) % version.index_size:
            raise DatabaseError(f"{self.path}: corrupt {KIND}: segment index {start}..{end}")
        return version

    def _probe(self) -> None:
        probe = "202.106.38.7" if self.version == xdb_util.XdbIPv4Id else "2400:da00::6666"
        try:
            self._searcher.search(probe)
        except (ValueError, IndexError, UnicodeDecodeError) as exc:
            raise DatabaseError(f"{self.path}: corrupt {KIND}: {exc}") from exc

    def answer(self, ip: IPAddress) -> Answer | None:
        if ip.version != self.version:
            return None
        try:
            region = self._searcher.search(ip.packed)
        except (ValueError, IndexError, UnicodeDecodeError):
            return None
        return parse_region(region, self._source)


def parse_region(region: str, source: str) -> Answer | None:
    """`国家|省份|城市|ISP|CC` (3.0 data) or `国家|区域|省份|城市|ISP` (2.0 data)."""
    parts = [p.strip() for p in region.split("|")]
    if len(parts) != 5:
        return None
    fields = [None if p in UNKNOWN_FIELDS else p for p in parts]
    if country_code(parts[4]) is not None:
        country_name, province, city, isp, code = fields
    else:
        country_name, _area, province, city, isp = fields
        code = COUNTRY_CODES.get(country_name or "")
    answer = Answer(
        source,
        isp_hint=isp,
        country_iso_code=country_code(code),
        region_name=province,
        city_name=city,
    )
    return answer if answer != Answer(source) else None
