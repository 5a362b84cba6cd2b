"""The batch loop every command shares: interrupts, and what reaches the sink exactly once."""

from __future__ import annotations

import os
import signal
import socket
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from pipeline.chain import Chain
from pipeline.drivers.inputs import END_OF_BLOCK, EndOfBlock
from pipeline.drivers.interrupts import Interrupts
from pipeline.drivers.run import run
from pipeline.events import Event
from pipeline.records import Miss
from pipeline.settings import ParseSettings
from pipeline.sinks.base import Delivery, Document
from pipeline.sinks.fluentd import open_sink

BATCH = 50
KERN_LOG = Path(__file__).parent.parent / "data" / "fluentd" / "kern.log"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class SignalDuringSend:
    """The real Fluentd sink, with SIGINT arriving while it spools a batch (the worst moment)."""

    def __init__(self, inner: Any, after_batches: int) -> None:
        self.inner = inner
        self.after = after_batches
        self.batches: list[int] = []

    def send(self, documents: Sequence[Document]) -> None:
        self.batches.append(len(documents))
        if len(self.batches) == self.after:
            os.kill(os.getpid(), signal.SIGINT)  # handled at the next bytecode: inside send
        self.inner.send(documents)

    def close(self) -> Delivery:
        delivery: Delivery = self.inner.close()
        return delivery


def spooled_events(directory: Path) -> int:
    return sum(int(p.name.split("-")[1]) for p in directory.glob("*.fwd"))


def test_an_interrupt_during_a_send_spools_each_batch_once_and_stops(tmp_path: Path) -> None:
    chain = Chain(ParseSettings(timezone="UTC", year=2026))
    data = KERN_LOG.read_bytes() * 20

    def read(c: Chain, name: str) -> Iterator[Event | Miss | EndOfBlock]:
        yield from c.scan_block(data)
        yield END_OF_BLOCK

    before = signal.getsignal(signal.SIGINT)  # SIG_IGN when the suite runs in the background
    with Interrupts() as interrupts:
        fluentd = open_sink(  # nothing listens there: every event stays in the spool
            address=f"127.0.0.1:{free_port()}",
            tag_prefix="kernel.tcp",
            spool=tmp_path,
            deadline_secs=5.0,
            warn=lambda text: None,
            stop=interrupts.stop,
        )
        sink = SignalDuringSend(fluentd, after_batches=2)
        result = run(chain, ["-"], read, sink, batch_events=BATCH, interrupts=interrupts)
    assert result.interrupted
    assert sink.batches == [BATCH, BATCH]  # stopped after the interrupted batch, none resent
    assert spooled_events(tmp_path) == 2 * BATCH  # each batch in the spool once
    assert result.delivery.not_delivered == 2 * BATCH
    assert signal.getsignal(signal.SIGINT) is before  # the handler is restored, whatever it was
