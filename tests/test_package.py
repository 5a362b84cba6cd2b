"""The package's public face: a sorted __all__ of importable names, fresh schemas."""

from __future__ import annotations

import ast
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


def _modules_loaded_by(args: list[str], stdin: bytes, watched: tuple[str, ...]) -> list[str]:
    """Which of `watched` a `ktcp ARGS` run (in a fresh interpreter) has imported by its end."""
    code = (
        "import sys, runpy\n"
        f"sys.argv = ['ktcp', *{args!r}]\n"
        "try:\n"
        "    runpy.run_module('pipeline.cli', run_name='__main__')\n"
        "except SystemExit as exc:\n"
        "    assert not exc.code, exc.code\n"
        f"print('LOADED', sorted(m for m in {watched!r} if m in sys.modules), file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], input=stdin, capture_output=True, timeout=120, check=True
    )
    lines = [line for line in result.stderr.decode().splitlines() if line.startswith("LOADED ")]
    assert lines, result.stderr.decode()
    return list(ast.literal_eval(lines[-1].removeprefix("LOADED ")))


def test_parse_imports_only_what_it_uses() -> None:
    """Start-up is most of a short run: `ktcp parse` must not load the shipping clients."""
    heavy = (
        "elasticsearch",
        "elastic_transport",
        "requests",
        "prometheus_client",
        "fluent",
        "pipeline.agent",
        "pipeline.report.model",
    )
    assert _modules_loaded_by(["parse", "-", "--no-enrich"], b"", heavy) == []


# What `ktcp parse` of a log without TCP lines does not need, with enrichment on (the default):
# pydantic (and the asyncio it pulls in), the catalog's family table, the readers of databases
# the user did not give, the partial-match regex engine, the installed-package metadata, the
# progress bar. Together they were about 100 ms of a 180 ms start (docs/PERFORMANCE.md).
NOT_FOR_AN_EMPTY_PARSE = (
    "pydantic",
    "pydantic_core",
    "asyncio",
    "pipeline.catalog.families",
    "pipeline.catalog.base",
    "pipeline.catalog.truncation",
    "pipeline.fluentd_settings",
    "regex",
    "maxminddb",
    "ip2region",
    "importlib.metadata",
    "rich",
    "elasticsearch",
    "msgpack",
)


def test_parse_of_a_log_without_tcp_lines_starts_without_the_catalog() -> None:
    noise = b"\n" + b"Nov 24 08:00:00 web1 kernel: [  1.000000] eth0: link up\n"
    assert _modules_loaded_by(["parse", "-"], noise, NOT_FOR_AN_EMPTY_PARSE) == []


def test_the_first_tcp_line_loads_the_catalog() -> None:
    """The other side of the same test: the catalog is lazy, not missing."""
    line = b"Nov 24 08:00:00 web1 kernel: TCP: drop open request from 203.0.113.9/443\n"
    loaded = _modules_loaded_by(["parse", "-", "-o", "ndjson"], line, NOT_FOR_AN_EMPTY_PARSE)
    assert "pipeline.catalog.families" in loaded
    assert "pydantic" in loaded


def test_ndjson_of_a_file_without_tcp_lines_starts_without_the_catalog(tmp_path: Path) -> None:
    """The compiled fast path too waits for the first candidate line to load the family table."""
    log = tmp_path / "kern.log"
    log.write_bytes(b"Nov 24 08:00:00 web1 kernel: [  1.000000] eth0: link up\n" * 3)
    loaded = _modules_loaded_by(["parse", str(log), "-o", "ndjson"], b"", NOT_FOR_AN_EMPTY_PARSE)
    assert loaded == []
