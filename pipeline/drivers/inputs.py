"""Which inputs a run reads (files, stdin, the local kernel log) and the outcomes they give."""

from __future__ import annotations

import gzip
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from pipeline.chain import Chain
from pipeline.errors import InputError
from pipeline.events import Event
from pipeline.records import Miss
from pipeline.settings import READ_BLOCK_BYTES

Progress = Callable[[int], None]


@dataclass(frozen=True)
class Input:
    name: str  # path, "-" for stdin
    size: int | None  # bytes, when known (regular uncompressed files): for the progress bar


def describe(paths: Sequence[str]) -> list[Input]:
    out = []
    for p in paths:
        size = None
        if p != "-":
            try:
                st = os.stat(p)
                size = st.st_size
            except OSError:
                size = None
        out.append(Input(p, size))
    return out


def _blocks(stream: object) -> Iterator[tuple[bytes, int]]:
    read = getattr(stream, "read1", None) or stream.read  # type: ignore[attr-defined]
    pending = b""
    offset = 0
    while True:
        chunk = read(READ_BLOCK_BYTES)
        if not chunk:
            break
        data = pending + chunk
        cut = data.rfind(b"\n") + 1
        if cut == 0:
            pending = data
            continue
        yield data[:cut], offset
        offset += cut
        pending = data[cut:]
    if pending:
        yield pending, offset


def read_path(chain: Chain, path: str, progress: Progress | None = None) -> Iterator[Event | Miss]:
    if path == "-":
        for data, _offset in _blocks(sys.stdin.buffer):
            yield from chain.scan_block(data, None, None)
            if progress:
                progress(len(data))
        return
    try:
        raw = open(path, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from exc
    absolute = os.path.abspath(path)
    with raw:
        try:
            magic = raw.peek(2)[:2]
            stream = gzip.GzipFile(fileobj=raw) if magic == b"\x1f\x8b" else raw
            for data, offset in _blocks(stream):
                yield from chain.scan_block(data, absolute, offset)
                if progress:
                    progress(raw.tell() if stream is not raw else len(data))
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            raise InputError(f"cannot read {path}: {exc}") from exc
