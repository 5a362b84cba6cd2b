"""The spool writer: batches go to disk on a thread of their own, a group per fsync.

An fsync costs milliseconds whatever its size (about 4 ms on a virtual disk), and it waits on
the disk, not on the CPU. So the sink hands each packed batch over and goes on packing the
next; this thread writes every batch handed over while the previous group was being synced
into one spool file (`Spool.write_group`: one fsync, one rename, one directory fsync). A batch
is *written* only once that returned: then, and not before, its messages may be sent and its
events count as settled (`FluentdSink.confirmed`). Results come out in the order the batches
went in.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

from pipeline.sinks.fluentd.spool import Chunk, Message, Spool


@dataclass(frozen=True, slots=True)
class Written:
    """One batch handed over, done: its chunks on disk, or the error that kept them off."""

    events: int
    size: int  # bytes reserved for it in the spool
    chunks: list[Chunk]
    error: OSError | None = None


@dataclass(frozen=True, slots=True)
class _Handed:
    messages: list[Message]
    events: int
    size: int


class SpoolWriter:
    def __init__(self, spool: Spool) -> None:
        self.spool = spool
        self._cond = threading.Condition()
        self._todo: list[_Handed] = []
        self._done: deque[Written] = deque()
        self._writing = 0  # batches of the group being written now
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="ktcp-spool-writer", daemon=True)
        self._thread.start()

    def hand(self, messages: list[Message], events: int, size: int) -> None:
        """Write this batch (its `size` bytes reserved in the spool) with the next group."""
        with self._cond:
            self._todo.append(_Handed(messages, events, size))
            self._cond.notify_all()

    @property
    def unwritten(self) -> int:
        """Batches handed over and not written (or failed) yet."""
        with self._cond:
            return len(self._todo) + self._writing

    def take(self) -> list[Written]:
        """The batches done since the last call, in the order they were handed over."""
        with self._cond:
            done = list(self._done)
            self._done.clear()
            return done

    def wait(self, timeout_secs: float | None, most: int = 0) -> bool:
        """Wait until at most `most` batches are unwritten; True if so within the time."""
        with self._cond:
            return self._cond.wait_for(
                lambda: len(self._todo) + self._writing <= most, timeout_secs
            )

    def close(self) -> None:
        """Write what was handed over, then end the thread."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join()

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._todo or self._closed)
                if not self._todo:
                    return
                group, self._todo = self._todo, []
                self._writing = len(group)
            try:
                written = self.spool.write_group([handed.messages for handed in group])
                done = [
                    Written(h.events, h.size, chunks)
                    for h, chunks in zip(group, written, strict=True)
                ]
            except OSError as exc:
                done = [Written(h.events, h.size, [], exc) for h in group]
            except Exception as exc:  # never a silent end of the thread: each batch counted
                failure = OSError(f"spool write failed: {type(exc).__name__}: {exc}")
                done = [Written(h.events, h.size, [], failure) for h in group]
            with self._cond:
                self._done.extend(done)
                self._writing = 0
                self._cond.notify_all()
