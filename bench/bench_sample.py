"""Cost of one `ktcp sample` scan of the socket table, at 10k and 100k sockets.

    python bench/bench_sample.py [--runs R] [--held-share F]

Writes /proc/net/tcp- and tcp6-format tables (half each) of N established sockets, a share F
of them at the zero-window probe timer (tr=04), into a temporary /proc/net, and times a full
sample: both tables read and scanned, episodes tracked, documents rendered (no enrichment).
Prints each size's median over R runs, per socket, and the rows found. Reading the real
/proc/net/tcp also costs the kernel's own formatting, which this does not measure.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from pipeline.sampler.sampler import KernelStateSampler

NETSTAT = "TcpExt: TCPWinProbe TCPTimeouts\nTcpExt: 0 0\n"
HEADER = (
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
    "timeout inode\n"
)


def _row(i: int, held: bool, v6: bool, rng: random.Random) -> str:
    peer = f"{rng.randrange(1 << 32):08X}"
    local = "0100007F"
    if v6:
        peer = f"{rng.randrange(1 << 128):032X}"
        local = "00000000000000000000000001000000"
    timer = "04:0000012C" if held else "00:00000000"
    queued = f"{rng.randrange(1, 1 << 20):08X}" if held else "00000000"
    return (
        f"{i:4d}: {local}:1F90 {peer}:{rng.randrange(1024, 65536):04X} 01 {queued}:00000000 "
        f"{timer} 00000000     0        {3 if held else 0} {100000 + i} 1 "
        f"0000000000000000 20 4 30 10 -1\n"
    )


def write_tables(net: Path, sockets: int, held_share: float) -> int:
    rng = random.Random(sockets)
    held_total = 0
    for name, v6 in (("tcp", False), ("tcp6", True)):
        rows = [HEADER]
        for i in range(sockets // 2):
            held = rng.random() < held_share
            held_total += held
            rows.append(_row(i, held, v6, rng))
        (net / name).write_text("".join(rows))
    (net / "netstat").write_text(NETSTAT)
    return held_total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--held-share", type=float, default=0.01)
    args = parser.parse_args()
    for sockets in (10_000, 100_000):
        with tempfile.TemporaryDirectory() as tmp:
            net = Path(tmp)
            held = write_tables(net, sockets, args.held_share)
            size = sum((net / n).stat().st_size for n in ("tcp", "tcp6"))
            times = []
            for _ in range(args.runs):
                sampler = KernelStateSampler(net, "bench", None, None)
                start = time.perf_counter()
                docs = sampler.sample(datetime.now(UTC))
                times.append(time.perf_counter() - start)
            assert len(docs) == held, (len(docs), held)
            median = statistics.median(times)
            print(
                f"{sockets:>7} sockets ({size / 2**20:.1f} MiB of table, {held} held): "
                f"median {median * 1000:.1f} ms per sample, "
                f"{median / sockets * 1e9:.0f} ns per socket (runs: "
                + ", ".join(f"{t * 1000:.1f}" for t in times)
                + " ms)"
            )


if __name__ == "__main__":
    main()
