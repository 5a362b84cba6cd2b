"""IP address forms shared by the catalog (reading a peer) and enrichment (looking it up)."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address


def unmapped_ip(address: IPv4Address | IPv6Address) -> IPv4Address | IPv6Address:
    """::ffff:a.b.c.d is the IPv4 peer a.b.c.d seen through a dual-stack socket."""
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address
