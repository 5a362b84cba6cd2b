"""A long-running ktcp subprocess, watched line by line: no sleeps, only bounded waits.

A test waits for the process's own readiness line on stderr (e.g. `following FILE`), then acts,
then reads stdout lines as they come. Every wait has a bound that only a broken or hung process
reaches, so a loaded machine makes a test slower, never red.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from types import TracebackType
from typing import IO

import pytest

WAIT_SECS = 120.0  # a bound for hung processes, not a performance target


class Live:
    def __init__(self, args: Sequence[str], env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "pipeline.cli", *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, "TZ": "UTC", **(env or {})},
        )
        self._lines: queue.Queue[bytes] = queue.Queue()
        self._err: list[str] = []
        self._err_done = False
        self._err_changed = threading.Condition()
        assert self.proc.stdout is not None and self.proc.stderr is not None
        self._readers = [
            threading.Thread(target=self._read_out, args=(self.proc.stdout,), daemon=True),
            threading.Thread(target=self._read_err, args=(self.proc.stderr,), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def _read_out(self, stream: IO[bytes]) -> None:
        for line in stream:
            self._lines.put(line)
        self._lines.put(b"")  # end of output

    def _read_err(self, stream: IO[bytes]) -> None:
        for line in stream:
            with self._err_changed:
                self._err.append(line.decode(errors="replace"))
                self._err_changed.notify_all()
        with self._err_changed:
            self._err_done = True
            self._err_changed.notify_all()

    @property
    def stderr(self) -> str:
        with self._err_changed:
            return "".join(self._err)

    def wait_for(self, text: str, count: int = 1, timeout: float = WAIT_SECS) -> None:
        """Until `count` stderr lines contain `text` (the process's readiness signal)."""

        def seen() -> bool:
            return sum(text in line for line in self._err) >= count or self._err_done

        with self._err_changed:
            self._err_changed.wait_for(seen, timeout)
            found = sum(text in line for line in self._err)
        if found < count:
            pytest.fail(f"stderr never said {text!r} {count} time(s); stderr:\n{self.stderr}")

    def line(self, timeout: float = WAIT_SECS) -> bytes:
        """The next stdout line."""
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            pytest.fail(f"no output line within {timeout:.0f} s; stderr:\n{self.stderr}")
        if not line:
            pytest.fail(f"output ended early; stderr:\n{self.stderr}")
        return line

    def stop(self, sig: int = signal.SIGINT, timeout: float = WAIT_SECS) -> tuple[int, str]:
        """Signal the process, wait for it to exit; its exit status and whole stderr."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            pytest.fail(f"did not exit within {timeout:.0f} s of signal {sig}")
        for reader in self._readers:
            reader.join(timeout)
        return code, self.stderr

    def __enter__(self) -> Live:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.proc.poll() is None:  # a failed test: leave no process behind
            self.proc.kill()
            self.proc.wait()
