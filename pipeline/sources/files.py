"""Log files: whole reads in blocks of complete lines (gzip by magic bytes) and `tail -F`.

Offsets are byte offsets in the decompressed stream, so a line's position is the same whether
the file is read plain or after rotation compressed it.
"""

from __future__ import annotations

import gzip
import io
import os
import queue
import threading
import zlib
from collections.abc import Callable, Iterator

from pipeline.errors import InputError
from pipeline.settings import READ_BLOCK_BYTES
from pipeline.sources.blocks import (
    FINGERPRINT_BYTES,
    Block,
    complete_lines,
    fingerprint,
    split_complete,
)

GZIP_MAGIC = b"\x1f\x8b"
DEFAULT_POLL_SECS = 0.25
MIN_POLL_SECS = 0.01
MAX_POLL_SECS = 5.0


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


def open_binary(path: str) -> io.BufferedIOBase:
    """The file's bytes, decompressed when it is gzip; InputError naming the file otherwise."""
    try:
        stream = open(path, "rb")  # noqa: SIM115  # handed to the caller, who closes it
        if stream.peek(2)[:2] != GZIP_MAGIC:
            return stream
        stream.close()
        return gzip.open(path, "rb")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {_reason(exc)}") from None


def read_file(path: str, block_bytes: int = READ_BLOCK_BYTES) -> Iterator[Block]:
    """Blocks of whole lines of a file; opened now, so an unreadable file fails at once."""
    stream = open_binary(path)
    return complete_lines(_chunks(stream, path, block_bytes), os.path.abspath(path), 0)


def _chunks(stream: io.BufferedIOBase, path: str, block_bytes: int) -> Iterator[bytes]:
    with stream:
        while True:
            try:
                chunk = stream.read(block_bytes)
            except (OSError, EOFError, zlib.error) as exc:
                raise InputError(f"cannot read {path}: {_reason(exc)}") from None
            if not chunk:
                return
            yield chunk


def follow_file(
    path: str,
    *,
    from_start: bool = False,
    stop: threading.Event | None = None,
    poll_secs: float = DEFAULT_POLL_SECS,
    block_bytes: int = READ_BLOCK_BYTES,
    on_open: Callable[[str], None] | None = None,
    on_missing: Callable[[str], None] | None = None,
) -> Iterator[Block]:
    """`tail -F`: new whole lines as they are written, across rename and copytruncate rotation.

    Waits (polling) for the file to appear or grow; a file replaced under its name is finished
    and the new one read from its start; a truncated file is read again from its start. Ends
    when `stop` is set; a file that cannot be read any more is an InputError naming it.
    `on_open(path)` is called each time the file is opened and positioned: from then on every
    line written to it is read. `on_missing(path)` is called when the file is first found
    absent: it is read from its start once it appears.
    """
    stop = stop or threading.Event()
    poll = min(max(poll_secs, MIN_POLL_SECS), MAX_POLL_SECS)
    absolute = os.path.abspath(path)
    stream: io.FileIO | None = None
    file_id: str | None = None
    position = 0
    pending = b""
    skip_existing = not from_start
    missing = False
    try:
        while not stop.is_set():
            if stream is None:
                stream = _open_if_present(path)
                if stream is None:
                    skip_existing = False  # a file that appears later is new: read all of it
                    if not missing and on_missing is not None:
                        on_missing(path)
                    missing = True
                    stop.wait(poll)
                    continue
                missing = False
                position = stream.seek(0, os.SEEK_END) if skip_existing else 0
                skip_existing = False
                file_id = _first_line_id(stream)
                if on_open is not None:
                    on_open(path)
            chunk = stream.read(block_bytes)
            if chunk:
                lines, pending = split_complete(pending, chunk)
                if lines:
                    if file_id is None:  # the file was empty when opened
                        file_id = _first_line_id(stream)
                    yield Block(lines, absolute, position, file_id)
                    position += len(lines)
                continue
            moved = _replaced_or_truncated(stream, path, position + len(pending))
            if moved is None:
                stop.wait(poll)
                continue
            if pending:  # the old file ended without a newline: its last line is complete now
                yield Block(pending, absolute, position, file_id)
                pending = b""
            if moved == "truncated":
                position = stream.seek(0)
                file_id = None  # new content: known again from its first line
            else:
                stream.close()
                stream = None
    except OSError as exc:
        raise InputError(f"cannot follow {path}: {_reason(exc)}") from None
    finally:
        if stream is not None:
            stream.close()


def _first_line_id(stream: io.FileIO) -> str | None:
    """Fingerprint of the followed file's first line, read without moving the stream."""
    try:
        return fingerprint(os.pread(stream.fileno(), FINGERPRINT_BYTES, 0))
    except OSError:
        return None


def _open_if_present(path: str) -> io.FileIO | None:
    try:
        return open(path, "rb", buffering=0)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise InputError(f"cannot read {path}: {_reason(exc)}") from None


def _replaced_or_truncated(stream: io.FileIO, path: str, read_up_to: int) -> str | None:
    """`replaced` (rename rotation), `truncated` (copytruncate) or None (nothing changed)."""
    current = os.fstat(stream.fileno())
    if current.st_size < read_up_to:
        return "truncated"
    try:
        named = os.stat(path)
    except FileNotFoundError:
        return None  # renamed away and not yet recreated: keep reading the old file meanwhile
    if (named.st_ino, named.st_dev) != (current.st_ino, current.st_dev):
        return "replaced"
    return None


# Blocks waiting between the follower threads and the reader: bounded, so a slow consumer
# makes the followers wait instead of holding a whole burst in memory.
FOLLOW_QUEUE_BLOCKS = 64


def follow_files(
    paths: list[str],
    *,
    from_start: bool = False,
    stop: threading.Event | None = None,
    poll_secs: float = DEFAULT_POLL_SECS,
    on_open: Callable[[str], None] | None = None,
    on_missing: Callable[[str], None] | None = None,
) -> Iterator[Block]:
    """`tail -F` of several files at once: one follower thread each, blocks as they come.

    Each follower blocks while its file is idle, so they cannot be taken in turn from one
    thread. Ends when `stop` is set. A follower that fails, whatever the error, ends the
    whole follow with an InputError naming its file: no thread dies silently while the
    reader waits for it.
    """
    if len(paths) == 1:
        yield from follow_file(
            paths[0],
            from_start=from_start,
            stop=stop,
            poll_secs=poll_secs,
            on_open=on_open,
            on_missing=on_missing,
        )
        return
    stop = stop or threading.Event()
    blocks: queue.Queue[Block | InputError] = queue.Queue(FOLLOW_QUEUE_BLOCKS)

    def follow(path: str) -> None:
        try:
            for block in follow_file(
                path,
                from_start=from_start,
                stop=stop,
                poll_secs=poll_secs,
                on_open=on_open,
                on_missing=on_missing,
            ):
                while not stop.is_set():
                    try:
                        blocks.put(block, timeout=poll_secs)
                        break
                    except queue.Full:
                        continue
        except InputError as exc:
            blocks.put(exc)
        except Exception as exc:  # any failure must reach the reader, never end the thread quietly
            blocks.put(InputError(f"cannot follow {path}: {_reason(exc)}"))

    threads = [threading.Thread(target=follow, args=(p,), daemon=True) for p in paths]
    for thread in threads:
        thread.start()
    try:
        while not stop.is_set():
            try:
                item = blocks.get(timeout=poll_secs)
            except queue.Empty:
                continue
            if isinstance(item, InputError):
                raise item
            yield item
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=MAX_POLL_SECS + 1)
