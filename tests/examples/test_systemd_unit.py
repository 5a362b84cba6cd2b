"""examples/systemd/ktcp-agent.service: systemd accepts it, it is hardened, and the agent
accepts its command line."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "examples" / "systemd" / "ktcp-agent.service"


def _service() -> dict[str, list[str]]:
    # systemd repeats keys (SystemCallFilter=), so the section is read by hand.
    values: dict[str, list[str]] = {}
    section = None
    for line in UNIT.read_text().splitlines():
        line = line.strip()
        if line.startswith("["):
            section = line
        elif section == "[Service]" and "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            values.setdefault(key, []).append(value)
    return values


def test_the_unit_is_hardened_and_keeps_only_the_capability_it_needs() -> None:
    service = _service()
    assert service["ProtectSystem"] == ["strict"]
    assert service["StateDirectory"] == ["ktcp"]
    assert service["CapabilityBoundingSet"] == ["CAP_SYSLOG"]
    assert service["AmbientCapabilities"] == ["CAP_SYSLOG"]
    assert service["NoNewPrivileges"] == ["yes"]
    assert "ProtectKernelLogs" not in service  # it would hide /dev/kmsg
    assert service["KillSignal"] == ["SIGTERM"]


def test_the_agent_accepts_the_units_command_line(tmp_path: Path) -> None:
    argv = shlex.split(_service()["ExecStart"][0])
    assert argv[1] == "agent"
    done = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", *argv[1:], "--check-config"],
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_systemd_analyze_verifies_the_unit(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    # The unit names /usr/local/bin/ktcp; point it at an executable that exists here.
    text = UNIT.read_text().replace("/usr/local/bin/ktcp", shutil.which("true") or "/bin/true")
    unit = tmp_path / "ktcp-agent.service"
    unit.write_text(text)
    done = subprocess.run(
        [analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == "", done.stderr
