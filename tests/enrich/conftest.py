"""Real database files for the enrichment tests, written the way their makers write them."""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable
from ipaddress import IPv4Address, IPv6Address, ip_address
from pathlib import Path
from typing import Any

import pytest
from mmdb_writer import MMDBWriter
from netaddr import IPSet

from pipeline.enrich import EnrichSettings, IspResolver, build_resolver

DATA = Path(__file__).resolve().parents[1] / "data" / "enrich"

# ip2region xdb layout (ip2region/maker): 256-byte header, 256x256 vector index of
# (first, one-past-last) segment-index pointers keyed by the address's first two bytes,
# region strings, then the sorted segment index.
HEADER_BYTES = 256
VECTOR_BYTES = 256 * 256 * 8
UNKNOWN_REGION = "0|0|0|0|0"


def write_xdb(
    path: Path,
    segments: Iterable[tuple[str, str, str]],
    *,
    structure: int = 3,
    created: int = 1_718_668_800,  # 2024-06-18
) -> Path:
    """An xdb file holding (first address, last address, region) segments."""
    given = sorted((ip_address(a), ip_address(b), region) for a, b, region in segments)
    v6 = isinstance(given[0][0], IPv6Address)
    rows = _cover_everything(given, IPv6Address if v6 else IPv4Address)
    entry_bytes = 38 if v6 else 14
    regions: dict[str, int] = {}
    data = bytearray()
    base = HEADER_BYTES + VECTOR_BYTES
    for _, _, region in rows:
        if region not in regions:
            regions[region] = base + len(data)
            data += region.encode("utf-8")
    index = bytearray()
    vector = bytearray(VECTOR_BYTES)
    index_start = base + len(data)
    for first, last, region in rows:
        for lo, hi in _split_by_vector_cell(first, last):
            ptr = index_start + len(index)
            encoded = region.encode("utf-8")
            if v6:
                index += lo.packed + hi.packed + struct.pack("<HI", len(encoded), regions[region])
            else:
                index += struct.pack("<IIHI", int(lo), int(hi), len(encoded), regions[region])
            cell = (lo.packed[0] * 256 + lo.packed[1]) * 8
            if struct.unpack_from("<I", vector, cell)[0] == 0:
                struct.pack_into("<I", vector, cell, ptr)
            struct.pack_into("<I", vector, cell + 4, ptr + entry_bytes)
    last_ptr = index_start + len(index) - entry_bytes
    header = bytearray(HEADER_BYTES)
    ip_version = 6 if v6 else 4
    struct.pack_into("<HHIII", header, 0, structure, 1, created, index_start, last_ptr)
    if structure >= 3:
        struct.pack_into("<HH", header, 16, ip_version, 4)
    path.write_bytes(bytes(header) + bytes(vector) + bytes(data) + bytes(index))
    return path


def _cover_everything(
    rows: list[tuple[IPv4Address | IPv6Address, IPv4Address | IPv6Address, str]],
    cls: type[IPv4Address] | type[IPv6Address],
) -> list[tuple[IPv4Address | IPv6Address, IPv4Address | IPv6Address, str]]:
    """Like ip2region's own data, every address belongs to a segment (unknown = all zeros)."""
    out = []
    nxt = 0
    for first, last, region in rows:
        if int(first) > nxt:
            out.append((cls(nxt), cls(int(first) - 1), UNKNOWN_REGION))
        out.append((first, last, region))
        nxt = int(last) + 1
    top = (1 << (128 if cls is IPv6Address else 32)) - 1
    if nxt <= top:
        out.append((cls(nxt), cls(top), UNKNOWN_REGION))
    return out


def _split_by_vector_cell(
    first: IPv4Address | IPv6Address, last: IPv4Address | IPv6Address
) -> Iterable[tuple[IPv4Address | IPv6Address, IPv4Address | IPv6Address]]:
    """Segments never cross a change of the first two bytes (one vector cell each)."""
    cls = type(first)
    shift = first.max_prefixlen - 16
    lo = int(first)
    while lo <= int(last):
        cell_end = ((lo >> shift) << shift) + (1 << shift) - 1
        hi = min(cell_end, int(last))
        yield cls(lo), cls(hi)
        lo = hi + 1


def write_mmdb(
    path: Path,
    database_type: str,
    records: dict[str, dict[str, object]],
    ip_version: int = 6,
) -> Path:
    """An .mmdb file written by mmdb-writer with MaxMind's record layout."""
    writer = MMDBWriter(
        ip_version=ip_version,
        database_type=database_type,
        ipv4_compatible=ip_version == 6,
        int_type="u32",
        languages=["en"],
        description={"en": f"test {database_type}"},
    )
    for cidr, record in records.items():
        writer.insert_network(IPSet([cidr]), record)
    writer.to_db_file(str(path))
    return path


ASN_RECORDS: dict[str, dict[str, object]] = {
    "202.106.0.0/16": {
        "autonomous_system_number": 4808,
        "autonomous_system_organization": "China Unicom Beijing Province Network",
    },
    "202.99.64.0/18": {
        "autonomous_system_number": 4837,
        "autonomous_system_organization": "CHINA UNICOM China169 Backbone",
    },
    "61.128.0.0/10": {
        "autonomous_system_number": 4134,
        "autonomous_system_organization": "Chinanet",
    },
    "198.1.0.0/16": {
        "autonomous_system_number": 64999,
        "autonomous_system_organization": "Example Regional Carrier",
    },
    "2409:8000::/20": {
        "autonomous_system_number": 9808,
        "autonomous_system_organization": "China Mobile Communications Group Co., Ltd.",
    },
}


@pytest.fixture(scope="session")
def asn_mmdb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("mmdb") / "GeoLite2-ASN.mmdb"
    return write_mmdb(path, "GeoLite2-ASN", ASN_RECORDS)


@pytest.fixture(scope="session")
def isp_mmdb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """GeoIP2-ISP layout: AS fields plus isp and organization."""
    path = tmp_path_factory.mktemp("mmdb") / "GeoIP2-ISP.mmdb"
    records: dict[str, dict[str, object]] = {
        "202.106.0.0/16": {
            "autonomous_system_number": 4808,
            "autonomous_system_organization": "China Unicom Beijing Province Network",
            "isp": "China Unicom Beijing",
            "organization": "China Unicom Beijing",
        },
        "203.208.0.0/16": {
            "isp": "China Telecom",
            "organization": "Chinanet Guangdong",
        },
    }
    return write_mmdb(path, "GeoIP2-ISP", records)


@pytest.fixture(scope="session")
def city_mmdb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("mmdb") / "GeoLite2-City.mmdb"
    records: dict[str, dict[str, object]] = {
        "202.106.0.0/16": {
            "country": {"iso_code": "CN", "names": {"en": "China"}},
            "subdivisions": [{"iso_code": "BJ", "names": {"en": "Beijing"}}],
            "city": {"names": {"en": "Beijing"}},
        },
        "198.1.0.0/16": {
            "registered_country": {"iso_code": "US", "names": {"en": "United States"}},
        },
    }
    return write_mmdb(path, "GeoLite2-City", records)


@pytest.fixture(scope="session")
def xdb_v4(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ip2region 3.0 data: 国家|省份|城市|ISP|CC."""
    path = tmp_path_factory.mktemp("xdb") / "ip2region_v4.xdb"
    return write_xdb(
        path,
        [
            ("1.0.0.0", "1.0.0.255", "澳大利亚|0|0|0|AU"),
            ("202.106.0.0", "202.106.255.255", "中国|北京|北京市|联通|CN"),
            ("61.128.0.0", "61.191.255.255", "中国|重庆|重庆市|电信|CN"),
            ("203.208.0.0", "203.208.255.255", "中国|广东省|广州市|移动|CN"),
        ],
    )


@pytest.fixture(scope="session")
def bundled() -> IspResolver:
    """The default resolver (bundled data only); loading it once keeps the suite quick."""
    resolver = build_resolver(EnrichSettings())
    assert resolver is not None
    return resolver


@pytest.fixture()
def resolver_for() -> Callable[..., IspResolver]:
    def make(**settings: Any) -> IspResolver:
        resolver = build_resolver(EnrichSettings(**settings))
        assert resolver is not None
        return resolver

    return make


@pytest.fixture(scope="session")
def enrich_data() -> Path:
    """tests/data/enrich: the overrides tables and the broken files."""
    return DATA


@pytest.fixture(scope="session")
def make_xdb() -> Callable[..., Path]:
    return write_xdb


@pytest.fixture(scope="session")
def make_mmdb() -> Callable[..., Path]:
    return write_mmdb
