"""Opt-in: switch on the kernel's own rate-limited debug lines for the window-shrink and
drop-open-request call sites, and put them back as they were.

Since about 3.19 those lines are `net_dbg_ratelimited()`, a pr_debug that prints only when
dynamic debug is enabled for its call site (Documentation/admin-guide/dynamic-debug-howto.rst).
Enabling is safe on a busy host: `net_ratelimit()` still lets through at most about 10 lines
every 5 s (net.core.message_burst / message_cost), whatever the traffic.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import KernelDebugError

CONTROL_FILES = (
    Path("/proc/dynamic_debug/control"),  # 6.x kernels without debugfs
    Path("/sys/kernel/debug/dynamic_debug/control"),
)
# (source file, a piece of the format string) of each call site, in every kernel wording:
# tcp_timer.c tcp_retransmit_timer(): "unexpectedly shrunk window" (3.19-6.5),
# "Probing zero-window on" (6.6+); tcp_input.c tcp_conn_request(): "drop open request from".
SITES = (
    ("tcp_timer.c", "shrunk window"),
    ("tcp_timer.c", "Probing zero-window"),
    ("tcp_input.c", "drop open request"),
)

# `net/ipv4/tcp_timer.c:470 [tcp]tcp_retransmit_timer =_ "Peer %pI4:%u/%u unexpectedly..."`
_SITE = re.compile(r'^(?P<file>\S+):(?P<line>\d+) \[[^\]]*\]\S+ =(?P<flags>\S+) "(?P<format>.*)"$')


@dataclass(frozen=True, slots=True)
class CallSite:
    file: str
    line: int
    enabled: bool  # the `p` flag is set


def find_control(candidates: Iterable[Path] = CONTROL_FILES) -> Path | None:
    return next((p for p in candidates if p.exists()), None)


def call_sites(control_text: str) -> list[CallSite]:
    """Our call sites among the control file's listing."""
    out = []
    for line in control_text.splitlines():
        m = _SITE.match(line)
        if m is None:
            continue
        name = m["file"].rsplit("/", 1)[-1]
        if any(name == f and piece in m["format"] for f, piece in SITES):
            out.append(CallSite(m["file"], int(m["line"]), "p" in m["flags"]))
    return out


class KernelDebug:
    """`enable()` turns the sites on; `restore()` turns off again those that were off."""

    def __init__(self, control: Path | None = None, candidates: Iterable[Path] = CONTROL_FILES):
        if control is not None:
            try:
                control.stat()
            except FileNotFoundError as exc:
                raise KernelDebugError(f"{control}: no such dynamic debug control file") from exc
            except PermissionError as exc:
                raise KernelDebugError(f"cannot reach {control}: it needs root") from exc
        found = control or find_control(candidates)
        if found is None:
            raise KernelDebugError(
                "this kernel has no dynamic debug control file (/proc/dynamic_debug/control or "
                "/sys/kernel/debug/dynamic_debug/control): it is built without "
                "CONFIG_DYNAMIC_DEBUG, or debugfs is not mounted. Run without "
                "--enable-kernel-debug; `ktcp sample` sees the same condition in the socket table"
            )
        self.control = found
        self._was_off: list[CallSite] = []

    def enable(self) -> list[CallSite]:
        """Enable every matching site; returns the sites found (empty: none in this kernel)."""
        sites = call_sites(self._read())
        self._was_off = [s for s in sites if not s.enabled]
        queries = [f'file {f} format "{piece}" +p' for f, piece in SITES]
        self._write(queries)
        return sites

    def restore(self) -> None:
        if self._was_off:
            self._write([f"file {s.file} line {s.line} -p" for s in self._was_off])
            self._was_off = []

    def _read(self) -> str:
        try:
            return self.control.read_text(encoding="utf-8", errors="replace")
        except PermissionError as exc:
            raise KernelDebugError(
                f"cannot read {self.control}: it needs root (or CAP_SYS_ADMIN with debugfs "
                "mounted readable)"
            ) from exc

    def _write(self, queries: list[str]) -> None:
        # One write, queries separated by newlines: the control file takes several at once.
        try:
            with self.control.open("w", encoding="utf-8") as out:
                out.write("\n".join(queries) + "\n")
        except PermissionError as exc:
            raise KernelDebugError(
                f"cannot write {self.control}: enabling kernel debug lines needs root"
            ) from exc
        except OSError as exc:
            raise KernelDebugError(f"{self.control} refused {queries!r}: {exc}") from exc
