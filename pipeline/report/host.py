"""This machine's side of the report: its name, and its sysctls read (read-only) from /proc/sys.

Values are read only when the events come from this machine: a sysctl of another host would
be advice about the wrong box.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pipeline.report.model import HostContext
from pipeline.settings import PROC_SYS

ABSENT = "absent"  # the sysctl does not exist here (module not loaded, kernel too old or new)


@dataclass(frozen=True)
class HostSysctls:
    read: bool  # false: the events come from another host, or reading was turned off
    root: Path = Path(PROC_SYS)

    def value(self, name: str) -> str | None:
        """`net.ipv4.tcp_mem` -> `"188472 251298 376944"`; None when not read here."""
        if not self.read:
            return None
        try:
            text = (self.root / name.replace(".", "/")).read_text(encoding="utf-8")
        except FileNotFoundError:
            return ABSENT
        except OSError as exc:
            return f"unreadable ({exc.strerror or exc})"
        return " ".join(text.split())


def host_context(
    event_hosts: Iterable[str | None], local_input: bool, allowed: bool, root: Path | None = None
) -> tuple[HostContext, HostSysctls]:
    """Whether this machine is the one the events are about, and its sysctl reader."""
    hostname = socket.gethostname()
    hosts = sorted({h for h in event_hosts if h})
    same = local_input or (bool(hosts) and all(_same_host(h, hostname) for h in hosts))
    read = allowed and same
    if not allowed:
        note = "sysctl values not read (--no-host-values)"
    elif read:
        note = f"sysctl values read from this machine ({hostname}) at report time"
    elif not hosts:
        note = "sysctl values not read: the events do not say which host printed them"
    else:
        note = (
            f"sysctl values not read: the events come from {', '.join(hosts[:5])}, "
            f"this machine is {hostname}; run `ktcp report` there to see them"
        )
    sysctls = HostSysctls(read, root or Path(PROC_SYS))
    return HostContext(hostname=hostname, event_hosts=hosts, sysctls_read=read, note=note), sysctls


def _same_host(name: str, hostname: str) -> bool:
    return name.split(".")[0].lower() == hostname.split(".")[0].lower()
