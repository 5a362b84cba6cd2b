"""What every delivering sink promises: send batches, then account for every document."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

Document = dict[str, Any]
# Called by a sink for each document the destination refused for good (mapping error, ...).
RejectHandler = Callable[[Document, str], None]


@dataclass
class Delivery:
    """Accounting of one run: every document sent ends in exactly one of these counts."""

    created: int = 0
    already_there: int = 0  # duplicates of documents delivered before (same event.id)
    rejected: int = 0  # refused for good; written to the dead-letter file with the reason
    not_delivered: int = 0  # still unacknowledged when the run ended (kept in a spool if any)
    retried: int = 0  # sends tried again after a failure (not part of the total)

    @property
    def total(self) -> int:
        return self.created + self.already_there + self.rejected + self.not_delivered

    @property
    def complete(self) -> bool:
        return self.rejected == 0 and self.not_delivered == 0


class Sink(Protocol):
    """A destination. `send` may block (backpressure); `close` flushes and returns the totals."""

    def send(self, documents: Sequence[Document]) -> None: ...

    def close(self) -> Delivery: ...


@runtime_checkable
class RenderedSink(Sink, Protocol):
    """A sink that writes documents the compiled fast path already rendered as NDJSON lines
    (pipeline/native.py); to any other sink the driver hands them as documents."""

    def send_rendered(self, ndjson: bytes, count: int) -> None: ...


class AckingSink(Sink, Protocol):
    """A sink a long-running driver can ask: is everything sent so far settled?

    Settled means acknowledged by the destination, durably spooled, or refused for good (and
    handed to the reject handler). `ktcp agent` saves a source position only after `flush`
    returned True for the documents read before it.
    """

    delivery: Delivery

    def flush(self, timeout_secs: float) -> bool:
        """Hand on what is buffered; wait up to `timeout_secs` until all sent is settled."""
        ...

    @property
    def confirmed(self) -> int:
        """How many of the documents sent so far, in send order, are settled."""
        ...

    @property
    def healthy(self) -> bool:
        """The destination took the last attempt (for the agent's /readyz)."""
        ...
