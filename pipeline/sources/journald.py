"""The systemd journal's kernel entries, through `journalctl -o json` as a child process, resumed by
the journal's own cursor.

Each output line is one entry as a JSON object; it goes to the chain unchanged, where the
journald envelope reads it (`_BOOT_ID` + `_SOURCE_MONOTONIC_TIMESTAMP` give a stable
`event.id`, identity rule 1b). The position is `{"cursor": <__CURSOR of the last entry>}`,
committed by the agent only after the sink confirmed every event before it.

Two journalctl runs, one after the other:

1. catch up: `journalctl -k` (first start: this boot's kernel entries, as /dev/kmsg would show)
   or `journalctl _TRANSPORT=kernel --after-cursor C` (resume: every kernel entry after C, in
   whatever boot it was written), without --follow, to the end of what is stored;
2. follow: `journalctl _TRANSPORT=kernel --follow --after-cursor <last cursor>` for ever.

Why not one `journalctl -k --follow --after-cursor C`: `-k` implies `--boot` (this boot only),
so after a reboot the entries the previous boot wrote after C would be skipped; and journalctl
252 with --follow does not resume across a boot change (it jumped to the newest entries in our
tests) while the same command without --follow reads every entry after the cursor.
"""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import IO

from pipeline.errors import InputError
from pipeline.records import RawLine
from pipeline.sources.base import IDLE_SECS, Batch, Position

JOURNALCTL = "journalctl"
# Fields the journald envelope reads (journalctl adds __CURSOR, __REALTIME_TIMESTAMP,
# __MONOTONIC_TIMESTAMP and _BOOT_ID to every JSON entry anyway); the rest are never shipped.
OUTPUT_FIELDS = (
    "MESSAGE",
    "PRIORITY",
    "SYSLOG_FACILITY",
    "SYSLOG_IDENTIFIER",
    "_HOSTNAME",
    "_TRANSPORT",
    "_SOURCE_MONOTONIC_TIMESTAMP",
    "__SEQNUM",
    "__SEQNUM_ID",
)
KERNEL_MATCH = "_TRANSPORT=kernel"
SYSTEM_JOURNALS = ("/var/log/journal", "/run/log/journal")  # where journalctl looks by default
MACHINE_ID = "/etc/machine-id"
BATCH_RECORDS = 1000
READ_BYTES = 1 << 16
STOP_WAIT_SECS = 5.0  # journalctl gets this long to exit on SIGTERM before SIGKILL
PROBE_TIMEOUT_SECS = 15.0
NO_BOOT_YET = "No such boot ID"  # `-k` on a journal without entries of this boot
BAD_CURSOR = "Failed to seek to cursor"
_CURSOR_KEY = b'"__CURSOR":"'  # unescaped quotes: only a real key matches, never MESSAGE text
_REALTIME_KEY = b'"__REALTIME_TIMESTAMP":"'


class _CursorRejected(Exception):
    """journalctl could not use the stored cursor (not a cursor of this journal)."""


class JournaldSource:
    kind = "journald"

    def __init__(
        self,
        directory: Path | None = None,
        journalctl: str = JOURNALCTL,
        system_journals: tuple[str, ...] = SYSTEM_JOURNALS,
        machine_id_file: str = MACHINE_ID,
    ) -> None:
        self.journalctl = journalctl
        self.system_journals = system_journals
        self.directory = directory or host_journal(system_journals, machine_id_file)

    def describe(self) -> str:
        where = str(self.directory) if self.directory else "the system journal"
        return f"journalctl -k ({where})"

    def check(self) -> None:
        """InputError now (at start) rather than in the reading thread."""
        self._binary()
        if self.directory is not None:
            problem = directory_problem(self.directory)
            if problem is not None:
                raise InputError(f"the journal directory {self.directory} {problem}")
            return
        files = [p for d in self.system_journals for p in Path(d).glob("**/*.journal")]
        if files and not any(os.access(p, os.R_OK) for p in files):
            raise InputError(
                f"the journal files in {' and '.join(self.system_journals)} are not readable by "
                "this user: run as root or in the systemd-journal group (systemd: "
                "SupplementaryGroups=systemd-journal)"
            )

    def command(self, cursor: str | None, follow: bool) -> list[str]:
        argv = [self._binary(), "-o", "json", "--no-pager"]
        argv += ["--output-fields", ",".join(OUTPUT_FIELDS)]
        if self.directory is not None:
            argv += ["--directory", str(self.directory)]
        if cursor is not None:
            argv += ["--after-cursor", cursor, KERNEL_MATCH]
        elif follow:
            argv += ["--lines", "0", KERNEL_MATCH]  # nothing was stored: only what comes next
        else:
            argv += ["-k"]
        if follow:
            argv += ["--follow"]
        return argv

    def batches(self, resume: Position, stop: threading.Event) -> Iterator[Batch]:
        cursor = resume.get("cursor") if isinstance(resume, dict) else None
        if not isinstance(cursor, str) or not cursor:
            cursor = None
        try:
            cursor = yield from self._run(cursor, follow=False, stop=stop)
        except _CursorRejected as exc:
            yield Batch(
                warnings=(
                    f"journalctl rejected the saved cursor ({exc}); starting again from this "
                    "boot's first kernel entry (events already delivered are sent again, under "
                    "the same event.id)",
                )
            )
            cursor = yield from self._run(None, follow=False, stop=stop)
        if not stop.is_set():
            yield from self._run(cursor, follow=True, stop=stop)

    # -- internals -------------------------------------------------------------------------

    def _binary(self) -> str:
        found = shutil.which(self.journalctl)
        if found is None:
            raise InputError(
                f"{self.journalctl} not found: install systemd's journalctl (Debian/Ubuntu: "
                "package systemd), or use --source kmsg or --source file"
            )
        return found

    def _run(
        self, cursor: str | None, follow: bool, stop: threading.Event
    ) -> Generator[Batch, None, str | None]:
        """Batches of one journalctl run; returns the cursor of the last entry read."""
        argv = self.command(cursor, follow)
        with tempfile.TemporaryFile() as errors:
            try:
                # A killed agent leaves no journalctl behind: journalctl --follow exits when
                # its stdout closes (tests/agent/test_journald_source.py checks it).
                proc = subprocess.Popen(
                    argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=errors
                )
            except OSError as exc:
                raise InputError(f"cannot run {argv[0]}: {exc.strerror or exc}") from None
            try:
                cursor = yield from self._read(proc, errors, cursor, stop)
            finally:
                _end(proc)
            if stop.is_set():
                return cursor
            status = proc.returncode
            message = _messages(errors)
            if follow:
                raise InputError(
                    f"journalctl stopped following the journal (exit status {status}"
                    f"{': ' + message if message else ''}); the agent restarts from the last "
                    "delivered entry"
                )
            if status != 0:
                if cursor is None and NO_BOOT_YET in message:
                    return None  # an empty journal: nothing of this boot yet
                if BAD_CURSOR in message:
                    raise _CursorRejected(message)
                raise InputError(f"{' '.join(argv)} failed (exit status {status}): {message}")
            return cursor

    def _read(
        self,
        proc: subprocess.Popen[bytes],
        errors: IO[bytes],
        cursor: str | None,
        stop: threading.Event,
    ) -> Generator[Batch, None, str | None]:
        assert proc.stdout is not None
        fd = proc.stdout.fileno()
        os.set_blocking(fd, False)
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        partial = b""
        errors_seen = 0
        ended = False
        while not ended and not stop.is_set():
            lines: list[RawLine] = []
            newest: bytes | None = None
            while len(lines) < BATCH_RECORDS:
                try:
                    data = os.read(fd, READ_BYTES)
                except BlockingIOError:
                    break
                if not data:
                    ended = True
                    break
                *complete, partial = (partial + data).split(b"\n")
                for line in complete:
                    if line:
                        lines.append(RawLine(line.decode("utf-8", "backslashreplace")))
                        newest = line
            if ended:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(STOP_WAIT_SECS)  # at the end of its output: let it exit by itself
            if ended and partial:
                lines.append(RawLine(partial.decode("utf-8", "backslashreplace")))
                newest, partial = partial, b""
            warnings, errors_seen = _new_warnings(errors, errors_seen)
            if lines:
                assert newest is not None
                cursor = _field(newest, _CURSOR_KEY) or cursor
                yield Batch(
                    position={"cursor": cursor} if cursor else None,
                    lines=lines,
                    lag_secs=_lag(newest),
                    warnings=warnings,
                )
            elif warnings:
                yield Batch(warnings=warnings)
            elif not ended and not poller.poll(IDLE_SECS * 1000):
                yield Batch(lag_secs=0.0)  # idle: nothing new
        return cursor


def host_journal(
    system_journals: tuple[str, ...] = SYSTEM_JOURNALS, machine_id_file: str = MACHINE_ID
) -> Path | None:
    """The journal directory to name explicitly when journalctl's default would miss it, else
    None (journalctl's default: this machine's journal, runtime and persistent).

    Without --directory, journalctl opens only the journal of the machine named by
    /etc/machine-id (its `<machine-id>/` subdirectory). In a container that mounts the host's
    /var/log/journal, the container's machine id is another one, or there is none: the host's
    journal would look empty. Then the first standard directory holding journal files is named
    (`--directory` reads its machine-id subdirectories and follows new files after rotation).
    """
    try:
        machine = Path(machine_id_file).read_text(encoding="ascii").strip()
    except OSError:
        machine = ""
    if machine and any((Path(d) / machine).is_dir() for d in system_journals):
        return None
    for candidate in system_journals:
        if any(Path(candidate).glob("*/*.journal")) or any(Path(candidate).glob("*.journal")):
            return Path(candidate)
    return None


def directory_problem(directory: Path) -> str | None:
    """Why journalctl could not read journal files in `directory`, or None."""
    try:
        if not directory.is_dir():
            if directory.exists():
                return "is not a directory"
            return "does not exist (mount the host's /var/log/journal there)"
    except PermissionError:
        return "cannot be reached: a directory above it is not searchable by this user"
    if not os.access(directory, os.R_OK | os.X_OK):
        return "is not readable: run as root or in the systemd-journal group, or mount it readable"
    found = [p for pattern in ("*.journal", "*/*.journal") for p in directory.glob(pattern)]
    if not found:
        return "holds no journal files (*.journal, directly or in a machine-id subdirectory)"
    if not any(os.access(p, os.R_OK) for p in found):
        return (
            "holds journal files this user may not read: run as root or in the systemd-journal "
            "group"
        )
    return None


def journal_unusable(directory: Path | None = None, journalctl: str = JOURNALCTL) -> str | None:
    """None when a journal with kernel entries can be read (for `--source auto`); else why not."""
    if shutil.which(journalctl) is None:
        return f"{journalctl} not found"
    directory = directory or host_journal()
    if directory is not None:
        problem = directory_problem(directory)
        if problem is not None:
            return f"{directory} {problem}"
    elif not any(any(Path(d).glob("**/*.journal")) for d in SYSTEM_JOURNALS):
        return f"no journal files in {' or '.join(SYSTEM_JOURNALS)}"
    argv = [journalctl, "-k", "-o", "cat", "--no-pager", "--lines", "1", "--quiet"]
    if directory is not None:
        argv += ["--directory", str(directory)]
    try:
        done = subprocess.run(argv, capture_output=True, timeout=PROBE_TIMEOUT_SECS, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"{journalctl} did not run: {exc}"
    if done.returncode != 0 or not done.stdout.strip():
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()
        detail = f" ({said[0]})" if said else ""
        return f"no kernel entries of this boot in the journal{detail}"
    return None


def _field(line: bytes, key: bytes) -> str | None:
    """A string field of a journalctl JSON line, found without parsing the whole line."""
    start = line.find(key)
    if start < 0:
        return None
    start += len(key)
    end = line.find(b'"', start)
    return line[start:end].decode("ascii", "replace") if end > start else None


def _lag(line: bytes) -> float | None:
    realtime = _field(line, _REALTIME_KEY)
    if realtime is None or not realtime.isdigit():
        return None
    return max(0.0, time.time() - int(realtime) / 1_000_000)


def _new_warnings(errors: IO[bytes], seen: int) -> tuple[tuple[str, ...], int]:
    """journalctl's stderr lines written since the last look (truncated files it skips, ...)."""
    errors.seek(seen)
    data = errors.read()
    end = data.rfind(b"\n") + 1
    if end == 0:
        return (), seen
    lines = data[:end].decode("utf-8", "replace").splitlines()
    shown = (line for line in lines if line.strip() and NO_BOOT_YET not in line)
    return tuple(f"journalctl: {line}" for line in shown), seen + end


def _messages(errors: IO[bytes]) -> str:
    errors.seek(0)
    text = errors.read().decode("utf-8", "replace").strip()
    return "; ".join(line for line in text.splitlines()[-3:] if line.strip())


def _end(proc: subprocess.Popen[bytes]) -> None:
    """Stop journalctl if it still runs (SIGTERM, then SIGKILL), and reap it."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(STOP_WAIT_SECS)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()
