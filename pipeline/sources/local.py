"""The local machine's kernel log, the default input: journald, else a syslog file, else dmesg.

Lines read from the local kernel that carry only `[uptime]` are dated with `boot_time()`.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import cast

from pipeline.errors import InputError
from pipeline.settings import BOOT_ID_FILE, READ_BLOCK_BYTES
from pipeline.sources.blocks import Block, complete_lines
from pipeline.sources.files import read_file

JOURNALCTL = ("journalctl", "-k", "-o", "json", "--no-pager")
KERNEL_LOG_FILES = ("/var/log/kern.log", "/var/log/messages")
# iso carries the wall clock; -r keeps the level; plain dmesg is BusyBox's only form.
DMESG_COMMANDS = (("dmesg", "--time-format", "iso"), ("dmesg", "-r"), ("dmesg",))
PROBE_TIMEOUT_SECS = 15.0
DMESG_TIMEOUT_SECS = 60.0


@dataclass(frozen=True)
class LocalLog:
    """The chosen source, its blocks, and why each source tried before it was passed over."""

    name: str  # "journald", "/var/log/kern.log", "dmesg --time-format iso"
    blocks: Iterator[Block]
    passed_over: tuple[str, ...] = field(default=())


def open_local_log(
    *,
    journalctl: Sequence[str] = JOURNALCTL,
    files: Sequence[str] = KERNEL_LOG_FILES,
    dmesg: Sequence[Sequence[str]] = DMESG_COMMANDS,
) -> LocalLog:
    """The first readable local kernel log; InputError listing every reason when none is."""
    reasons: list[str] = []
    reason = _probe_journal(journalctl)
    if reason is None:
        return LocalLog("journald", _stream(journalctl), tuple(reasons))
    reasons.append(f"journald: {reason}")
    for path in files:
        try:
            if Path(path).stat().st_size == 0:
                reasons.append(f"{path}: empty")
                continue
            return LocalLog(path, read_file(path), tuple(reasons))
        except OSError as exc:
            reasons.append(f"{path}: {exc.strerror or exc}")
        except InputError as exc:
            reasons.append(str(exc))
    for argv in dmesg:
        output, reason = _run(argv)
        if reason is None and not output:
            reason = "no output"
        if reason is None:
            return LocalLog(" ".join(argv), complete_lines([output]), tuple(reasons))
        reasons.append(f"{' '.join(argv)}: {reason}")
    raise InputError("no local kernel log is readable: " + "; ".join(reasons))


def boot_time(stat_path: str = "/proc/stat") -> datetime | None:
    """When this machine booted (`btime` of /proc/stat), to date bare `[uptime]` lines."""
    try:
        with open(stat_path, encoding="ascii", errors="replace") as stat:
            for line in stat:
                if line.startswith("btime "):
                    return datetime.fromtimestamp(int(line.split()[1]), UTC)
    except (OSError, ValueError, IndexError):
        return None
    return None


def boot_id(path: str = BOOT_ID_FILE) -> str | None:
    """This boot's id (the same one journald records as _BOOT_ID, without dashes)."""
    try:
        with open(path, encoding="ascii") as f:
            return f.read().strip().replace("-", "") or None
    except OSError:
        return None


def _probe_journal(argv: Sequence[str]) -> str | None:
    """None when journalctl runs and has kernel entries; else why it cannot be used."""
    if shutil.which(argv[0]) is None:
        return f"{argv[0]} not found"
    output, reason = _run([*argv, "--lines=1", "--quiet"], PROBE_TIMEOUT_SECS)
    if reason is None and not output.strip():
        return "no kernel entries in the journal (no journal files, or no permission to read them)"
    return reason


def _run(argv: Sequence[str], timeout: float = DMESG_TIMEOUT_SECS) -> tuple[bytes, str | None]:
    """(stdout, None) when the command succeeds; (b"", reason) otherwise."""
    try:
        done = subprocess.run(list(argv), capture_output=True, timeout=timeout, check=False)
    except FileNotFoundError:
        return b"", "not found"
    except (OSError, subprocess.SubprocessError) as exc:
        return b"", str(exc)
    if done.returncode != 0:
        return b"", _first_line(done.stderr) or f"exit status {done.returncode}"
    return done.stdout, None


def _stream(argv: Sequence[str]) -> Iterator[Block]:
    """A command's output as it comes; InputError if it fails before finishing."""
    with tempfile.TemporaryFile() as errors:
        # stderr to a file, so a chatty command cannot block on a full pipe we do not read
        with subprocess.Popen(list(argv), stdout=subprocess.PIPE, stderr=errors) as proc:
            output = cast(io.BufferedReader, proc.stdout)
            try:
                yield from complete_lines(iter(partial(output.read1, READ_BLOCK_BYTES), b""))
            finally:
                if proc.poll() is None:
                    proc.terminate()
            status = proc.wait()
        if status != 0:
            errors.seek(0)
            reason = _first_line(errors.read()) or f"exit status {status}"
            raise InputError(f"{' '.join(argv)} failed: {reason}")


def _first_line(data: bytes) -> str:
    text = data.decode("utf-8", "replace").strip()
    return text.splitlines()[0] if text else ""
