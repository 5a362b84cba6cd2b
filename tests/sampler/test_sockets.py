"""Reading the socket table: rows captured from this kernel's /proc/net/tcp and tcp6 while a
loopback receiver had stopped reading (tests/data/sampler/)."""

from __future__ import annotations

from ipaddress import ip_address
from pathlib import Path

from pipeline.sampler.sockets import decode_address, parse_table, scan

DATA = Path(__file__).resolve().parents[1] / "data/sampler"


def test_only_sockets_at_the_persist_timer_are_reported() -> None:
    rows = parse_table((DATA / "tcp").read_bytes(), "tcp")
    # Five rows: two listeners, the receiver, a TIME-WAIT socket, and the blocked sender.
    assert len(rows) == 1
    sender = rows[0]
    assert (str(sender.local_ip), sender.local_port) == ("127.0.0.1", 0x87A4)
    assert (str(sender.peer_ip), sender.peer_port) == ("127.0.0.1", 0xA9FD)
    assert sender.bytes_queued == 0x2AC800
    assert sender.probes == 1
    assert sender.inode == 34030
    assert sender.row.startswith("3: 0100007F:87A4")


def test_ipv6_rows_and_v4_mapped_peers() -> None:
    rows = parse_table((DATA / "tcp6").read_bytes(), "tcp6")
    peers = sorted((str(r.peer_ip), r.peer_port, r.local_port) for r in rows)
    # A v4-mapped peer of a dual-stack socket is reported as the IPv4 address it is.
    assert peers == [("127.0.0.1", 0x803F, 0xA112), ("::1", 0x88DD, 0x9DBE)]
    assert {r.table for r in rows} == {"tcp6"}


def test_addresses_are_host_order_words() -> None:
    assert decode_address(b"0100007F") == ip_address("127.0.0.1")
    assert decode_address(b"00000000000000000000000001000000") == ip_address("::1")
    assert decode_address(b"B80D01200000000000000000" + b"01000000") == ip_address("2001:db8::1")


def test_scan_reads_both_tables_and_tolerates_a_missing_tcp6(tmp_path: Path) -> None:
    (tmp_path / "tcp").write_bytes((DATA / "tcp").read_bytes())
    assert len(scan(tmp_path)) == 1
    (tmp_path / "tcp6").write_bytes((DATA / "tcp6").read_bytes())
    assert len(scan(tmp_path)) == 3
