"""The loop batch drivers share: inputs -> chain -> documents -> sink; misses -> dead letter."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import orjson

from pipeline.chain import Chain, Stats
from pipeline.drivers.inputs import EndOfBlock
from pipeline.drivers.interrupts import Interrupted, Interrupts
from pipeline.ecs import to_document
from pipeline.errors import InputError
from pipeline.events import Event
from pipeline.records import Miss, MissKind, Rendered
from pipeline.settings import DEFAULT_BATCH_EVENTS
from pipeline.sinks.base import Delivery, Document, RenderedSink, Sink
from pipeline.sinks.dead_letter import DeadLetterFile

UNMATCHED_KEPT = 200  # unmatched lines kept in memory for --show-unmatched

Reader = Callable[[Chain, str], Iterator[Event | Miss | Rendered | EndOfBlock]]


@dataclass
class RunResult:
    stats: Stats
    delivery: Delivery
    seconds: float
    errors: list[str] = field(default_factory=list)  # inputs that could not be read
    unmatched: list[Miss] = field(default_factory=list)
    interrupted: bool = False


def run(
    chain: Chain,
    inputs: Sequence[str],
    read: Reader,
    sink: Sink,
    dead_letter: DeadLetterFile | None = None,
    batch_events: int = DEFAULT_BATCH_EVENTS,
    decorate: Callable[[Document], None] | None = None,
    interrupts: Interrupts | None = None,
) -> RunResult:
    """Read every input; an unreadable input is recorded and the others still run.

    `interrupts` is the command's (see drivers/interrupts.py): a signal stops the reading, and
    every batch read so far is sent exactly once, whole.
    """
    interrupts = interrupts or Interrupts()  # not entered: no handlers, nothing to defer
    started = time.perf_counter()
    errors: list[str] = []
    unmatched: list[Miss] = []
    batch: list[Document] = []
    interrupted = False

    def flush() -> None:
        nonlocal batch
        sent, batch = batch, []  # taken first: whatever happens next, it is not sent again
        with interrupts.deferred():
            sink.send(sent)
        interrupts.check()

    try:
        for name in inputs:
            interrupts.check()
            try:
                for outcome in read(chain, name):
                    if isinstance(outcome, EndOfBlock):
                        if batch:  # all that was read is out: a live stream is not held back
                            flush()
                        continue
                    if isinstance(outcome, Event):
                        doc = to_document(outcome)
                        if decorate is not None:
                            decorate(doc)
                        batch.append(doc)
                        if len(batch) >= batch_events:
                            flush()
                        continue
                    if isinstance(outcome, Rendered):
                        if decorate is None and isinstance(sink, RenderedSink):
                            if batch:  # in input order
                                flush()
                            with interrupts.deferred():
                                sink.send_rendered(outcome.ndjson, outcome.count)
                            interrupts.check()
                            continue
                        for line in outcome.ndjson.splitlines():
                            doc = orjson.loads(line)
                            if decorate is not None:
                                decorate(doc)
                            batch.append(doc)
                        if len(batch) >= batch_events:
                            flush()
                        continue
                    if outcome.kind is MissKind.NON_TCP:
                        continue
                    if outcome.kind is MissKind.UNMATCHED and len(unmatched) < UNMATCHED_KEPT:
                        unmatched.append(outcome)
                    if dead_letter is not None:
                        with interrupts.deferred():
                            dead_letter.miss(outcome)
            except InputError as exc:
                errors.append(str(exc))
    except (Interrupted, KeyboardInterrupt):
        interrupted = True
    finally:
        with interrupts.deferred():
            if batch:
                sent, batch = batch, []
                sink.send(sent)
            delivery = sink.close()
            if dead_letter is not None:
                dead_letter.close()
                if dead_letter.error is not None:
                    errors.append(dead_letter.error)
    return RunResult(
        chain.stats,
        delivery,
        time.perf_counter() - started,
        errors,
        unmatched,
        interrupted or interrupts.requested,
    )
