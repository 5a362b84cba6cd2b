"""A progress bar on standard error, only when a person is watching and the size is known."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from pipeline.drivers.inputs import describe

Advance = Callable[[int], None]


@contextmanager
def progress_bar(inputs: Sequence[str], label: str) -> Iterator[Advance | None]:
    """Yields a callback taking bytes read, or None when no bar is shown (pipe, stdin, follow)."""
    sizes = describe(inputs)
    total = sum(i.size or 0 for i in sizes)
    if not (sys.stderr.isatty() and total > 0 and all(i.size for i in sizes)):
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=total)

        def advance(n: int) -> None:
            bar.advance(task, n)

        yield advance
