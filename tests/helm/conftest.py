"""The chart, the tools that check it (built by scripts/ci-tools.sh) and helpers to render it.

Without the tools the tests skip, saying how to build them; CI sets KTCP_REQUIRE_TOOLS=1,
which turns a missing tool into a failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "helm" / "ktcp"
CI_VALUES = sorted((CHART / "ci").glob("*.yaml"))
TOOLS_BIN = Path(os.environ.get("KTCP_TOOLS_DIR", Path.home() / ".cache" / "ktcp-tools")) / "bin"
# Kinds that only exist with an operator installed; rendered only when asked for.
SERVICE_MONITOR_API = "monitoring.coreos.com/v1/ServiceMonitor"


def tool(name: str) -> Path:
    path = TOOLS_BIN / name
    if not (path.is_file() and os.access(path, os.X_OK)):
        message = f"{name} is not built: run scripts/ci-tools.sh (it builds into {TOOLS_BIN})"
        if os.environ.get("KTCP_REQUIRE_TOOLS") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return path


def run(argv: Sequence[str | Path], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """Run a tool with a bounded time; output captured as text."""
    kwargs.setdefault("timeout", 120)
    return subprocess.run(
        [str(a) for a in argv], capture_output=True, text=True, check=False, **kwargs
    )


def helm_template(
    values: Iterable[Path] = (),
    sets: Iterable[str] = (),
    api_versions: Iterable[str] = (),
    release: str = "ktcp",
    namespace: str = "kube-logging",
) -> str:
    argv: list[str | Path] = [tool("helm"), "template", release, CHART, "-n", namespace]
    for path in values:
        argv += ["-f", path]
    for assignment in sets:
        argv += ["--set", assignment]
    for api in api_versions:
        argv += ["--api-versions", api]
    done = run(argv)
    assert done.returncode == 0, f"helm template failed:\n{done.stderr}"
    return done.stdout


def objects(manifest: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(manifest) if doc]


def render(values: Path | None = None, *sets: str, **kwargs: Any) -> list[dict[str, Any]]:
    return objects(helm_template([values] if values else [], sets, **kwargs))


def find(docs: list[dict[str, Any]], kind: str, name_suffix: str = "") -> dict[str, Any]:
    found = [d for d in docs if d["kind"] == kind and d["metadata"]["name"].endswith(name_suffix)]
    assert len(found) == 1, f"expected one {kind} *{name_suffix}, found {len(found)}"
    return found[0]


def values_of(path: Path | None) -> dict[str, Any]:
    """The chart's defaults with a ci values file merged over them, as helm merges them."""
    merged: dict[str, Any] = yaml.safe_load((CHART / "values.yaml").read_text())
    if path is not None:
        _merge(merged, yaml.safe_load(path.read_text()) or {})
    return merged


def _merge(into: dict[str, Any], over: dict[str, Any]) -> None:
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


def ci_id(path: Path | None) -> str:
    return path.stem if path else "defaults"


@pytest.fixture(scope="session")
def tools_on_path() -> dict[str, str]:
    """An environment whose PATH finds the built tools first (helm calls no other tool)."""
    for name in ("helm", "kubectl"):
        tool(name)
    env = dict(os.environ)
    env["PATH"] = f"{TOOLS_BIN}{os.pathsep}{env.get('PATH', '')}"
    assert shutil.which("helm", path=env["PATH"]) == str(TOOLS_BIN / "helm")
    return env
