"""The spool writer: batches go to disk on a thread of their own, a group per fsync.

An fsync costs milliseconds whatever its size (about 4 ms on a virtual disk), and it waits on
the disk, not on the CPU. So the sink hands each packed batch over (its PackedForward entries
per tag) and goes on packing the next; this thread writes every batch handed over while the
previous group was being synced into one spool file (`Spool.write_group`: one fsync, one
rename, one directory fsync), as one forward message per tag: the entries of a tag are
concatenated, in the order they were handed over, so a group of batches is as few messages
(and acks) as one batch. A batch is *written* only once that returned: then, and not before,
its messages may be sent and its events count as settled (`FluentdSink.confirmed`). Results
come out in the order the batches went in. The same thread deletes the files whose messages
are all acknowledged (`discard`), so the sink's thread never waits on the disk.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from pipeline.settings import FLUENTD_MERGED_MESSAGE_BYTES as MERGED_BYTES
from pipeline.sinks.fluentd.protocol import new_chunk_id, packed_forward
from pipeline.sinks.fluentd.spool import Chunk, Message, Spool, discard

# (tag, PackedForward entries, their number of events): a batch's share of one tag
Part = tuple[str, bytes, int]


def reserve_bytes(parts: list[Part]) -> int:
    """Spool bytes to reserve for these parts: their entries, and a bound of the framing of
    one message per part (array, tag, bin header, `{"chunk": id, "size": n}`)."""
    return sum(len(entries) + len(tag.encode("utf-8")) + 64 for tag, entries, _ in parts)


@dataclass(frozen=True, slots=True)
class Written:
    """One batch handed over, done: its chunks on disk, or the error that kept them off."""

    events: int
    size: int  # bytes reserved for it in the spool (still reserved when it failed)
    chunks: list[Chunk]  # the group's messages, with its first batch (the others: none)
    data: list[bytes]  # the bytes of each of `chunks`, as on disk
    error: OSError | None = None


@dataclass(frozen=True, slots=True)
class _Handed:
    parts: list[Part]
    events: int
    size: int


class SpoolWriter:
    def __init__(self, spool: Spool) -> None:
        self.spool = spool
        self._cond = threading.Condition()
        self._todo: list[_Handed] = []
        self._done: deque[Written] = deque()
        self._writing = 0  # batches of the group being written now
        self._discard: list[Path] = []  # files to delete
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="ktcp-spool-writer", daemon=True)
        self._thread.start()

    def hand(self, parts: list[Part], events: int, size: int) -> None:
        """Write this batch (its `reserve_bytes` reserved in the spool) with the next group."""
        with self._cond:
            self._todo.append(_Handed(parts, events, size))
            self._cond.notify_all()

    def discard(self, path: Path) -> None:
        """Delete this spool file (all its messages acknowledged) on the writer's thread."""
        with self._cond:
            self._discard.append(path)
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
        """Write what was handed over and delete what was discarded, then end the thread."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join()

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._todo or self._discard or self._closed)
                gone, self._discard = self._discard, []
                if not self._todo and not gone:
                    return
                group, self._todo = self._todo, []
                self._writing = len(group)
            for path in gone:
                discard(path)
            if not group:
                continue
            try:
                messages = _messages(group)
                chunks = self.spool.write_group([messages])[0]
                written = sum(len(data) for data, _, _ in messages)
                self.spool.release(sum(h.size for h in group) - written)  # the framing saved
                first, *rest = group
                done = [Written(first.events, first.size, chunks, [m for m, _, _ in messages])]
                done += [Written(h.events, h.size, [], []) for h in rest]
            except OSError as exc:
                done = [Written(h.events, h.size, [], [], exc) for h in group]
            except Exception as exc:  # never a silent end of the thread: each batch counted
                failure = OSError(f"spool write failed: {type(exc).__name__}: {exc}")
                done = [Written(h.events, h.size, [], [], failure) for h in group]
            with self._cond:
                self._done.extend(done)
                self._writing = 0
                self._cond.notify_all()


def _messages(group: list[_Handed]) -> list[Message]:
    """One PackedForward message per tag for the whole group, entries in hand-over order; a
    tag's entries start a new message rather than grow one past FLUENTD_MERGED_MESSAGE_BYTES
    (a single batch's entries of a tag are never split)."""
    tags: dict[str, list[tuple[list[bytes], list[int]]]] = {}
    for handed in group:
        for tag, entries, count in handed.parts:
            messages = tags.setdefault(tag, [])
            if not messages or sum(map(len, messages[-1][0])) + len(entries) > MERGED_BYTES:
                messages.append(([], []))
            messages[-1][0].append(entries)
            messages[-1][1].append(count)
    out = []
    for tag, messages in tags.items():
        for pieces, counts in messages:
            if not pieces:
                continue
            chunk_id = new_chunk_id()
            events = sum(counts)
            message = packed_forward(tag, b"".join(pieces), events, chunk_id)
            out.append((message, events, chunk_id))
    return out
