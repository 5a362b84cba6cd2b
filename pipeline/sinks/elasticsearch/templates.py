"""The Elasticsearch templates, generated from the ECS field table (pipeline.ecs.all_fields).

Self-contained: nothing relies on Elastic's built-in logs@* or ecs@mappings templates. One
ILM policy, two component templates (settings, mappings) and an index template that makes
`logs-kernel.tcp-*` a data stream, above Elastic's own `logs` template. schemas/elasticsearch/
holds them as rendered for a cluster with every feature; `ktcp setup elasticsearch` renders
them for the cluster at hand (see capabilities.py) and installs them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.ecs import DATASET, FieldSpec, all_fields
from pipeline.sinks.elasticsearch.capabilities import FULL, Capabilities

INDEX_PATTERN = f"logs-{DATASET}-*"  # Elastic's logs-<dataset>-<namespace> naming
PRIORITY = 200  # Elastic's built-in `logs` template (logs-*-*) has 100
POLICY = f"ktcp-logs-{DATASET}"
SETTINGS = "ktcp@settings"
MAPPINGS = "ktcp@mappings"
CUSTOM = "ktcp@custom"  # yours to add: composed last, optional
INDEX_TEMPLATE = f"ktcp-logs-{DATASET}"
KEYWORD_IGNORE_ABOVE = 1024  # as ECS

ILM_POLICY = "ilm_policy"
COMPONENT_TEMPLATE = "component_template"
INDEX_TEMPLATE_KIND = "index_template"
KINDS = (ILM_POLICY, COMPONENT_TEMPLATE, INDEX_TEMPLATE_KIND)  # install order


@dataclass(frozen=True)
class Lifecycle:
    """Rollover and retention of the ILM policy (Elasticsearch time and size units)."""

    rollover_max_age: str = "30d"
    rollover_max_primary_shard_size: str = "50gb"
    delete_after: str = "90d"


@dataclass(frozen=True)
class Template:
    kind: str  # ILM_POLICY, COMPONENT_TEMPLATE or INDEX_TEMPLATE_KIND
    name: str
    body: dict[str, Any] = field(hash=False)

    @property
    def path(self) -> str:
        return f"{self.kind}/{self.name}.json"

    @property
    def digest(self) -> str:
        return str(meta_of(self.kind, self.body)["digest"])


def field_mapping(spec: FieldSpec, capabilities: Capabilities) -> dict[str, Any]:
    if spec.es_type == "text":
        text = "match_only_text" if capabilities.match_only_text else "text"
        return {"type": text}
    if spec.es_type == "constant_keyword" and capabilities.constant_keyword:
        return {"type": spec.es_type, **({"value": spec.value} if spec.value else {})}
    es_type = "keyword" if spec.es_type == "constant_keyword" else spec.es_type
    mapping: dict[str, Any] = {"type": es_type}
    if not spec.index:  # kept in _source, costs nothing in the index (ECS event.original)
        mapping.update(index=False, doc_values=False)
    elif es_type == "keyword":
        mapping["ignore_above"] = KEYWORD_IGNORE_ABOVE
    return mapping


def properties(specs: Iterable[FieldSpec], capabilities: Capabilities) -> dict[str, Any]:
    """Nested `properties` from dotted names: source.ip -> source: {properties: {ip: ...}}."""
    root: dict[str, Any] = {}
    for spec in specs:
        *parents, leaf = spec.name.split(".")
        level = root
        for i, part in enumerate(parents):
            node = level.setdefault(part, {"properties": {}})
            if "properties" not in node:
                raise ValueError(f"{'.'.join(parents[: i + 1])} is both a field and an object")
            level = node["properties"]
        if leaf in level:
            raise ValueError(f"{spec.name} is both a field and an object")
        level[leaf] = field_mapping(spec, capabilities)
    return root


def render(
    capabilities: Capabilities = FULL, lifecycle: Lifecycle = Lifecycle()
) -> tuple[Template, ...]:
    """Every template, in install order, for a cluster offering `capabilities`."""
    templates = []
    settings: dict[str, Any] = {}
    if capabilities.ilm and capabilities.data_streams:
        templates.append(
            Template(ILM_POLICY, POLICY, _with_meta(ILM_POLICY, {"policy": _policy(lifecycle)}))
        )
        settings["index.lifecycle.name"] = POLICY
    templates.append(
        Template(
            COMPONENT_TEMPLATE,
            SETTINGS,
            _with_meta(COMPONENT_TEMPLATE, {"template": {"settings": settings}}),
        )
    )
    mappings = {
        # fields outside the contract stay in _source but are not indexed: no guessed types
        "dynamic": False,
        "properties": properties(all_fields(), capabilities),
    }
    templates.append(
        Template(
            COMPONENT_TEMPLATE,
            MAPPINGS,
            _with_meta(COMPONENT_TEMPLATE, {"template": {"mappings": mappings}}),
        )
    )
    index_template: dict[str, Any] = {
        "index_patterns": [INDEX_PATTERN],
        "priority": PRIORITY,
        "composed_of": [SETTINGS, MAPPINGS, CUSTOM],
        "ignore_missing_component_templates": [CUSTOM],
    }
    if capabilities.data_streams:
        index_template["data_stream"] = {}
    templates.append(
        Template(
            INDEX_TEMPLATE_KIND, INDEX_TEMPLATE, _with_meta(INDEX_TEMPLATE_KIND, index_template)
        )
    )
    return tuple(templates)


def render_templates(
    capabilities: Capabilities = FULL, lifecycle: Lifecycle = Lifecycle()
) -> dict[str, dict[str, Any]]:
    """Relative file path (kind/name.json) -> request body."""
    return {t.path: t.body for t in render(capabilities, lifecycle)}


def dumps(body: dict[str, Any]) -> str:
    return json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_templates(directory: Path) -> list[Path]:
    """Write the full-featured templates under `directory`; the files written."""
    written = []
    for relative, body in render_templates().items():
        path = Path(directory) / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dumps(body), encoding="utf-8")
        written.append(path)
    return written


def meta_of(kind: str, body: dict[str, Any]) -> dict[str, Any]:
    """The `_meta` of a body as PUT or as read back (ILM keeps it inside `policy`)."""
    holder = body.get("policy", {}) if kind == ILM_POLICY else body
    meta = holder.get("_meta")
    return meta if isinstance(meta, dict) else {}


def _with_meta(kind: str, body: dict[str, Any]) -> dict[str, Any]:
    # The digest of the body lets `setup` tell "unchanged" from "changed" without comparing
    # the cluster's normalised echo of a body with ours.
    digest = hashlib.sha256(dumps(body).encode()).hexdigest()[:16]
    meta = {
        "managed_by": "ktcp",
        "description": f"ktcp: kernel TCP events ({DATASET}); generated, do not edit",
        "digest": digest,
    }
    holder = body["policy"] if kind == ILM_POLICY else body
    holder["_meta"] = meta
    return body


def _policy(lifecycle: Lifecycle) -> dict[str, Any]:
    return {
        "phases": {
            "hot": {
                "min_age": "0ms",
                "actions": {
                    "rollover": {
                        "max_age": lifecycle.rollover_max_age,
                        "max_primary_shard_size": lifecycle.rollover_max_primary_shard_size,
                    }
                },
            },
            "delete": {"min_age": lifecycle.delete_after, "actions": {"delete": {}}},
        }
    }
