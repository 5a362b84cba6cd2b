"""The package's public face: a sorted __all__ of importable names, fresh schemas."""

from __future__ import annotations

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
