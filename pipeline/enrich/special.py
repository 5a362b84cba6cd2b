"""Special-purpose address ranges, answered without any database (IANA special registries)."""

from __future__ import annotations

from ipaddress import IPv4Network, IPv6Network, ip_network

from pipeline.enrich.answer import Answer, IPAddress

NAME = "special-purpose ranges"
PRIVATE = "private"  # not routed on the Internet, meaningful inside one network
RESERVED = "reserved"  # never a real peer: documentation, multicast, unspecified, future use
# Shared address space: the peer sits behind a carrier's NAT (often a mobile network), which is
# the answer an operator needs, so it gets its own name rather than "private".
CGNAT = "CGNAT"

# (range, isp name, what it is); first match wins, so narrower ranges come before wider ones.
RANGES: tuple[tuple[str, str, str], ...] = (
    ("0.0.0.0/32", RESERVED, "unspecified (RFC 1122)"),
    ("0.0.0.0/8", RESERVED, "this network (RFC 1122)"),
    ("10.0.0.0/8", PRIVATE, "private (RFC 1918)"),
    ("100.64.0.0/10", CGNAT, "carrier-grade NAT shared address space (RFC 6598)"),
    ("127.0.0.0/8", PRIVATE, "loopback (RFC 1122)"),
    ("169.254.0.0/16", PRIVATE, "link-local (RFC 3927)"),
    ("172.16.0.0/12", PRIVATE, "private (RFC 1918)"),
    ("192.0.0.0/24", RESERVED, "IETF protocol assignments (RFC 6890)"),
    ("192.0.2.0/24", RESERVED, "documentation TEST-NET-1 (RFC 5737)"),
    ("192.168.0.0/16", PRIVATE, "private (RFC 1918)"),
    ("198.18.0.0/15", RESERVED, "benchmarking (RFC 2544)"),
    ("198.51.100.0/24", RESERVED, "documentation TEST-NET-2 (RFC 5737)"),
    ("203.0.113.0/24", RESERVED, "documentation TEST-NET-3 (RFC 5737)"),
    ("224.0.0.0/4", RESERVED, "multicast (RFC 5771)"),
    ("255.255.255.255/32", RESERVED, "limited broadcast (RFC 919)"),
    ("240.0.0.0/4", RESERVED, "reserved for future use (RFC 1112)"),
    ("::/128", RESERVED, "unspecified (RFC 4291)"),
    ("::1/128", PRIVATE, "loopback (RFC 4291)"),
    ("100::/64", RESERVED, "discard-only (RFC 6666)"),
    ("2001:db8::/32", RESERVED, "documentation (RFC 3849)"),
    ("3fff::/20", RESERVED, "documentation (RFC 9637)"),
    ("fc00::/7", PRIVATE, "unique local (RFC 4193)"),
    ("fe80::/10", PRIVATE, "link-local (RFC 4291)"),
    ("ff00::/8", RESERVED, "multicast (RFC 4291)"),
)


class SpecialRanges:
    """Private, CGNAT, loopback, link-local, documentation, multicast, unspecified."""

    name = NAME

    def __init__(self) -> None:
        self._ranges: list[tuple[IPv4Network | IPv6Network, Answer]] = [
            (ip_network(cidr), Answer(f"{NAME}: {what}", isp_name=isp, final=True))
            for cidr, isp, what in RANGES
        ]

    def answer(self, ip: IPAddress) -> Answer | None:
        for network, answer in self._ranges:
            if network.version == ip.version and ip in network:
                return answer
        return None
