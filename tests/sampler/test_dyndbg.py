"""--enable-kernel-debug: enabling, restoring and refusing, against a control file that behaves
as Documentation/admin-guide/dynamic-debug-howto.rst describes (the real one is absent here)."""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

import pytest

from pipeline.errors import KernelDebugError
from pipeline.sampler.dyndbg import CONTROL_FILES, KernelDebug, call_sites, find_control

LISTING = (Path(__file__).resolve().parents[1] / "data/sampler/dynamic_debug_control").read_text()
_SITE = re.compile(r'^(\S+):(\d+) (\[[^\]]*\]\S+) =(\S+) "(.*)"$')


def kernel_applies(control: Path, listing: str) -> str:
    """What the kernel does with the queries just written: set or clear `p` on matching sites
    (keywords `file` = path or basename, `line`, `format` = substring), then list again."""
    queries = [shlex.split(q) for q in control.read_text().splitlines() if q.strip()]
    out = []
    for line in listing.splitlines():
        m = _SITE.match(line)
        if m is None:
            out.append(line)
            continue
        path, lineno, func, flags, fmt = m.groups()
        for q in queries:
            words = dict(zip(q[:-1:2], q[1:-1:2], strict=True))
            if "file" in words and words["file"] not in (path, path.rsplit("/", 1)[-1]):
                continue
            if "line" in words and int(words["line"]) != int(lineno):
                continue
            if "format" in words and words["format"] not in fmt:
                continue
            on = q[-1] == "+p"
            flags = ("p" + flags.replace("_", "")) if on else (flags.replace("p", "") or "_")
            flags = "".join(sorted(set(flags))) if flags != "_" else flags
        out.append(f'{path}:{lineno} {func} ={flags} "{fmt}"')
    text = "\n".join(out) + "\n"
    control.write_text(text)
    return text


def test_enable_turns_on_our_sites_only_and_restore_turns_back_what_was_off(
    tmp_path: Path,
) -> None:
    control = tmp_path / "control"
    control.write_text(LISTING)
    debug = KernelDebug(control)
    sites = debug.enable()
    # Both window-shrink sites and drop-open-request; not other tcp_input.c or driver sites.
    assert sorted((s.line, s.enabled) for s in sites) == [(470, False), (481, False), (7012, True)]
    after = kernel_applies(control, LISTING)
    enabled = {s.line for s in call_sites(after) if s.enabled}
    assert enabled == {470, 481, 7012}
    assert "2301 [tcp]tcp_mark_head_lost =_" in after
    assert "e1000_configure =_" in after

    debug.restore()
    restored = kernel_applies(control, after)
    # drop-open-request was on before we came, so it stays on.
    assert {s.line for s in call_sites(restored) if s.enabled} == {7012}


def test_restore_without_enable_writes_nothing(tmp_path: Path) -> None:
    control = tmp_path / "control"
    control.write_text(LISTING)
    KernelDebug(control).restore()
    assert control.read_text() == LISTING


def test_refuses_with_a_clear_error_where_the_kernel_has_no_dynamic_debug(tmp_path: Path) -> None:
    with pytest.raises(KernelDebugError, match="CONFIG_DYNAMIC_DEBUG"):
        KernelDebug(candidates=[tmp_path / "proc/dynamic_debug/control"])


def test_this_machine_is_detected_as_it_is() -> None:
    present = any(p.exists() for p in CONTROL_FILES)
    assert (find_control() is not None) == present
    if not present:  # as on the CI machines: a kernel without CONFIG_DYNAMIC_DEBUG
        with pytest.raises(KernelDebugError, match="no dynamic debug"):
            KernelDebug()


def test_refuses_when_the_control_file_may_not_be_written(tmp_path: Path) -> None:
    """As an unprivileged user: root ignores file modes, so a forked child drops to nobody."""
    tmp_path.chmod(0o755)
    control = tmp_path / "control"
    control.write_text(LISTING)
    control.chmod(0o444)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        try:
            if os.geteuid() == 0:
                os.setuid(65534)
            KernelDebug(control).enable()
            os.write(write_end, b"enabled")
        except KernelDebugError as exc:
            os.write(write_end, str(exc).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        said = pipe.read().decode()
    os.waitpid(pid, 0)
    assert "needs root" in said
    assert control.read_text() == LISTING
