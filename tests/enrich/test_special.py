"""Special-purpose ranges are answered before (and instead of) any database."""

from __future__ import annotations

from ipaddress import ip_address

import pytest

from pipeline.enrich import IspResolver
from pipeline.enrich.special import SpecialRanges


@pytest.mark.parametrize(
    ("address", "isp", "what"),
    [
        ("10.1.2.3", "private", "RFC 1918"),
        ("172.31.255.1", "private", "RFC 1918"),
        ("192.168.1.1", "private", "RFC 1918"),
        ("100.64.1.1", "CGNAT", "carrier-grade NAT"),
        ("127.0.0.1", "private", "loopback"),
        ("169.254.10.1", "private", "link-local"),
        ("fd12:3456::1", "private", "unique local"),
        ("fe80::1", "private", "link-local"),
        ("::1", "private", "loopback"),
        ("2001:db8::1", "reserved", "documentation"),
        ("192.0.2.7", "reserved", "documentation"),
        ("203.0.113.9", "reserved", "documentation"),
        ("224.0.0.251", "reserved", "multicast"),
        ("ff02::1", "reserved", "multicast"),
        ("0.0.0.0", "reserved", "unspecified"),
        ("::", "reserved", "unspecified"),
        ("255.255.255.255", "reserved", "broadcast"),
    ],
)
def test_special_address_gets_its_class_and_no_database_fields(
    bundled: IspResolver, address: str, isp: str, what: str
) -> None:
    info = bundled.lookup(ip_address(address))
    assert info.isp_name == isp
    assert what in info.isp_source
    assert info.as_number is None and info.as_organization is None
    assert info.country_iso_code is None


def test_mapped_private_address_is_private(bundled: IspResolver) -> None:
    assert bundled.lookup(ip_address("::ffff:10.1.2.3")).isp_name == "private"


def test_public_addresses_are_not_special() -> None:
    special = SpecialRanges()
    for address in ("202.106.38.7", "100.128.0.1", "2409:8000::1", "172.32.0.1"):
        assert special.answer(ip_address(address)) is None
