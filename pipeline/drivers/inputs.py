"""Which inputs a run reads (files, stdin, the local kernel log) and the outcomes they give."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from pipeline.chain import Chain
from pipeline.events import Event
from pipeline.records import Miss, Rendered
from pipeline.sources.blocks import Block
from pipeline.sources.files import GZIP_MAGIC, follow_files, read_file
from pipeline.sources.local import open_local_log
from pipeline.sources.stdin import read_stdin

Progress = Callable[[int], None]
Notice = Callable[[str], None]
STDIN = "-"
LOCAL = ""  # no FILE given: this machine's own kernel log
# --follow reads all its files at once, as one input: their names joined by this separator.
FOLLOWED_SEPARATOR = "\x00"


def followed(paths: Sequence[str]) -> str:
    """The one input name under which --follow reads several files together."""
    return FOLLOWED_SEPARATOR.join(paths)


@dataclass(frozen=True)
class Input:
    name: str
    size: int | None  # bytes of a regular, uncompressed file (for the progress bar)


def describe(paths: Sequence[str]) -> list[Input]:
    out = []
    for p in paths:
        size = None
        if p not in (STDIN, LOCAL):
            try:
                with open(p, "rb") as f:
                    if f.read(2) != GZIP_MAGIC:  # a .gz size says nothing of lines to come
                        size = os.fstat(f.fileno()).st_size
            except OSError:
                size = None
        out.append(Input(p, size))
    return out


def blocks(name: str, follow: bool = False, notice: Notice | None = None) -> Iterator[Block]:
    """Blocks of whole lines of one input; opening errors raise InputError at once."""
    if name == STDIN:
        return read_stdin()
    if name == LOCAL:
        local = open_local_log()
        if notice is not None:
            for reason in local.passed_over:
                notice(f"passed over {reason}")
            notice(f"reading the local kernel log from {local.name}")
        return local.blocks
    if follow:
        paths = name.split(FOLLOWED_SEPARATOR)
        if notice is None:
            return follow_files(paths)
        # `following FILE` is the readiness signal: every line written from then on is read.
        return follow_files(
            paths,
            on_open=lambda path: notice(f"following {path}"),
            on_missing=lambda path: notice(f"waiting for {path} to appear"),
        )
    return read_file(name)


class EndOfBlock:
    """Marks that everything read so far has been yielded: a driver's cue to flush its batch
    (a live stream must not wait for a batch to fill)."""


END_OF_BLOCK = EndOfBlock()


def read_input(
    chain: Chain,
    name: str,
    progress: Progress | None = None,
    follow: bool = False,
    notice: Notice | None = None,
) -> Iterator[Event | Miss | Rendered | EndOfBlock]:
    for block in blocks(name, follow, notice):
        yield from chain.scan_rendering(block.data, block.path, block.offset, block.file_id)
        yield END_OF_BLOCK
        if progress is not None:
            progress(len(block.data))
