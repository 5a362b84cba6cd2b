"""Sockets whose zero-window probe (persist) timer runs, read from /proc/net/tcp and tcp6.

Each row is printed by `get_tcp4_sock()` / `get_tcp6_sock()` (net/ipv4/tcp_ipv4.c,
net/ipv6/tcp_ipv6.c): `tr` is 4 (ICSK_TIME_PROBE0) while the peer advertises a zero window and
we still hold data for it; `tx_queue` is `write_seq - snd_una` (bytes not yet acknowledged), and
the column headed `timeout` is `icsk_probes_out` (probes sent without an answer).
Addresses are the kernel's 32-bit words printed with %08X in host byte order.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address
from pathlib import Path

PERSIST_TIMER = "04"

# ` 04:` occurs in a row only as its timer column (addresses and queues are 8 or 32 hex digits
# before a colon, `sl` is space padded), so a table of 100k idle sockets costs one literal search
# (re's is several times faster than bytes.find here) and no per-row Python work; only the rows
# found are matched. Groups: local addr, local
# port, peer addr, peer port, state, tx_queue, rx_queue, retransmits, uid, probes, inode.
_MARK = re.compile(re.escape(b" " + PERSIST_TIMER.encode() + b":"))
_ROW = re.compile(
    rb" *\d+: ([0-9A-F]{8}|[0-9A-F]{32}):([0-9A-F]{4}) ([0-9A-F]{8}|[0-9A-F]{32}):([0-9A-F]{4}) "
    rb"([0-9A-F]{2}) ([0-9A-F]{8}):([0-9A-F]{8}) " + PERSIST_TIMER.encode() + rb":[0-9A-F]+ "
    rb"([0-9A-F]{8}) +(\d+) +(\d+) +(\d+)"
)
_BYTE_ORDER = sys.byteorder  # the words are printed as host-endian integers


ConnectionKey = tuple[IPv4Address | IPv6Address, int, IPv4Address | IPv6Address, int, int]


@dataclass(frozen=True, slots=True)
class ZeroWindowSocket:
    """One connection held at zero window by its peer, as the socket table shows it."""

    local_ip: IPv4Address | IPv6Address
    local_port: int
    peer_ip: IPv4Address | IPv6Address
    peer_port: int
    bytes_queued: int  # tx_queue
    probes: int  # icsk_probes_out
    inode: int
    uid: int
    table: str  # "tcp" or "tcp6": the /proc/net table it was read from
    row: str  # the table's row as printed, for event.original

    @property
    def key(self) -> ConnectionKey:
        """What tells one connection from another across samples."""
        return (self.local_ip, self.local_port, self.peer_ip, self.peer_port, self.inode)


def decode_address(text: bytes) -> IPv4Address | IPv6Address:
    """The kernel's hex words to an address; a v4-mapped IPv6 peer becomes plain IPv4."""
    if len(text) == 8:
        return IPv4Address(int(text, 16).to_bytes(4, _BYTE_ORDER))
    packed = b"".join(int(text[i : i + 8], 16).to_bytes(4, _BYTE_ORDER) for i in range(0, 32, 8))
    address = IPv6Address(packed)
    return address.ipv4_mapped or address


def parse_table(data: bytes, table: str = "tcp") -> list[ZeroWindowSocket]:
    """The rows of one /proc/net/tcp or tcp6 text whose persist timer runs."""
    out = []
    for hit in _MARK.finditer(data):
        start = data.rfind(b"\n", 0, hit.start()) + 1
        end = data.find(b"\n", hit.end())
        row = data[start : len(data) if end < 0 else end]
        m = _ROW.match(row)
        if m is None:
            continue
        out.append(
            ZeroWindowSocket(
                local_ip=decode_address(m[1]),
                local_port=int(m[2], 16),
                peer_ip=decode_address(m[3]),
                peer_port=int(m[4], 16),
                bytes_queued=int(m[6], 16),
                probes=int(m[10]),
                inode=int(m[11]),
                uid=int(m[9]),
                table=table,
                row=row.decode("ascii", "replace").strip(),
            )
        )
    return out


def scan(net_dir: Path) -> list[ZeroWindowSocket]:
    """Both tables of one network namespace's /proc/net (a missing tcp6: IPv6 is off)."""
    found: list[ZeroWindowSocket] = []
    for name in ("tcp", "tcp6"):
        try:
            data = (net_dir / name).read_bytes()
        except FileNotFoundError:
            continue
        found.extend(parse_table(data, name))
    return found
