"""The Fluentd sink: documents -> spooled PackedForward messages -> in_forward -> acks.

`send` groups a batch by tag (one forward message per tag, one chunk id per message) and hands
the batch's messages to the spool writer (writer.py: on its own thread, every batch handed over
while the previous one was being synced goes into one file, fsync'ed once), then pumps: queues
the messages of batches now on disk, sends queued messages while fewer than
FLUENTD_WINDOW_CHUNKS await their ack (acks are pipelined, not awaited one by one), and takes
whatever acks have arrived. A message is sent only once it is on disk; an event counts as
settled (`confirmed`) once its batch is on disk (or counted as not delivered), and as created
only when the ack of its message arrives; the spool file goes with the ack of its last
message. When Fluentd is
unreachable the queue just grows on disk (send does not block) and drains, oldest first, on
reconnect; on a broken connection every unacknowledged message is sent again (at-least-once,
byte-identical).
"""

from __future__ import annotations

import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pipeline.errors import RefusedError, UsageError
from pipeline.fluentd_settings import FluentdSecurity, FluentdTls
from pipeline.settings import (
    FLUENTD_ACK_TIMEOUT_SECS,
    FLUENTD_SOCKET_TIMEOUT_SECS,
    FLUENTD_SPOOL_MAX_BYTES,
    FLUENTD_STOP_GRACE_SECS,
    FLUENTD_UNWRITTEN_BATCHES,
    FLUENTD_WINDOW_CHUNKS,
)
from pipeline.sinks.base import Delivery, Document, RejectHandler
from pipeline.sinks.fluentd.connection import AckingSender
from pipeline.sinks.fluentd.protocol import (
    Address,
    pack_entries,
    parse_address,
    tag_for,
)
from pipeline.sinks.fluentd.spool import (
    Chunk,
    Spool,
    SpoolFullError,
    default_directory,
)
from pipeline.sinks.fluentd.writer import Part, SpoolWriter, reserve_bytes
from pipeline.sinks.retry import Backoff

Warn = Callable[[str], None]
FRESH_BYTES = 4 << 20  # messages just written, kept in memory for their first send, at most


def _stderr(text: str) -> None:
    sys.stderr.write(f"ktcp: {text}\n")
    sys.stderr.flush()


class FluentdSink:
    def __init__(
        self,
        sender: AckingSender,
        spool: Spool,
        tag_prefix: str,
        deadline_secs: float,
        warn: Warn = _stderr,
        window_chunks: int = FLUENTD_WINDOW_CHUNKS,
        ack_timeout_secs: float = FLUENTD_ACK_TIMEOUT_SECS,
        stop: threading.Event | None = None,
    ) -> None:
        self.sender = sender
        self.spool = spool
        self.tag_prefix = tag_prefix
        self.deadline_secs = deadline_secs
        self.warn = warn
        self.window_chunks = window_chunks
        self.ack_timeout_secs = ack_timeout_secs
        self.delivery = Delivery()
        self.earlier_delivered = 0  # events an earlier run left in the spool, delivered now
        # set by the command on SIGTERM/SIGINT: keep the rest in the spool, close soon
        self.stop = stop or threading.Event()
        self.spool_error: str | None = None  # why the spool could not be written, if so
        self.refused: str | None = None  # why Fluentd refused this client for good, if it did
        self._queue: deque[Chunk] = deque(spool.earlier())
        self._writer = SpoolWriter(spool)
        # the bytes of messages just written, sent from memory the first time (at most a
        # window's worth and FRESH_BYTES; a resend reads the spool file)
        self._fresh: dict[str, bytes] = {}
        self._fresh_bytes = 0
        self._settled_docs = 0  # documents of send() calls on disk or counted as not delivered
        self._inflight: dict[str, tuple[Chunk, float]] = {}
        self._retry_at = 0.0
        self._backoff = Backoff()
        self._down_since: float | None = None
        self._last_progress = time.monotonic()
        self._full_warned = False
        if spool.unreadable:
            names = ", ".join(spool.unreadable)
            warn(f"spool {spool.directory}: ignoring unknown or damaged files: {names}")
        earlier = sum(c.count for c in self._queue)
        if earlier:
            warn(
                f"spool {spool.directory} holds {earlier:,} events of an earlier run; "
                "sending them first"
            )

    # -- the Sink protocol ---------------------------------------------------------------------

    @property
    def stopping(self) -> bool:
        return self.stop.is_set()

    def send(self, documents: Sequence[Document]) -> None:
        """Spool the batch (one message per tag) and move the queue along; never raises for
        a delivery problem: what cannot be kept is counted as not delivered."""
        groups: dict[str, list[Document]] = {}
        for doc in documents:
            groups.setdefault(tag_for(self.tag_prefix, doc), []).append(doc)
        parts = [(tag, pack_entries(docs), len(docs)) for tag, docs in groups.items()]
        if parts:
            self._spool(parts, len(documents))
        if not self.stopping:
            self._pump(wait_secs=0.0)

    def flush(self, timeout_secs: float) -> bool:
        """Move the queue along for a moment; True once every batch sent is on disk (settled),
        waiting up to `timeout_secs` for the spool writer. RefusedError once Fluentd refused
        this client for good: a long run should stop."""
        if self.refused is not None:
            raise RefusedError(self.refused)
        deadline = time.monotonic() + timeout_secs
        settled = self._writer.wait(timeout_secs)
        if not self.stopping:
            self._pump(wait_secs=min(max(0.0, deadline - time.monotonic()), 0.2))
        self._collect()
        return settled

    @property
    def healthy(self) -> bool:
        return self._down_since is None

    @property
    def confirmed(self) -> int:
        self._collect()
        return self._settled_docs  # a message on disk survives a crash: settled

    def close(self) -> Delivery:
        try:
            self._writer.wait(None)  # what was handed over goes to disk first, even when stopping
            self._collect()
            grace_end = None
            while (self._queue or self._inflight) and self.refused is None:
                now = time.monotonic()
                if self.stopping:
                    grace_end = grace_end or now + FLUENTD_STOP_GRACE_SECS
                    if now >= grace_end or not self._inflight:
                        break
                elif now - self._last_progress > self.deadline_secs:
                    self.warn(
                        f"Fluentd at {self.sender.address} made no progress for "
                        f"{self.deadline_secs:g}s; giving up"
                    )
                    break
                self._pump(wait_secs=0.2)
            left = [c for c in (*self._queue, *(c for c, _ in self._inflight.values()))]
            self.delivery.not_delivered += sum(c.count for c in left if not c.earlier)
            if left:
                self.warn(
                    f"{sum(c.count for c in left):,} events not acknowledged by Fluentd are kept "
                    f"in {self.spool.directory}; a later run with this spool sends them first"
                )
            if self.earlier_delivered:
                self.warn(f"delivered {self.earlier_delivered:,} events of an earlier run")
        finally:
            self._writer.close()
            self.sender.close()
            self.spool.close()
        return self.delivery

    # -- internals -----------------------------------------------------------------------------

    def _spool(self, parts: list[Part], events: int) -> None:
        """Hand the batch to the spool writer once the spool has room for it; at most
        FLUENTD_UNWRITTEN_BATCHES batches wait for the disk (beyond, this waits)."""
        size = reserve_bytes(parts)
        while True:
            try:
                self.spool.reserve(size)
            except SpoolFullError:
                if not self._full_warned:
                    self._full_warned = True
                    self.warn(
                        f"spool {self.spool.directory} is full ({self.spool.bytes_used:,} of "
                        f"{self.spool.max_bytes:,} bytes) while Fluentd at "
                        f"{self.sender.address} does not acknowledge; new events wait, and "
                        f"are dropped after {self.deadline_secs:g}s without progress"
                    )
                stalled = time.monotonic() - self._last_progress > self.deadline_secs
                if self.stopping or stalled or self.refused is not None:
                    self._writer.wait(None)  # settled in send order: the earlier batches first
                    self._collect()
                    self.delivery.not_delivered += events
                    self._settled_docs += events
                    return
                self._pump(wait_secs=0.2)
                continue
            self._full_warned = False
            self._writer.hand(parts, events, size)
            if self._writer.unwritten > FLUENTD_UNWRITTEN_BATCHES:
                self._writer.wait(None, most=FLUENTD_UNWRITTEN_BATCHES)
            self._collect()
            return

    def _collect(self) -> None:
        """Batches the spool writer finished: their messages join the queue (on disk now), or
        their events are counted as not delivered (the disk failed them)."""
        for done in self._writer.take():
            self._settled_docs += done.events
            if done.error is None:
                self._queue.extend(done.chunks)
                for chunk, data in zip(done.chunks, done.data, strict=True):
                    if (
                        len(self._fresh) < self.window_chunks
                        and self._fresh_bytes + len(data) <= FRESH_BYTES
                    ):
                        self._fresh[chunk.chunk_id] = data
                        self._fresh_bytes += len(data)
                if self.spool_error is not None:
                    self.spool_error = None
                    self.warn(f"spool {self.spool.directory} can be written again")
                continue
            # a full disk, a removed directory, permissions: the events cannot be kept, so they
            # are not sent either (only spooled messages may go out: at-least-once). Each later
            # batch tries again; the problem is said once until it goes away.
            self.spool.release(done.size)
            exc = done.error
            if self.spool_error is None:
                self.warn(
                    f"cannot write the spool {self.spool.directory}: "
                    f"{exc.strerror or exc}; events that cannot be kept are counted as not "
                    "delivered (free space, fix the directory, or give another --spool DIR)"
                )
            self.spool_error = exc.strerror or str(exc)
            self.delivery.not_delivered += done.events

    def _pump(self, wait_secs: float) -> None:
        try:
            self._exchange(wait_secs)
        except RefusedError as exc:
            self._refuse(exc)

    def _exchange(self, wait_secs: float) -> None:
        self._collect()
        if self.refused is not None:
            return
        now = time.monotonic()
        if not self.sender.connected and self._queue and now >= self._retry_at:
            try:
                self.sender.connect()
            except OSError as exc:
                self._went_down(exc)
            else:
                self._came_up()
        while self.sender.connected and self._queue and len(self._inflight) < self.window_chunks:
            chunk = self._queue[0]
            message = self._fresh.pop(chunk.chunk_id, None)
            if message is not None:
                self._fresh_bytes -= len(message)
            try:
                if message is None:
                    message = chunk.read()
            except OSError as exc:  # the spool's problem, not Fluentd's: no retry helps
                self._lost(chunk, exc)
                continue
            try:
                self.sender.send_message(message)
            except OSError as exc:
                self._went_down(exc)
                break
            self._queue.popleft()
            self._inflight[chunk.chunk_id] = (chunk, time.monotonic())
        if not self._inflight:
            if wait_secs:
                self.stop.wait(min(wait_secs, max(0.0, self._retry_at - time.monotonic())))
            return
        full = len(self._inflight) >= self.window_chunks or not self._queue
        acked, failure = self.sender.take_acks(wait_secs if full else 0.0)
        for chunk_id in acked:
            found = self._inflight.pop(chunk_id, None)
            if found is None:
                continue  # an ack of a message resent meanwhile, counted already
            chunk = found[0]
            done = self.spool.settle(chunk)
            if done is not None:
                self._writer.discard(done)  # deleted on the writer's thread
            if chunk.earlier:
                self.earlier_delivered += chunk.count
            else:
                self.delivery.created += chunk.count
            self._last_progress = time.monotonic()
        if failure is not None:
            self._went_down(failure)
            return
        oldest = min((sent for _, sent in self._inflight.values()), default=None)
        if oldest is not None and time.monotonic() - oldest > self.ack_timeout_secs:
            self.sender.disconnect_quietly()
            self._went_down(TimeoutError(f"no ack within {self.ack_timeout_secs:g}s"))

    def _lost(self, chunk: Chunk, exc: OSError) -> None:
        """A spooled message that can no longer be read (deleted, unreadable)."""
        self._queue.popleft()
        self.spool.remove(chunk)
        if not chunk.earlier:
            self.delivery.not_delivered += chunk.count
        self.warn(
            f"spool file {chunk.path} cannot be read ({exc.strerror or exc}): its "
            f"{chunk.count:,} events are not delivered"
        )

    def _went_down(self, exc: BaseException) -> None:
        """Connection lost: everything unacknowledged goes back to the queue, in order."""
        back = sorted((c for c, _ in self._inflight.values()), key=lambda c: c.order)
        self._inflight.clear()
        self.delivery.retried += sum(c.count for c in back)
        self._queue.extendleft(reversed(back))
        now = time.monotonic()
        self._retry_at = now + self._backoff.next_secs()
        if self._down_since is None:
            self._down_since = now
            self.warn(
                f"Fluentd at {self.sender.address} unreachable ({exc}); spooling to "
                f"{self.spool.directory} and retrying"
            )

    def _refuse(self, exc: RefusedError) -> None:
        """Refused for good (certificate, key): stop trying; the spool keeps every event."""
        self.sender.disconnect_quietly()
        back = sorted((c for c, _ in self._inflight.values()), key=lambda c: c.order)
        self._inflight.clear()
        self._queue.extendleft(reversed(back))
        self.refused = str(exc)
        self._down_since = self._down_since or time.monotonic()  # not healthy (/readyz)
        self.warn(f"{exc}; not retrying, the events stay in the spool {self.spool.directory}")

    def _came_up(self) -> None:
        self._backoff.reset()
        self._last_progress = time.monotonic()
        if self._down_since is not None:
            self._down_since = None
            waiting = sum(c.count for c in self._queue)
            self.warn(f"Fluentd at {self.sender.address} is back; sending {waiting:,} events")


def open_sink(
    *,
    address: str,
    tag_prefix: str,
    spool: Path | None,
    deadline_secs: float,
    on_reject: RejectHandler | None = None,
    spool_max_bytes: int = FLUENTD_SPOOL_MAX_BYTES,
    tls: FluentdTls | None = None,
    security: FluentdSecurity | None = None,
    **options: Any,
) -> FluentdSink:
    """The sink `ktcp ship --fluentd` writes to. in_forward accepts or refuses whole messages,
    never single events, so `on_reject` is never called (kept for the Sink family's signature).
    `tls` turns on `<transport tls>`, `security` the `<security>` shared-key handshake.
    `stop` (in `options`): the command's stop request (drivers/interrupts.py).
    """
    where: Address = parse_address(address)
    if tls is not None and where.path is not None:
        raise UsageError(f"TLS needs a TCP address (HOST:PORT), not {where}")
    directory = spool if spool is not None else default_directory(str(where))
    return FluentdSink(
        AckingSender(where, FLUENTD_SOCKET_TIMEOUT_SECS, tls, security),
        Spool(directory, spool_max_bytes),
        tag_prefix,
        deadline_secs,
        **options,
    )
