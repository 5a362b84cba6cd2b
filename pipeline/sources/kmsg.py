"""/dev/kmsg: the kernel's ring buffer read record by record, resumed by boot id and sequence.

Each read() returns one record, `PRI,SEQ,USEC,FLAGS;message` plus ` KEY=value` continuation
lines (device metadata, dropped here; see Documentation/ABI/testing/dev-kmsg). The position is
`{"boot_id", "sequence"}`: after a restart in the same boot, records up to the saved sequence
are skipped; after a reboot (another boot id) the new boot is read from its first record still
in the ring. A read failing with EPIPE means the ring overwrote records before they were read;
the gap in sequence numbers is counted as lost, and reading goes on.
"""

from __future__ import annotations

import errno
import os
import select
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from pipeline.errors import InputError
from pipeline.records import RawLine
from pipeline.sources.base import IDLE_SECS, Batch, Position

DEV_KMSG = "/dev/kmsg"
BOOT_ID = "/proc/sys/kernel/random/boot_id"
DMESG_RESTRICT = "/proc/sys/kernel/dmesg_restrict"
RECORD_BYTES = 16384  # a read shorter than its record fails with EINVAL; records are < 8 KiB
BATCH_RECORDS = 1000


def read_boot_id(path: str = BOOT_ID) -> str:
    try:
        return Path(path).read_text(encoding="ascii").strip()
    except OSError as exc:
        raise InputError(f"cannot read the boot id from {path}: {exc.strerror or exc}") from exc


def _restrict_note() -> str:
    try:
        value = Path(DMESG_RESTRICT).read_text(encoding="ascii").strip()
    except OSError:
        return ""
    return f" (kernel.dmesg_restrict = {value})"


def open_kmsg(path: str = DEV_KMSG) -> int:
    """A non-blocking read descriptor on /dev/kmsg, or InputError saying what to do."""
    try:
        return os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except PermissionError as exc:
        raise InputError(
            f"cannot read {path}: {exc.strerror}{_restrict_note()}. Reading the kernel log "
            "needs CAP_SYSLOG when kernel.dmesg_restrict=1: run as root, or grant the "
            "capability (systemd: AmbientCapabilities=CAP_SYSLOG; Kubernetes: "
            "securityContext.capabilities.add: [SYSLOG]), or use --source journald or file"
        ) from None
    except FileNotFoundError:
        raise InputError(
            f"{path} does not exist: in a container, mount the host's {path}, "
            "or use --source journald or file"
        ) from None
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None


class KmsgSource:
    kind = "kmsg"

    def __init__(self, path: str = DEV_KMSG, boot_id_path: str = BOOT_ID) -> None:
        self.path = path
        self.boot_id_path = boot_id_path

    def describe(self) -> str:
        return self.path

    def check(self) -> None:
        """InputError now (at start) rather than in the reading thread."""
        read_boot_id(self.boot_id_path)
        os.close(open_kmsg(self.path))

    def batches(self, resume: Position, stop: threading.Event) -> Iterator[Batch]:
        boot_id = read_boot_id(self.boot_id_path)
        last: int | None = None
        if isinstance(resume, dict) and resume.get("boot_id") == boot_id:
            last = int(resume["sequence"])  # same boot: skip what was delivered
        fd = open_kmsg(self.path)
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        try:
            while not stop.is_set():
                lines: list[RawLine] = []
                lost = 0
                newest_usec: int | None = None
                while len(lines) < BATCH_RECORDS:
                    try:
                        data = os.read(fd, RECORD_BYTES)
                    except BlockingIOError:
                        break
                    except BrokenPipeError:
                        continue  # overwritten: the next read gives the oldest record left
                    except OSError as exc:
                        if exc.errno == errno.EINTR:
                            continue
                        raise InputError(f"cannot read {self.path}: {exc.strerror}") from None
                    if not data:
                        break
                    header = _header(data)
                    if header is None:
                        continue
                    sequence, usec = header
                    if last is not None and sequence <= last:
                        continue  # delivered before the restart
                    if last is not None and sequence > last + 1:
                        lost += sequence - last - 1
                    last = sequence
                    newest_usec = usec
                    first_line = data.split(b"\n", 1)[0]
                    text = first_line.decode("utf-8", "backslashreplace")
                    lines.append(RawLine(text, boot_id=boot_id))
                if lines or lost:
                    lag = None
                    if newest_usec is not None:
                        lag = max(0.0, time.clock_gettime(time.CLOCK_MONOTONIC) - newest_usec / 1e6)
                    position = {"boot_id": boot_id, "sequence": last}
                    yield Batch(position=position, lines=lines, lost=lost, lag_secs=lag)
                    continue
                if not poller.poll(IDLE_SECS * 1000):
                    yield Batch(lag_secs=0.0)  # idle: nothing new
        finally:
            os.close(fd)


def _header(record: bytes) -> tuple[int, int] | None:
    """(sequence, microseconds) of a record, None if it is not one."""
    head, sep, _ = record.partition(b";")
    fields = head.split(b",")
    if not sep or len(fields) < 3:
        return None
    try:
        return int(fields[1]), int(fields[2])
    except ValueError:
        return None
