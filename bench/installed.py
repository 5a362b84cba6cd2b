"""Child processes run as after `pip install`: the package's bytecode compiled, and written.

The development environment may set PYTHONDONTWRITEBYTECODE=1, which makes every child compile
every module it imports again: slower start-up and a higher peak RSS than a user sees.
"""

from __future__ import annotations

import compileall
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def child_env(**extra: str) -> dict[str, str]:
    """Compile pipeline/ once; the environment for a benchmark's `python -m pipeline.cli`."""
    compileall.compile_dir(ROOT / "pipeline", quiet=1)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env
