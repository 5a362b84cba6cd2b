"""Real systemd journal files for the journald tests, written by systemd-journal-remote.

Entries are given in journald's export format (`KEY=value` lines, a blank line after each
entry) on systemd-journal-remote's stdin; it appends them to `<directory>/<name>.journal`,
which journalctl then reads like any journal (`journalctl --directory`).
"""

from __future__ import annotations

import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

JOURNAL_REMOTE_PATHS = (
    "/lib/systemd/systemd-journal-remote",
    "/usr/lib/systemd/systemd-journal-remote",
)


def journal_remote() -> str | None:
    found = shutil.which("systemd-journal-remote")
    if found:
        return found
    return next((p for p in JOURNAL_REMOTE_PATHS if Path(p).exists()), None)


@dataclass
class Entry:
    message: str
    boot_id: str
    monotonic_usec: int  # _SOURCE_MONOTONIC_TIMESTAMP: the kernel's own stamp
    realtime_usec: int
    transport: str = "kernel"
    fields: dict[str, str] = field(default_factory=dict)

    def export(self) -> str:
        lines = [
            f"__REALTIME_TIMESTAMP={self.realtime_usec}",
            f"__MONOTONIC_TIMESTAMP={self.monotonic_usec + 1500}",
            f"_BOOT_ID={self.boot_id}",
            f"_TRANSPORT={self.transport}",
            "PRIORITY=4",
            "SYSLOG_FACILITY=0",
            "SYSLOG_IDENTIFIER=kernel",
            "_HOSTNAME=node-7",
            f"MESSAGE={self.message}",
        ]
        if self.transport == "kernel":
            lines.append(f"_SOURCE_MONOTONIC_TIMESTAMP={self.monotonic_usec}")
        lines += [f"{k}={v}" for k, v in self.fields.items()]
        return "\n".join(lines) + "\n\n"


@dataclass
class Journal:
    """A journal directory; `append` adds entries to its one journal file."""

    directory: Path
    binary: str
    name: str = "system"
    _clock_usec: int = field(default_factory=lambda: int(time.time() * 1e6) - 3_600_000_000)

    def entry(self, message: str, boot_id: str, monotonic_usec: int, **kw: str) -> Entry:
        self._clock_usec += 1000
        return Entry(message, boot_id, monotonic_usec, self._clock_usec, **kw)

    def append(self, entries: list[Entry]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        data = "".join(e.export() for e in entries).encode()
        target = self.directory / f"{self.name}.journal"
        done = subprocess.run(
            [self.binary, "-o", str(target), "-"], input=data, capture_output=True, timeout=60
        )
        if done.returncode != 0:
            raise RuntimeError(f"systemd-journal-remote failed: {done.stderr.decode()}")
