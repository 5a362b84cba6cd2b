"""ip2region xdb files, written in ip2region's binary layout and read by its own searcher."""

from __future__ import annotations

from collections.abc import Callable
from ipaddress import ip_address
from pathlib import Path

import pytest

from pipeline.enrich import IspResolver
from pipeline.enrich.xdb import Ip2RegionDatabase, parse_region
from pipeline.errors import DatabaseError


def test_chinese_address_gets_province_city_and_isp(
    xdb_v4: Path, resolver_for: Callable[..., IspResolver]
) -> None:
    info = resolver_for(ip2region=xdb_v4).lookup(ip_address("61.150.3.3"))
    assert info.isp_name == "China Telecom"
    assert info.isp_name_local == "中国电信"
    assert (info.country_iso_code, info.region_name, info.city_name) == ("CN", "重庆", "重庆市")
    assert info.isp_source.startswith("ip2region xdb 2024-06-18")


def test_ip2region_isp_word_is_canonicalised(xdb_v4: Path) -> None:
    database = Ip2RegionDatabase(xdb_v4)
    found = database.answer(ip_address("203.208.9.9"))
    assert found is not None and found.isp_hint == "移动"


def test_address_in_an_unknown_segment_gets_no_answer(xdb_v4: Path) -> None:
    database = Ip2RegionDatabase(xdb_v4)
    assert database.answer(ip_address("8.8.8.8")) is None
    assert database.answer(ip_address("2409:8000::1")) is None  # an IPv4 file


def test_ipv6_xdb(tmp_path: Path, make_xdb: Callable[..., Path]) -> None:
    path = make_xdb(
        tmp_path / "ip2region_v6.xdb",
        [("2409:8000::", "2409:8fff:ffff:ffff:ffff:ffff:ffff:ffff", "中国|广东省|0|移动|CN")],
    )
    found = Ip2RegionDatabase(path).answer(ip_address("2409:8a55::1"))
    assert found is not None
    assert (found.region_name, found.city_name, found.isp_hint) == ("广东省", None, "移动")


def test_structure_2_file_and_its_region_layout(
    tmp_path: Path, make_xdb: Callable[..., Path]
) -> None:
    path = make_xdb(
        tmp_path / "ip2region.xdb",
        [("202.106.0.0", "202.106.255.255", "中国|0|北京|北京市|联通")],
        structure=2,
    )
    found = Ip2RegionDatabase(path).answer(ip_address("202.106.38.7"))
    assert found is not None
    assert (found.country_iso_code, found.region_name, found.isp_hint) == ("CN", "北京", "联通")


def test_placeholder_fields_are_left_out() -> None:
    found = parse_region("澳大利亚|0|0|0|AU", "src")
    assert found is not None
    assert (found.country_iso_code, found.region_name, found.isp_hint) == ("AU", None, None)
    assert parse_region("0|0|0|0|0", "src") is None
    assert parse_region("garbage", "src") is None


def test_missing_and_corrupt_files_are_clear_errors(tmp_path: Path, enrich_data: Path) -> None:
    with pytest.raises(DatabaseError, match=r"nope\.xdb: no such file; expected an ip2region"):
        Ip2RegionDatabase(tmp_path / "nope.xdb")
    with pytest.raises(DatabaseError, match=r"corrupt\.xdb: not an ip2region xdb file"):
        Ip2RegionDatabase(enrich_data / "corrupt.xdb")
    empty = tmp_path / "empty.xdb"
    empty.write_bytes(b"")
    with pytest.raises(DatabaseError, match="empty"):
        Ip2RegionDatabase(empty)


def test_damaged_index_pointers_are_refused(xdb_v4: Path, tmp_path: Path) -> None:
    damaged = tmp_path / "damaged.xdb"
    data = bytearray(xdb_v4.read_bytes())
    data[12:16] = (len(data) + 100).to_bytes(4, "little")  # end of index past the file
    damaged.write_bytes(bytes(data))
    with pytest.raises(DatabaseError, match="corrupt an ip2region xdb file"):
        Ip2RegionDatabase(damaged)
