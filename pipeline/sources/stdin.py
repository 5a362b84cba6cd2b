"""Standard input: whole lines as soon as they arrive (`tail -f kern.log | ktcp parse -`)."""

from __future__ import annotations

import gzip
import io
import sys
import zlib
from collections.abc import Iterator
from typing import cast

from pipeline.errors import InputError
from pipeline.settings import READ_BLOCK_BYTES
from pipeline.sources.blocks import Block, complete_lines
from pipeline.sources.files import GZIP_MAGIC


def read_stdin(
    stream: io.BufferedIOBase | None = None, block_bytes: int = READ_BLOCK_BYTES
) -> Iterator[Block]:
    """Blocks of whole lines; read1 returns what the pipe holds instead of waiting for EOF."""
    # sys.stdin.buffer is a BufferedReader unless replaced (tests, embedding)
    source = stream if stream is not None else cast(io.BufferedIOBase, sys.stdin.buffer)
    if isinstance(source, io.BufferedReader) and source.peek(2)[:2] == GZIP_MAGIC:
        source = gzip.GzipFile(fileobj=source, mode="rb")
    return complete_lines(_chunks(source, block_bytes))


def _chunks(stream: io.BufferedIOBase, block_bytes: int) -> Iterator[bytes]:
    while True:
        try:
            chunk = stream.read1(block_bytes)
        except (OSError, EOFError, zlib.error) as exc:
            raise InputError(f"cannot read standard input: {exc}") from None
        if not chunk:
            return
        yield chunk
