"""A directory one process owns and writes durably: the agent's state, the Fluentd spool.

Both hold files that must survive a crash (fsync of a file, then of its directory, so that a
rename is on disk too) and must not be shared by two processes (an exclusive `flock` on a lock
file inside, held while the process runs; the kernel drops it when the process dies).
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO

from pipeline.errors import UsageError

LOCK_NAME = ".lock"


def lock(directory: Path, cannot_use: str, in_use: str, hint: str = "") -> IO[bytes]:
    """Create `directory` if need be and hold its lock; the open lock file, for `unlock`.

    `cannot_use` starts the error for a directory that cannot be made or written (the reason
    follows, then the `hint` in parentheses); `in_use` is the whole error for one another
    process holds.
    """
    try:
        directory.mkdir(parents=True, exist_ok=True)
        held: IO[bytes] = (directory / LOCK_NAME).open("ab")
    except OSError as exc:
        advice = f" ({hint})" if hint else ""
        raise UsageError(f"{cannot_use}: {exc.strerror or exc}{advice}") from exc
    try:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        held.close()
        raise UsageError(in_use) from exc
    return held


def unlock(held: IO[bytes]) -> None:
    fcntl.flock(held, fcntl.LOCK_UN)
    held.close()


def fsync_directory(directory: Path) -> None:
    """Make the directory's entries (a rename, a new file) durable."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
