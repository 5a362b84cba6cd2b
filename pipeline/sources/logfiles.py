"""Kernel log files followed for ever (`--source file`): globs, rotation, .gz, resume.

A file is known by its *identity*, the fingerprint of its first line (the `file_id` event ids
use, pipeline/sources/blocks.py), not by its path or inode: a file renamed by rotation, copied
by copytruncate or compressed to `.gz` keeps its identity, so it is continued, never read again.
The position is `{"files": {identity: {"offset", "path", "seen"}}}`, offsets counting bytes of
the decompressed content.

Each poll expands the globs, reads every file with unread whole lines (a last line without its
newline waits, unless the file was rotated away), and yields one batch per block read. A file
that left every glob (renamed to a name no glob matches, deleted) is read to its end through
the descriptor still open, then let go; its identity is forgotten after FILE_FORGET_SECS.
Two files whose first lines are byte for byte equal are taken for one file: syslog lines carry
a time and a host, so this does not happen with kernel logs.
"""

from __future__ import annotations

import glob
import gzip
import os
import threading
import time
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from pipeline.errors import InputError
from pipeline.settings import DEFAULT_FILE_POLL_SECS, FILE_FORGET_SECS, READ_BLOCK_BYTES
from pipeline.sources.base import Batch, Position
from pipeline.sources.blocks import FINGERPRINT_BYTES, Block, fingerprint

GZIP_MAGIC = b"\x1f\x8b"


@dataclass
class _Entry:
    """What is known of one file identity: how far it was read, where it was last seen."""

    offset: int
    path: str
    seen: float


@dataclass
class _Open:
    """A plain file kept open, so a rotation that moves it away loses none of its tail."""

    fd: int
    identity: str
    path: str


@dataclass(frozen=True)
class _Found:
    path: str
    identity: str
    size: int  # bytes on disk (compressed size for .gz)
    mtime: float
    compressed: bool
    inode: tuple[int, int]


class FileSource:
    kind = "file"

    def __init__(
        self,
        globs: Sequence[str],
        start_at: str = "beginning",
        poll_secs: float = DEFAULT_FILE_POLL_SECS,
        forget_secs: float = FILE_FORGET_SECS,
        block_bytes: int = READ_BLOCK_BYTES,
    ) -> None:
        self.globs = tuple(globs)
        self.start_at = start_at
        self.poll_secs = poll_secs
        self.forget_secs = forget_secs
        self.block_bytes = block_bytes
        self._entries: dict[str, _Entry] = {}
        self._open: dict[tuple[int, int], _Open] = {}
        self._identities: dict[tuple[int, int, int], str] = {}  # (dev, ino, size) -> identity
        self._gz_done: set[tuple[str, tuple[int, int], int]] = set()
        self._warnings: list[str] = []  # handed out with the next batch
        self._warned: set[object] = set()

    def _warn(self, text: str, key: object) -> None:
        if key not in self._warned:
            self._warned.add(key)
            self._warnings.append(text)

    def describe(self) -> str:
        return ", ".join(self.globs)

    def position(self) -> Position:
        return {
            "files": {
                identity: {"offset": e.offset, "path": e.path, "seen": round(e.seen, 3)}
                for identity, e in self._entries.items()
            }
        }

    def batches(self, resume: Position, stop: threading.Event) -> Iterator[Batch]:
        first_start = not (isinstance(resume, dict) and isinstance(resume.get("files"), dict))
        if not first_start:
            for identity, e in resume["files"].items():
                self._entries[identity] = _Entry(int(e["offset"]), str(e["path"]), e["seen"])
        skip_existing = first_start and self.start_at == "end"
        try:
            while not stop.is_set():
                read_any = False
                found, matched = self._scan()
                if not matched:
                    self._warn(f"no file matches {self.describe()} yet; waiting for one", "none")
                else:
                    self._warned.discard("none")
                for item in found.values():
                    if item.identity not in self._entries:
                        start = 0
                        if skip_existing:
                            start = item.size if not item.compressed else _gz_length(item.path)
                        self._entries[item.identity] = _Entry(start, item.path, time.time())
                    entry = self._entries[item.identity]
                    entry.path, entry.seen = item.path, time.time()
                    for batch in self._read(item, entry):
                        read_any = True
                        yield batch
                        if stop.is_set():
                            return
                skip_existing = False
                for batch in self._finish_orphans(matched):
                    read_any = True
                    yield batch
                self._forget(matched)
                if not read_any:
                    yield Batch(lag_secs=0.0, warnings=self._take_warnings())
                    stop.wait(self.poll_secs)
        finally:
            for handle in self._open.values():
                os.close(handle.fd)
            self._open.clear()

    # -- finding files ---------------------------------------------------------------------

    def _scan(self) -> tuple[dict[str, _Found], set[tuple[int, int]]]:
        """Each identity the globs match, at its best path (plain, largest); every inode seen."""
        best: dict[str, _Found] = {}
        matched: set[tuple[int, int]] = set()
        paths = sorted({p for g in self.globs for p in glob.glob(g)})
        for path in paths:
            item = self._identify(path)
            if item is None:
                continue
            matched.add(item.inode)
            other = best.get(item.identity)
            # copytruncate: the copy and the original share a first line until the truncation
            if other is None or (other.compressed, -other.size) > (item.compressed, -item.size):
                best[item.identity] = item
        return best, matched

    def _identify(self, path: str) -> _Found | None:
        try:
            st = os.stat(path)
        except OSError:
            return None  # gone between glob and stat
        if not os.path.isfile(path):
            return None
        inode = (st.st_dev, st.st_ino)
        key = (st.st_dev, st.st_ino, st.st_size)
        identity = self._identities.get(key)
        compressed = False
        try:
            with open(path, "rb") as raw:
                compressed = raw.read(2) == GZIP_MAGIC
                if identity is None:
                    if compressed:
                        raw.seek(0)
                        with gzip.GzipFile(fileobj=raw) as unpacked:
                            head = unpacked.read(FINGERPRINT_BYTES)
                    else:
                        raw.seek(0)
                        head = raw.read(FINGERPRINT_BYTES)
                    identity = fingerprint(head)
                    if identity is None:
                        return None  # no complete first line yet
                    self._identities = {k: v for k, v in self._identities.items() if k[:2] != inode}
                    self._identities[key] = identity
        except EOFError:
            return None  # a .gz still being written by the rotation: next poll
        except zlib.error as exc:
            self._warn(f"skipping {path}: not a readable gzip file ({_reason(exc)})", key)
            return None
        except OSError as exc:
            raise InputError(f"cannot read {path}: {_reason(exc)}") from None
        return _Found(path, identity, st.st_size, st.st_mtime, compressed, inode)

    # -- reading ---------------------------------------------------------------------------

    def _read(self, item: _Found, entry: _Entry) -> Iterator[Batch]:
        if item.compressed:
            yield from self._read_gz(item, entry)
            return
        handle = self._open.get(item.inode)
        if handle is None or handle.identity != item.identity:
            if handle is not None:
                os.close(handle.fd)
            try:
                fd = os.open(item.path, os.O_RDONLY | os.O_CLOEXEC)
            except OSError as exc:
                raise InputError(f"cannot read {item.path}: {_reason(exc)}") from None
            handle = _Open(fd, item.identity, item.path)
            self._open[item.inode] = handle
        handle.path = item.path
        yield from self._read_open(handle, entry, final=False)

    def _read_open(self, handle: _Open, entry: _Entry, final: bool) -> Iterator[Batch]:
        """Whole lines from `entry.offset`; with `final`, a last line without newline too."""
        while True:
            try:
                chunk = os.pread(handle.fd, self.block_bytes, entry.offset)
            except OSError as exc:
                raise InputError(f"cannot read {handle.path}: {_reason(exc)}") from None
            if not chunk:
                return
            cut = chunk.rfind(b"\n") + 1
            if cut == 0 and not final and len(chunk) < self.block_bytes:
                return  # an unfinished line: wait for its newline
            data = chunk[:cut] if cut else chunk
            yield self._batch(data, handle.path, handle.identity, entry, os.fstat(handle.fd))

    def _read_gz(self, item: _Found, entry: _Entry) -> Iterator[Batch]:
        done_key = (item.identity, item.inode, item.size)
        if done_key in self._gz_done:
            return
        try:
            with gzip.open(item.path, "rb") as unpacked:
                skipped = 0
                while skipped < entry.offset:
                    step = unpacked.read(min(self.block_bytes, entry.offset - skipped))
                    if not step:
                        break
                    skipped += len(step)
                pending = b""
                while True:
                    chunk = unpacked.read(self.block_bytes)
                    data = pending + chunk
                    if not chunk:
                        if data:  # a rotated file is complete: its last line is too
                            yield self._batch(data, item.path, item.identity, entry, None)
                        break
                    cut = data.rfind(b"\n") + 1
                    pending = data[cut:]
                    if cut:
                        yield self._batch(data[:cut], item.path, item.identity, entry, None)
        except EOFError:
            return  # still being written: the rest on a later poll
        except zlib.error as exc:
            self._warn(f"stopped reading {item.path}: damaged gzip data ({_reason(exc)})", done_key)
        except OSError as exc:
            raise InputError(f"cannot read {item.path}: {_reason(exc)}") from None
        self._gz_done.add(done_key)

    def _batch(
        self, data: bytes, path: str, identity: str, entry: _Entry, st: os.stat_result | None
    ) -> Batch:
        block = Block(data, os.path.abspath(path), entry.offset, identity)
        entry.offset += len(data)
        lag = 0.0
        if st is not None and st.st_size > entry.offset:
            lag = max(0.0, time.time() - st.st_mtime)
        return Batch(
            position=self.position(), blocks=(block,), lag_secs=lag, warnings=self._take_warnings()
        )

    def _take_warnings(self) -> tuple[str, ...]:
        taken, self._warnings = tuple(self._warnings), []
        return taken

    def _finish_orphans(self, matched: set[tuple[int, int]]) -> Iterator[Batch]:
        """Files still open that no glob names any more: read to the end, then let go."""
        for inode, handle in list(self._open.items()):
            if inode in matched:
                continue
            entry = self._entries.get(handle.identity)
            if entry is not None:
                yield from self._read_open(handle, entry, final=True)
            os.close(handle.fd)
            del self._open[inode]

    def _forget(self, matched: set[tuple[int, int]]) -> None:
        """Drop what is known of files gone: caches at once, positions after forget_secs."""
        horizon = time.time() - self.forget_secs
        for identity in [i for i, e in self._entries.items() if e.seen < horizon]:
            del self._entries[identity]
        self._identities = {k: v for k, v in self._identities.items() if k[:2] in matched}
        self._gz_done = {k for k in self._gz_done if k[1] in matched}


def _gz_length(path: str) -> int:
    total = 0
    try:
        with gzip.open(path, "rb") as unpacked:
            while chunk := unpacked.read(READ_BLOCK_BYTES):
                total += len(chunk)
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(f"cannot read {path}: {_reason(exc)}") from None
    return total


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__
