"""Kibana saved objects for ktcp's events, and the client that imports them.

`saved_objects()` is the set; `ndjson()` renders it in the export format that kibana/ commits
and `ktcp setup kibana` uploads.
"""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.kibana.format import MIN_KIBANA_VERSION
from pipeline.kibana.saved_set import saved_objects

NDJSON_NAME = "ktcp.ndjson"


def ndjson() -> str:
    """One object a line, keys sorted, as committed in kibana/ktcp.ndjson."""
    return "".join(
        json.dumps(obj, sort_keys=True, ensure_ascii=False) + "\n" for obj in saved_objects()
    )


def stale(directory: Path) -> list[str]:
    """[NDJSON_NAME] when the committed file differs from what the code renders, else []."""
    path = directory / NDJSON_NAME
    fresh = path.exists() and path.read_text(encoding="utf-8") == ndjson()
    return [] if fresh else [NDJSON_NAME]


def write(directory: Path) -> list[Path]:
    path = directory / NDJSON_NAME
    if not stale(directory):
        return []
    directory.mkdir(parents=True, exist_ok=True)
    path.write_text(ndjson(), encoding="utf-8")
    return [path]


__all__ = ["MIN_KIBANA_VERSION", "NDJSON_NAME", "ndjson", "saved_objects", "stale", "write"]
