"""Fixtures of the report tests; helpers.py is loaded by path (tests are not a package)."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent


def _load_helpers() -> Any:
    if "ktcp_report_helpers" in sys.modules:
        return sys.modules["ktcp_report_helpers"]
    spec = importlib.util.spec_from_file_location("ktcp_report_helpers", HERE / "helpers.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["ktcp_report_helpers"] = module
    spec.loader.exec_module(module)
    return module


helpers = _load_helpers()


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("corpus") / "kern.log"
    helpers.write_corpus(path, datetime.fromisoformat("2026-11-20T00:00:00+00:00"))
    return path


@pytest.fixture
def run_report() -> Callable[..., dict[str, Any]]:
    return helpers.report_json  # type: ignore[no-any-return]
