"""JSON Schema of the event models and of the ECS document, generated into schemas/.

The committed files are checked by a test: regenerate with `ktcp schemas` after changing a model.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pipeline.ecs import FieldSpec, all_fields
from pipeline.events import MESSAGE_ADAPTER

_ES_TO_JSON: dict[str, dict[str, Any]] = {
    "date": {"type": "string", "format": "date-time"},
    "text": {"type": "string"},
    "keyword": {"type": "string"},
    "long": {"type": "integer"},
    "double": {"type": "number"},
    "boolean": {"type": "boolean"},
    "constant_keyword": {"type": "string"},
    "ip": {"type": "string", "anyOf": [{"format": "ipv4"}, {"format": "ipv6"}]},
}


def models_schema() -> dict[str, Any]:
    schema: dict[str, Any] = MESSAGE_ADAPTER.json_schema(mode="serialization")
    schema["title"] = "ktcp kernel TCP message (one model per event.action)"
    return schema


def _insert(tree: dict[str, Any], spec: FieldSpec) -> None:
    node = tree
    *parents, leaf = spec.name.split(".")
    for part in parents:
        node = node.setdefault("properties", {}).setdefault(
            part, {"type": "object", "additionalProperties": False}
        )
    prop = dict(_ES_TO_JSON[spec.es_type])
    if spec.value is not None:
        prop["const"] = spec.value
    if spec.array:
        prop = {"type": "array", "items": prop}
    prop["description"] = spec.description
    node.setdefault("properties", {})[leaf] = prop


def document_schema() -> dict[str, Any]:
    tree: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "ktcp ECS document (docs/CONTRACT.md)",
        "type": "object",
        "additionalProperties": False,
        "required": ["@timestamp", "message", "ecs", "event", "network", "ktcp"],
    }
    for spec in all_fields():
        _insert(tree, spec)
    return tree


def report_schema() -> dict[str, Any]:
    from pipeline.report.model import Report

    schema: dict[str, Any] = Report.model_json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "ktcp report (`ktcp report --json`)"
    return schema


def rendered() -> dict[str, str]:
    """File name (relative to schemas/) -> content."""

    def dump(obj: Any) -> str:
        return json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n"

    files = {
        "event-models.schema.json": dump(models_schema()),
        "ecs-document.schema.json": dump(document_schema()),
        "report.schema.json": dump(report_schema()),
    }
    try:
        from pipeline.sinks.elasticsearch.templates import render_templates
    except ImportError:  # the Elasticsearch sink is optional at import time
        return files
    for name, body in render_templates().items():
        files[f"elasticsearch/{name}"] = dump(body)
    return files


def write(directory: Path) -> list[Path]:
    written = []
    for name, content in rendered().items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text(encoding="utf-8") != content:
            path.write_text(content, encoding="utf-8")
            written.append(path)
    return written


def stale(directory: Path) -> list[str]:
    """Names whose committed content differs from what the code generates."""
    out = []
    for name, content in rendered().items():
        path = directory / name
        if not path.exists() or path.read_text(encoding="utf-8") != content:
            out.append(name)
    return out
