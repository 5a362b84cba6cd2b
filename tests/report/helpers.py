"""Helpers of the report tests: the CLI run as a user runs it, and a corpus of known shape.

The corpus (`write_corpus`) has a known ISP, peer and episode structure; `CORPUS_*` below are
the numbers a report of it must give, worked out by hand from that structure.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "samples" / "kern.log"

# (peer, AS organisation's canonical ISP) -> episodes: (offset from t0 in s, events, spacing s,
# peer port, bytes outstanding pattern). All on local port 80.
UNICOM_BJ_1 = "202.106.38.9"  # China Unicom AS4808
UNICOM_BJ_2 = "202.106.38.10"  # China Unicom AS4808
UNICOM_BB = "202.99.99.212"  # China Unicom AS4837
TELECOM = "122.224.31.13"  # China Telecom AS4134
GOOGLE = "8.8.8.8"  # Google LLC AS15169 (no canonical ISP), US
EPISODES: tuple[tuple[str, int, int, int, int, tuple[int, ...]], ...] = (
    (UNICOM_BJ_1, 0, 40, 30, 40001, (1,)),
    (UNICOM_BJ_1, 7200, 20, 60, 40002, (1,)),
    (UNICOM_BJ_2, 1800, 25, 10, 40100, (1, 1460, 2920, 1, 1)),
    (UNICOM_BB, 14400, 10, 100, 40200, (1,)),
    (TELECOM, 3600, 5, 20, 40300, (16,)),
    (GOOGLE, 18000, 2, 200, 40400, (1,)),
)
SYN_FLOOD_LINES = (
    (10800, "TCP: request_sock_TCP: Possible SYN flooding on port 0.0.0.0:80. Sending cookies."),
    (10900, "TCP: request_sock_TCPv6: Possible SYN flooding on port [::]:80. Sending cookies."),
    (11000, "TCP: request_sock_TCP: Possible SYN flooding on port 0.0.0.0:8080. Dropping request."),
)
CONNTRACK_LINES = 4  # at t0 + 12000 s, one per second
NOISE_LINES = 50

CORPUS_SHRINK_EVENTS = 102
CORPUS_EVENTS = CORPUS_SHRINK_EVENTS + len(SYN_FLOOD_LINES) + CONNTRACK_LINES
CORPUS_LINES = CORPUS_EVENTS + NOISE_LINES


def write_corpus(path: Path, t0: datetime) -> None:
    """RFC 3339 syslog lines (full year and zone), in time order, noise in between."""
    lines: list[tuple[float, str]] = []
    for peer, offset, count, spacing, port, pattern in EPISODES:
        for i in range(count):
            una = 1_000_000 + 10_000 * i
            nxt = (una + pattern[i % len(pattern)]) % 2**32
            lines.append(
                (offset + i * spacing,
                 f"Peer {peer}:{port}/80 unexpectedly shrunk window {una}:{nxt} (repaired)")
            )  # fmt: skip
    lines.extend((float(t), text) for t, text in SYN_FLOOD_LINES)
    lines.extend(
        (12000.0 + i, "nf_conntrack: nf_conntrack: table full, dropping packet")
        for i in range(CONNTRACK_LINES)
    )
    lines.extend(
        (i * 373.0 + 0.5, f"usb 1-1: new high-speed USB device number {i} using xhci_hcd")
        for i in range(NOISE_LINES)
    )
    lines.sort(key=lambda x: x[0])
    with path.open("w", encoding="utf-8") as out:
        for offset, text in lines:
            stamp = (t0 + timedelta(seconds=offset)).isoformat(timespec="microseconds")
            out.write(f"{stamp} web1 kernel: {text}\n")


def ktcp(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "160"}
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli", *args],
        input=stdin,
        capture_output=True,
        env=env,
        cwd=ROOT,
        timeout=240,
        check=False,
    )


def report_json(*args: str, stdin: bytes | None = None) -> dict[str, Any]:
    done = ktcp("report", "--json", *args, stdin=stdin)
    assert done.returncode == 0, done.stderr.decode()
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def parsed_documents(path: Path) -> list[dict[str, Any]]:
    done = ktcp("parse", "-o", "ndjson", str(path))
    assert done.returncode == 0, done.stderr.decode()
    return [json.loads(line) for line in done.stdout.splitlines()]
