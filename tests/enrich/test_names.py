"""The canonical ISP table: AS numbers and organisation words -> one name per network."""

from __future__ import annotations

import csv

import pytest

from pipeline.enrich.names import TABLE, load


def test_every_row_of_the_table_names_its_source() -> None:
    text = TABLE.read_text("utf-8")
    rows = list(csv.DictReader(text.splitlines()))
    assert len(rows) > 100
    for row in rows:
        assert row["match"] in {"asn", "org"}, row
        assert row["name"] and row["source"], row
        if row["match"] == "asn":
            assert row["value"].isdigit(), row
    asns = [r["value"] for r in rows if r["match"] == "asn"]
    assert len(asns) == len(set(asns)), "an AS number listed twice"


@pytest.mark.parametrize(
    ("asn", "name", "local"),
    [
        (4837, "China Unicom", "中国联通"),
        (4808, "China Unicom", "中国联通"),
        (9929, "China Unicom", "中国联通"),
        (17621, "China Unicom", "中国联通"),
        (4134, "China Telecom", "中国电信"),
        (4809, "China Telecom", "中国电信"),
        (23764, "China Telecom", "中国电信"),
        (4812, "China Telecom", "中国电信"),
        (9808, "China Mobile", "中国移动"),
        (56040, "China Mobile", "中国移动"),
        (58453, "China Mobile", "中国移动"),
        (4538, "CERNET", "中国教育和科研计算机网"),
        (7922, "Comcast", None),
        (7018, "AT&T", None),
        (701, "Verizon", None),
        (3320, "Deutsche Telekom", "Deutsche Telekom"),
        (2914, "NTT", "NTT"),
    ],
)
def test_known_as_numbers_map_to_their_canonical_isp(asn: int, name: str, local: str) -> None:
    known = load().canonical(asn, (), None)
    assert known is not None
    assert (known.name, known.name_local) == (name, local)


@pytest.mark.parametrize(
    ("organisation", "country", "name"),
    [
        ("China Unicom Shenzen network", "CN", "China Unicom"),
        ("UNICOM InnerMongolia province network", "CN", "China Unicom"),
        ("CHINANET-BACKBONE", "CN", "China Telecom"),
        ("China Mobile Communicaitons Corporation", "CN", "China Mobile"),
        ("China Broadcast Henan Network Co., Ltd", "CN", "China Broadcasting Network"),
        ("COMCAST-7922", "US", "Comcast"),
        ("AT&T Services, Inc.", "US", "AT&T"),
        ("Deutsche Telekom AG", "DE", "Deutsche Telekom"),
        ("联通", "CN", "China Unicom"),
        ("铁通", "CN", "China Mobile"),
    ],
)
def test_organisation_words_map_to_their_canonical_isp(
    organisation: str, country: str, name: str
) -> None:
    known = load().canonical(None, (organisation,), country)
    assert known is not None and known.name == name


@pytest.mark.parametrize(
    ("organisation", "country"),
    [
        ("UNICOM NEW ZEALAND LIMITED", "NZ"),  # a word shared by an unrelated company abroad
        ("Millenicom Telekomunikasyon", "TR"),  # whole words only
        ("电信通", "CN"),  # Beijing's Dian-Xin-Tong is not China Telecom
    ],
)
def test_lookalike_names_are_not_mistaken_for_a_known_isp(organisation: str, country: str) -> None:
    assert load().canonical(None, (organisation,), country) is None


def test_as_number_decides_before_organisation_words() -> None:
    known = load().canonical(4134, ("China Unicom",), "CN")
    assert known is not None and known.name == "China Telecom"
