"""The spool: a directory holding every forward message until Fluentd acknowledges it.

Write-ahead: a message is on disk before its first byte goes to the socket and is deleted only
when its ack arrives, so a kill, a crash or an unreachable Fluentd loses nothing; the next run
with the same directory sends what it finds first, oldest first. One file per message, named
`<sequence>-<events>-<chunk id>.fwd`, holding the exact bytes sent (a resend is byte-identical,
same chunk id, same event.id). A message is written to a temporary file, fsync'ed, renamed into
place and the directory fsync'ed before `add` returns: once a batch is in the spool, a crash or
a power cut does not lose it, and a reader never sees half of a file. A lock file keeps two
runs from draining the same spool twice. Errors of the disk (full, read-only, removed) are
OSError for the sink to count; deleting an acknowledged message is best effort (a leftover is
sent again by the next run, and Elasticsearch keeps one copy by event.id).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from pipeline.errors import UsageError
from pipeline.settings import FLUENTD_SPOOL_MAX_BYTES

SUFFIX = ".fwd"
LOCK_NAME = ".lock"
_NAME_RE = re.compile(r"^(?P<seq>\d{12})-(?P<count>\d+)-(?P<chunk>[A-Za-z0-9_-]+)\.fwd$")


class SpoolFullError(Exception):
    """Keeping one more message would pass the spool's size bound."""


@dataclass(frozen=True, slots=True)
class Chunk:
    """One spooled forward message: its file, how many events it carries, its chunk id."""

    path: Path
    sequence: int
    count: int
    chunk_id: str
    size: int
    earlier: bool  # left by an earlier run (not counted in this run's delivery)

    def read(self) -> bytes:
        return self.path.read_bytes()


def default_directory(address: str) -> Path:
    """$XDG_STATE_HOME/ktcp/spool/<destination> (default ~/.local/state/...): one per Fluentd."""
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    slug = re.sub(r"[^A-Za-z0-9.-]+", "_", address).strip("_") or "fluentd"
    return Path(state) / "ktcp" / "spool" / slug


class Spool:
    def __init__(self, directory: Path, max_bytes: int = FLUENTD_SPOOL_MAX_BYTES) -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        try:
            directory.mkdir(parents=True, exist_ok=True)
            self._lock: IO[bytes] = (directory / LOCK_NAME).open("ab")
        except OSError as exc:
            raise UsageError(
                f"cannot use the spool directory {directory}: {exc.strerror or exc}"
            ) from exc
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            self._lock.close()
            raise UsageError(
                f"the spool {directory} is in use by another ktcp run; wait for it or give "
                "another --spool DIR"
            ) from exc
        self.unreadable: list[str] = []
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
                if path.name != LOCK_NAME:
                    self.unreadable.append(path.name)
                continue
            size = path.stat().st_size
            yield Chunk(
                path, int(found["seq"]), int(found["count"]), found["chunk"], size, earlier=True
            )

    def earlier(self) -> list[Chunk]:
        """Messages an earlier run left unacknowledged, oldest first."""
        return list(self._earlier)

    def add(self, message: bytes, count: int, chunk_id: str) -> Chunk:
        if self.bytes_used + len(message) > self.max_bytes:
            raise SpoolFullError(f"{self.bytes_used + len(message)} > {self.max_bytes} bytes")
        sequence = self._next
        self._next += 1
        path = self.directory / f"{sequence:012d}-{count}-{chunk_id}{SUFFIX}"
        tmp = path.with_name(path.name + ".tmp")
        try:
            with tmp.open("wb") as out:
                out.write(message)
                out.flush()
                os.fsync(out.fileno())
            tmp.rename(path)
        except OSError:
            tmp.unlink(missing_ok=True)
            raise
        self._sync_directory()  # the rename itself survives a crash only once this returns
        self.bytes_used += len(message)
        return Chunk(path, sequence, count, chunk_id, len(message), earlier=False)

    def remove(self, chunk: Chunk) -> None:
        # acknowledged already: a leftover is only sent again (same ids) by the next run
        with contextlib.suppress(OSError):
            chunk.path.unlink(missing_ok=True)
        self.bytes_used -= chunk.size

    def _sync_directory(self) -> None:
        fd = os.open(self.directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def close(self) -> None:
        fcntl.flock(self._lock, fcntl.LOCK_UN)
        self._lock.close()
