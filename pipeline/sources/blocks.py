"""Blocks of complete lines: what every source hands to `Chain.scan_block`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

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
    for chunk in chunks:
        lines, pending = split_complete(pending, chunk)
        if lines:
            yield Block(lines, path, offset)
            if offset is not None:
                offset += len(lines)
    if pending:
        yield Block(pending, path, offset)
