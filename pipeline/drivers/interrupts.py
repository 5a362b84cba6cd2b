"""The one interrupt policy of the commands that run a chain (parse, ship, exec-filter).

SIGINT (Ctrl-C) and SIGTERM ask the run to stop. The command owns the handlers: it enters
`Interrupts` around its run and hands `stop` to its sink and sources.

- While the run waits for input or parses, a signal raises `Interrupted` at once (a blocking
  read of a pipe would otherwise never return).
- Inside `deferred()` (a sink sending or closing, a dead-letter or output write) a signal only
  sets `stop`; the write finishes whole and the driver stops at its next check. So a sink
  never raises an interrupt, and a batch is never half-sent, sent twice, or lost.
- A sink that waits (a retry, an acknowledgement) watches `stop` and gives up soon, keeping
  what it could not deliver in its spool or counting it as not delivered.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType, TracebackType
from typing import Any

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived while the run was reading."""


class Interrupts:
    def __init__(self) -> None:
        self.stop = threading.Event()
        self.received: int | None = None  # the first signal's number
        self._deferred = 0
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> Interrupts:
        if threading.current_thread() is threading.main_thread():
            for signum in SIGNALS:
                self._previous[signum] = signal.signal(signum, self._on_signal)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()

    @property
    def requested(self) -> bool:
        return self.stop.is_set()

    def check(self) -> None:
        """Raise `Interrupted` if a signal arrived meanwhile (call outside `deferred`)."""
        if self.stop.is_set():
            raise Interrupted

    @contextmanager
    def deferred(self) -> Iterator[None]:
        """A signal inside only sets `stop`: what runs here finishes whole."""
        self._deferred += 1
        try:
            yield
        finally:
            self._deferred -= 1

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if self.received is None:
            self.received = signum
        self.stop.set()
        if self._deferred == 0:
            raise Interrupted
