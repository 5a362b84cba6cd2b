"""Blocks of complete lines: what every source hands to `Chain.scan_block`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from hashlib import blake2b

from pipeline.settings import MAX_LINE_BYTES

# A line longer than this without a newline is handed on as it is (the chain counts it as one
# over-long invalid line) rather than held in memory without bound.
MAX_PENDING_BYTES = 2 * MAX_LINE_BYTES


@dataclass(frozen=True, slots=True)
class Block:
    """Whole lines read from one input, and where the first of them starts."""

    data: bytes
    path: str | None = None  # absolute path; None for stdin and commands
    offset: int | None = None  # byte offset of data[0] in the (decompressed) file
    file_id: str | None = None  # fingerprint of the file's first line (see `fingerprint`)


FINGERPRINT_BYTES = 4096


def fingerprint(head: bytes) -> str | None:
    """Which file this is, beyond its name: a hash of its first line.

    After rotation a new file starts again at offset 0 under the same name; without this its
    lines would get the ids of the old file's lines (and Elasticsearch would call them
    duplicates). None until the first line is complete.
    """
    end = head.find(b"\n", 0, FINGERPRINT_BYTES)
    if end < 0:
        if len(head) < FINGERPRINT_BYTES:
            return None
        end = FINGERPRINT_BYTES
    return blake2b(head[:end], digest_size=8).hexdigest()


def split_complete(pending: bytes, chunk: bytes) -> tuple[bytes, bytes]:
    """(whole lines, unfinished tail) of what is pending plus a new chunk."""
    data = pending + chunk if pending else chunk
    cut = data.rfind(b"\n") + 1
    if cut == 0 and len(data) > MAX_PENDING_BYTES:
        cut = len(data)
    return data[:cut], data[cut:]


def complete_lines(
    chunks: Iterable[bytes], path: str | None = None, offset: int | None = None
) -> Iterator[Block]:
    """Re-cut arbitrary chunks at their last newline; the tail waits for the next chunk."""
    pending = b""
    file_id = None
    for chunk in chunks:
        lines, pending = split_complete(pending, chunk)
        if lines:
            if file_id is None and path is not None and offset == 0:
                file_id = fingerprint(lines)
            yield Block(lines, path, offset, file_id)
            if offset is not None:
                offset += len(lines)
    if pending:
        if file_id is None and path is not None and offset == 0:
            file_id = fingerprint(pending + b"\n")
        yield Block(pending, path, offset, file_id)
