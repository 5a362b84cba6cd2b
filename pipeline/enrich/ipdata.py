"""The bundled offline data's file format: sorted segment starts, memory-mapped, searched with
the C `bisect` over typed memoryviews, so opening costs no parsing and a process touches (and
keeps resident) only the pages its lookups visit.

Layout, little-endian, every section 8-byte aligned, offsets in the header:
  header   magic, counts and section offsets (`_HEADER`)
  v4       n4 x u32 segment starts, n4 x u32 record index (`NO_RECORD`: nothing known)
  v6       n6 x u64 high halves, n6 x u64 low halves, n6 x u32 record index
  records  nrec x (u32 AS number or 0, u32 organisation offset, u16 length, 2 bytes country)
  strings  UTF-8 organisation names
  meta     JSON: source, date, attribution
scripts/build_bundled_data.py writes it.
"""

from __future__ import annotations

import json
import mmap
import struct
import sys
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address
from pathlib import Path
from typing import Any

MAGIC = b"KTCPIPD1"
NO_RECORD = 0xFFFFFFFF
_HEADER = struct.Struct("<8sIIIQQQQQQQQQ")  # magic, n4, n6, nrec, 9 section offsets
_RECORD = struct.Struct("<IIH2s")
_LOW64 = (1 << 64) - 1


class IpDataError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Record:
    as_number: int | None
    as_organization: str | None
    country: str | None


class IpData:
    """One ipdata.bin, memory-mapped read-only for the life of the process."""

    def __init__(self, path: Path) -> None:
        if sys.byteorder != "little":  # the typed views below read native order
            raise IpDataError("the bundled data format is little-endian; this machine is not")
        with path.open("rb") as f:
            self._map = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        view = memoryview(self._map)
        if len(view) < _HEADER.size or bytes(view[:8]) != MAGIC:
            raise IpDataError(f"{path}: not a ktcp ipdata file")
        _, n4, n6, nrec, v4s, v4r, v6h, v6l, v6r, recs, strs, meta, end = _HEADER.unpack_from(view)
        if end != len(view):
            raise IpDataError(f"{path}: truncated ({len(view)} bytes, header says {end})")
        self._v4_starts = view[v4s : v4s + 4 * n4].cast("I")
        self._v4_records = view[v4r : v4r + 4 * n4].cast("I")
        self._v6_high = view[v6h : v6h + 8 * n6].cast("Q")
        self._v6_low = view[v6l : v6l + 8 * n6].cast("Q")
        self._v6_records = view[v6r : v6r + 4 * n6].cast("I")
        self._records = view[recs : recs + _RECORD.size * nrec]
        self._strings = view[strs:meta]
        self.meta: dict[str, Any] = json.loads(bytes(view[meta:end]))

    def lookup(self, ip: IPv4Address | IPv6Address) -> Record | None:
        value = int(ip)
        if ip.version == 4:
            i = bisect_right(self._v4_starts, value) - 1
            index = self._v4_records[i] if i >= 0 else NO_RECORD
        else:
            high, low = value >> 64, value & _LOW64
            # Lexicographic (high, low): among the starts with this high half, search the low.
            first = bisect_left(self._v6_high, high)
            last = bisect_right(self._v6_high, high, first)
            i = (bisect_right(self._v6_low, low, first, last) if last > first else first) - 1
            index = self._v6_records[i] if i >= 0 else NO_RECORD
        return None if index == NO_RECORD else self._record(index)

    def _record(self, index: int) -> Record:
        number, offset, length, country = _RECORD.unpack_from(self._records, index * _RECORD.size)
        org = str(self._strings[offset : offset + length], "utf-8") if length else None
        return Record(number or None, org, country.decode("ascii") if country != b"\0\0" else None)


def write(
    path: Path,
    v4: Sequence[tuple[int, Record | None]],
    v6: Sequence[tuple[int, Record | None]],
    meta: dict[str, str],
) -> int:
    """Write segments (start, record or None for a gap), each list sorted by start."""
    records: dict[Record, int] = {}
    strings = bytearray()
    offsets: dict[str, tuple[int, int]] = {}
    packed = bytearray()

    def index(record: Record | None) -> int:
        if record is None:
            return NO_RECORD
        if record not in records:
            org = record.as_organization or ""
            if org not in offsets:
                data = org.encode("utf-8")
                offsets[org] = (len(strings), len(data))
                strings.extend(data)
            offset, length = offsets[org]
            country = (record.country or "").encode("ascii") or b"\0\0"
            packed.extend(_RECORD.pack(record.as_number or 0, offset, length, country))
            records[record] = len(records)
        return records[record]

    v4_index = [index(r) for _, r in v4]
    v6_index = [index(r) for _, r in v6]
    sections = [
        struct.pack(f"<{len(v4)}I", *(s for s, _ in v4)),
        struct.pack(f"<{len(v4)}I", *v4_index),
        struct.pack(f"<{len(v6)}Q", *(s >> 64 for s, _ in v6)),
        struct.pack(f"<{len(v6)}Q", *(s & _LOW64 for s, _ in v6)),
        struct.pack(f"<{len(v6)}I", *v6_index),
        bytes(packed),
        bytes(strings),
        json.dumps(meta, sort_keys=True).encode(),
    ]
    body = bytearray()
    starts = []
    position = _HEADER.size
    for section in sections:
        pad = -position % 8
        body.extend(b"\0" * pad)
        position += pad
        starts.append(position)
        body.extend(section)
        position += len(section)
    header = _HEADER.pack(MAGIC, len(v4), len(v6), len(records), *starts, position)
    path.write_bytes(header + bytes(body))
    return position
