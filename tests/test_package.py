"""The package's public face: a sorted __all__ of importable names, fresh schemas."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pipeline
from pipeline import schemas

ROOT = Path(__file__).resolve().parents[1]


def _isort_key(name: str) -> tuple[int, str]:
    """ruff's __all__ order (RUF022): CONSTANTS, then Classes, then functions."""
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)


def test_public_api_is_sorted_and_importable() -> None:
    assert list(pipeline.__all__) == sorted(pipeline.__all__, key=_isort_key)
    for name in pipeline.__all__:
        assert getattr(pipeline, name) is not None


def test_committed_schemas_match_the_models() -> None:
    assert schemas.stale(ROOT / "schemas") == [], "run `ktcp schemas` and commit the result"


def test_document_schema_names_every_contract_field() -> None:
    doc = schemas.document_schema()
    assert doc["properties"]["source"]["properties"]["ip"]["anyOf"]
    assert "snd_una" in doc["properties"]["ktcp"]["properties"]["window"]["properties"]


def test_parse_imports_only_what_it_uses() -> None:
    """Start-up is most of a short run: `ktcp parse` must not load the shipping clients."""
    code = (
        "import sys, runpy\n"
        "sys.argv = ['ktcp', 'parse', '-', '--no-enrich']\n"
        "try:\n"
        "    runpy.run_module('pipeline.cli', run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = sorted(m for m in ('elasticsearch', 'elastic_transport', 'requests', "
        "'prometheus_client', 'fluent', 'pipeline.agent', 'pipeline.report.model') "
        "if m in sys.modules)\n"
        "print('HEAVY', heavy, file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], input=b"", capture_output=True, timeout=120, check=True
    )
    assert b"HEAVY []" in result.stderr, result.stderr.decode()
