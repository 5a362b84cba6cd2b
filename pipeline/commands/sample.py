"""`ktcp sample`: the kernel's TCP state every few seconds, as NDJSON events on stdout."""

from __future__ import annotations

import signal
import socket
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

import click

from pipeline.commands.options import enrich_options, enrich_settings_from_options
from pipeline.enrich import build_resolver
from pipeline.sampler.sampler import KernelStateSampler
from pipeline.settings import DEFAULT_SAMPLE_INTERVAL_SECS, PROC_NET_DIR
from pipeline.sinks.stdout import NdjsonSink
from pipeline.sources.local import boot_id


@click.command("sample")
@click.option(
    "--interval",
    type=click.FloatRange(min=0.05),
    default=DEFAULT_SAMPLE_INTERVAL_SECS,
    show_default=True,
    metavar="SECONDS",
    help="Seconds between two samples.",
)
@click.option(
    "--count",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Stop after N samples (default: run until interrupted).",
)
@click.option(
    "--net-dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=PROC_NET_DIR,
    show_default=True,
    help="The /proc/net to read: this process's network namespace, or /proc/PID/net for "
    "another's (run with the host's network namespace to see the host's sockets).",
)
@click.option("--host", metavar="NAME", help="host.name (default: this machine's name).")
@enrich_options
def sample_command(
    interval: float, count: int | None, net_dir: Path, host: str | None, **enrich: Any
) -> None:
    """Find connections held at zero window, and TcpExt counter increases, in kernel state.

    Modern kernels print the window-shrink line only with dynamic debug on; the same condition
    shows in the socket table (/proc/net/tcp, tcp6: the zero-window probe timer runs) and in
    TcpExt counters (/proc/net/netstat). Writes one `tcp-zero-window-peer` event when a
    connection is first seen held at zero window and one when it is released (with its
    duration), and one `tcp-counters` event per interval after the first sample.
    """
    resolver = build_resolver(enrich_settings_from_options(enrich))
    sampler = KernelStateSampler(
        net_dir,
        host or socket.gethostname(),
        boot_id(),
        resolver.lookup if resolver is not None else None,
    )
    out = NdjsonSink(sys.stdout.buffer, flush_each=True)
    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    taken = 0
    next_at = time.monotonic()
    while not stopping and (count is None or taken < count):
        out.send(sampler.sample(datetime.now(UTC)))
        taken += 1
        if count is not None and taken >= count:
            break
        next_at += interval
        while not stopping and (delay := next_at - time.monotonic()) > 0:
            time.sleep(min(delay, 0.2))
    delivered = out.close()
    click.echo(
        f"ktcp: {taken} samples of {net_dir}, {delivered.created} events, "
        f"{sampler.open_episodes} zero-window episodes still open",
        err=True,
    )
