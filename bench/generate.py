"""Generate a realistic mixed kernel log: ordinary kernel noise with a share of TCP lines."""

from __future__ import annotations

import argparse
import random
from collections.abc import Callable
from pathlib import Path

NOISE = (
    'audit: type=1400 audit({t}:{n}): apparmor="DENIED" operation="open" profile="snap.x" '
    'name="/proc/{n}/mounts" pid={n} comm="x" requested_mask="r" denied_mask="r"',
    "[UFW BLOCK] IN=ens3 OUT= MAC=52:54:00:12:34:56:52:54:00:ab:cd:ef:08:00 SRC=45.155.{a}.{b} "
    "DST=10.0.0.5 LEN=40 TOS=0x00 PREC=0x00 TTL=241 ID={n} PROTO=UDP SPT={p} DPT=3389 LEN=20",
    "e1000e 0000:00:1f.6 eno1: NIC Link is Up 1000 Mbps Full Duplex, Flow Control: Rx/Tx",
    "EXT4-fs (vda1): mounted filesystem with ordered data mode. Opts: (null). Quota mode: none.",
    "usb 1-1.{a}: new high-speed USB device number {b} using ehci-pci",
    "perf: interrupt took too long ({n} > 2500), lowering kernel.perf_event_max_sample_rate",
    "systemd-journald[{n}]: Data hash table of /var/log/journal/x.journal has a fill level at 75.0",
    "kauditd_printk_skb: {b} callbacks suppressed",
    "br-1a2b3c: port {a}(veth{n}) entered forwarding state",
    "Out of memory: Killed process {n} (java) total-vm:12345678kB, anon-rss:8765432kB",
)


def _random_peer(rng: random.Random) -> str:
    first = rng.choice((202, 221, 113, 183, 36, 61))
    return f"{first}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"


# Real logs repeat a few thousand peers (a stuck client prints again at each timer expiry).
_PEERS = [_random_peer(random.Random(i)) for i in range(5000)]


def _ip(rng: random.Random) -> str:
    return (
        _PEERS[min(int(rng.paretovariate(1.2)) - 1, len(_PEERS) - 1)]
        if rng.random() < 0.8
        else (rng.choice(_PEERS))
    )


TCP: tuple[Callable[[random.Random], str], ...] = (
    lambda r: (
        f"TCP: Treason uncloaked! Peer {_ip(r)}:{r.randrange(1024, 65536)}/80 shrinks "
        f"window {(s := r.randrange(2**32))}:{(s + r.randrange(1, 3000)) % 2**32}. Repaired."
    ),
    lambda r: (
        f"Peer {_ip(r)}:{r.randrange(1024, 65536)}/443 unexpectedly shrunk window "
        f"{(s := r.randrange(2**32))}:{(s + 1) % 2**32} (repaired)"
    ),
    lambda r: (
        f"TCP: request_sock_TCP: Possible SYN flooding on port 0.0.0.0:{r.choice((80, 443))}"
        ". Sending cookies."
    ),
    lambda r: "TCP: too many orphaned sockets",
    lambda r: "nf_conntrack: nf_conntrack: table full, dropping packet",
    lambda r: f"net_ratelimit: {r.randrange(1, 5000)} callbacks suppressed",
    lambda r: f"TCP: drop open request from {_ip(r)}/{r.randrange(1024, 65536)}",
)


def generate(path: Path, lines: int, tcp_share: float, seed: int = 7, rfc3339: bool = False) -> int:
    """Write `lines` syslog kern.log lines; returns how many are TCP-family lines.

    `rfc3339`: rsyslog's RSYSLOG_FileFormat header (`2026-11-24T10:16:40.123456+08:00`, the
    default of recent Ubuntu releases) instead of the traditional `Nov 24 10:16:40`."""
    rng = random.Random(seed)
    tcp = 0
    uptime = 1000.0
    with path.open("w", encoding="utf-8") as out:
        for i in range(lines):
            uptime += rng.random() / 10
            minute, second = divmod(int(uptime) % 3600, 60)
            hour = 10 + int(uptime) // 3600 % 12
            if rfc3339:
                micro = int(uptime * 1_000_000) % 1_000_000
                when = f"2026-11-24T{hour:02d}:{minute:02d}:{second:02d}.{micro:06d}+08:00"
            else:
                when = f"Nov 24 {hour:02d}:{minute:02d}:{second:02d}"
            stamp = f"{when} web1 kernel: [{uptime:12.6f}] "
            if rng.random() < tcp_share:
                tcp += 1
                text = rng.choice(TCP)(rng)
            else:
                text = rng.choice(NOISE).format(
                    t=1700000000 + i,
                    n=rng.randrange(100000),
                    a=rng.randrange(256),
                    b=rng.randrange(256),
                    p=rng.randrange(65536),
                )
            out.write(stamp + text + "\n")
    return tcp


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("path", type=Path)
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--tcp-share", type=float, default=0.02)
    ap.add_argument("--rfc3339", action="store_true", help="RSYSLOG_FileFormat time stamps")
    args = ap.parse_args()
    tcp = generate(args.path, args.lines, args.tcp_share, rfc3339=args.rfc3339)
    print(f"wrote {args.lines:,} lines ({tcp:,} TCP) to {args.path}")


if __name__ == "__main__":
    main()
