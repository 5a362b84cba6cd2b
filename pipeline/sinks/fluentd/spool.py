"""The spool: a directory holding every forward message until Fluentd acknowledges it.

Write-ahead: a message is on disk before its first byte goes to the socket and is deleted only
when its ack arrives, so a kill, a crash or an unreachable Fluentd loses nothing; the next run
with the same directory sends what it finds first, oldest first. One file per batch, named
`<sequence>-<events>-<first chunk id>.fwd`, holding the batch's forward messages (one per tag)
back to back, each the exact bytes sent (a resend is byte-identical, same chunk id, same
event.id); a file of an earlier version holds one message and reads the same way. A batch is
written to a temporary file, fsync'ed once, renamed into place and the directory fsync'ed
before `add_batch` returns: once a batch is in the spool, a crash or a power cut does not lose
it, and a reader never sees half of a file. Two fsyncs per batch, whatever its number of tags.
The file goes when the last of its messages is acknowledged; a crash in between sends the
acknowledged ones again (same chunk ids, same event.id: at-least-once). A lock file keeps two
runs from draining the same spool twice. Errors of the disk (full, read-only, removed) are
OSError for the sink to count; deleting an acknowledged message is best effort (a leftover is
sent again by the next run, and Elasticsearch keeps one copy by event.id).
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgpack

from pipeline import owned_dir
from pipeline.settings import FLUENTD_SPOOL_MAX_BYTES

SUFFIX = ".fwd"
_NAME_RE = re.compile(r"^(?P<seq>\d{12})-(?P<count>\d+)-(?P<chunk>[A-Za-z0-9_-]+)\.fwd$")


class SpoolFullError(Exception):
    """Keeping one more message would pass the spool's size bound."""


@dataclass(frozen=True, slots=True)
class Chunk:
    """One spooled forward message: its file and place in it, its events, its chunk id."""

    path: Path
    sequence: int  # the file's
    index: int  # the message's place in its file
    count: int
    chunk_id: str
    offset: int
    size: int
    earlier: bool  # left by an earlier run (not counted in this run's delivery)

    @property
    def order(self) -> tuple[int, int]:
        """Oldest first: the spool's order of sending."""
        return self.sequence, self.index

    def read(self) -> bytes:
        with self.path.open("rb") as spooled:
            spooled.seek(self.offset)
            data = spooled.read(self.size)
        if len(data) != self.size:
            raise OSError(errno.EIO, f"{self.path.name} is shorter than its messages")
        return data


# one message to spool: (its bytes, its number of events, its chunk id)
Message = tuple[bytes, int, str]


def default_directory(address: str) -> Path:
    """$XDG_STATE_HOME/ktcp/spool/<destination> (default ~/.local/state/...): one per Fluentd."""
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    slug = re.sub(r"[^A-Za-z0-9.-]+", "_", address).strip("_") or "fluentd"
    return Path(state) / "ktcp" / "spool" / slug


class Spool:
    def __init__(self, directory: Path, max_bytes: int = FLUENTD_SPOOL_MAX_BYTES) -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        self._lock = owned_dir.lock(
            directory,
            f"cannot use the spool directory {directory}",
            f"the spool {directory} is in use by another ktcp run; wait for it or give "
            "another --spool DIR",
        )
        self.unreadable: list[str] = []
        self._mutex = threading.Lock()  # the counters below, shared with the spool writer
        self._pending: dict[Path, int] = {}  # messages of each file not yet acknowledged
        self._earlier = list(self._scan())
        self.bytes_used = sum(c.size for c in self._earlier)
        self._next = max((c.sequence for c in self._earlier), default=0) + 1

    def _scan(self) -> Iterator[Chunk]:
        for path in sorted(self.directory.iterdir()):
            if path.name.endswith(".tmp"):
                path.unlink(missing_ok=True)  # a write interrupted before its rename
                continue
            found = _NAME_RE.match(path.name)
            if found is None:
                if path.name != owned_dir.LOCK_NAME:
                    self.unreadable.append(path.name)
                continue
            messages = _split(path.read_bytes())
            if messages is None:
                self.unreadable.append(f"{path.name} (not forward messages)")
                continue
            self._pending[path] = len(messages)
            sequence = int(found["seq"])
            for index, (offset, size, count, chunk_id) in enumerate(messages):
                yield Chunk(path, sequence, index, count, chunk_id, offset, size, earlier=True)

    def earlier(self) -> list[Chunk]:
        """Messages an earlier run left unacknowledged, oldest first."""
        return list(self._earlier)

    def add(self, message: bytes, count: int, chunk_id: str) -> Chunk:
        return self.add_batch([(message, count, chunk_id)])[0]

    def add_batch(self, messages: Sequence[Message]) -> list[Chunk]:
        """Keep a batch's messages in one file, on disk (two fsyncs) before this returns.
        SpoolFullError when they would pass the bound, OSError when the disk fails."""
        size = sum(len(data) for data, _, _ in messages)
        self.reserve(size)
        try:
            return self.write_group([messages])[0]
        except OSError:
            self.release(size)
            raise

    def reserve(self, size: int) -> None:
        """Count `size` bytes of messages about to be written against the bound, or raise
        SpoolFullError. `write_group` writes only what was reserved."""
        with self._mutex:
            if self.bytes_used + size > self.max_bytes:
                raise SpoolFullError(f"{self.bytes_used + size} > {self.max_bytes} bytes")
            self.bytes_used += size

    def release(self, size: int) -> None:
        """Reserved bytes that were not written after all (the disk failed)."""
        with self._mutex:
            self.bytes_used -= size

    def write_group(self, batches: Sequence[Sequence[Message]]) -> list[list[Chunk]]:
        """Keep several batches' messages in one file, on disk (two fsyncs, whatever the
        number of batches and tags) before this returns; the chunks of each batch, in order.
        Their bytes were reserved. OSError when the disk fails: then nothing of them is kept.
        Thread-safe against `remove` (the sink's spool writer calls this on its own thread)."""
        messages = [message for batch in batches for message in batch]
        with self._mutex:
            sequence = self._next
            self._next += 1
        count = sum(n for _, n, _ in messages)
        path = self.directory / f"{sequence:012d}-{count}-{messages[0][2]}{SUFFIX}"
        tmp = path.with_name(path.name + ".tmp")
        try:
            with tmp.open("wb") as out:
                for data, _, _ in messages:
                    out.write(data)
                out.flush()
                os.fsync(out.fileno())
            tmp.rename(path)
        except OSError:
            tmp.unlink(missing_ok=True)
            raise
        # the rename itself survives a crash only once this returns
        owned_dir.fsync_directory(self.directory)
        with self._mutex:
            self._pending[path] = len(messages)
        groups: list[list[Chunk]] = []
        index = offset = 0
        for batch in batches:
            chunks = []
            for data, n, chunk_id in batch:
                chunks.append(Chunk(path, sequence, index, n, chunk_id, offset, len(data), False))
                index += 1
                offset += len(data)
            groups.append(chunks)
        return groups

    def remove(self, chunk: Chunk) -> None:
        """The message is acknowledged (or lost): its file goes with the last of its messages."""
        done = self.settle(chunk)
        if done is not None:
            discard(done)

    def settle(self, chunk: Chunk) -> Path | None:
        """`remove` without the deletion: the file to `discard` when this was its last
        message, else None."""
        with self._mutex:
            self.bytes_used -= chunk.size
            left = self._pending.get(chunk.path, 1) - 1
            if left > 0:
                self._pending[chunk.path] = left
                return None
            self._pending.pop(chunk.path, None)
        return chunk.path

    def close(self) -> None:
        owned_dir.unlock(self._lock)


def discard(path: Path) -> None:
    """Delete a file whose messages are all acknowledged: best effort, since a leftover is
    only sent again (same chunk ids, same event.id) by the next run."""
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)


def _split(data: bytes) -> list[tuple[int, int, int, str]] | None:
    """(offset, size, events, chunk id) of each forward message in a spool file, or None when
    it holds anything else."""
    unpacker = msgpack.Unpacker(raw=False, max_buffer_size=max(len(data), 1))
    unpacker.feed(data)
    found: list[tuple[int, int, int, str]] = []
    offset = 0
    try:
        for message in unpacker:
            end = unpacker.tell()
            options = _options(message)
            if options is None:
                return None
            found.append((offset, end - offset, options[0], options[1]))
            offset = end
    except (ValueError, msgpack.UnpackException):
        return None
    return found if found and offset == len(data) else None


def _options(message: Any) -> tuple[int, str] | None:
    """The events and chunk id of `[tag, entries, {"chunk": id, "size": n}]`."""
    if not (isinstance(message, list) and len(message) == 3 and isinstance(message[2], dict)):
        return None
    count, chunk_id = message[2].get("size"), message[2].get("chunk")
    if isinstance(count, int) and isinstance(chunk_id, str) and chunk_id:
        return count, chunk_id
    return None
