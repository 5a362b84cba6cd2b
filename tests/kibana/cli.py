"""Run the ktcp command from this work tree, as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CREDENTIAL_VARIABLES = ("KTCP_ES_API_KEY", "KTCP_ES_USER", "KTCP_ES_PASSWORD")


def ktcp(
    *args: str, env: dict[str, str] | None = None, timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    """`ktcp ARGS`; `env` is added to a copy of this environment without ktcp's credentials."""
    environ = {k: v for k, v in os.environ.items() if k not in CREDENTIAL_VARIABLES}
    environ.update({"PYTHONPATH": str(ROOT), **(env or {})})
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=environ,
        check=False,
        cwd=ROOT,
    )
