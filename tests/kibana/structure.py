"""What a saved-object set must satisfy before Kibana sees it; each check returns its problems.

The rules come from Kibana 8's own definitions: the import envelope, the attribute schemas of
`search` (schemas '8.8.0' of the saved_search plugin) and `dashboard` (dashboardAttributesSchema,
unknown keys forbidden), how filters, searches, Lens layers and dashboard panels name their
references, and which Elasticsearch field types each use needs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

ENVELOPE_KEYS = {
    "type",
    "id",
    "attributes",
    "references",
    "coreMigrationVersion",
    "typeMigrationVersion",
    "managed",
}
SEARCH_KEYS = {
    "title",
    "description",
    "columns",
    "sort",
    "grid",
    "rowHeight",
    "rowsPerPage",
    "hideChart",
    "breakdownField",
    "kibanaSavedObjectMeta",
    "isTextBasedQuery",
    "usesAdHocDataView",
    "timeRestore",
    "timeRange",
    "refreshInterval",
    "viewMode",
    "hideAggregatedPreview",
    "hits",
    "version",
}
DASHBOARD_KEYS = {
    "title",
    "description",
    "kibanaSavedObjectMeta",
    "timeRestore",
    "timeFrom",
    "timeTo",
    "refreshInterval",
    "controlGroupInput",
    "panelsJSON",
    "optionsJSON",
    "hits",
    "version",
}
AGGREGATABLE = {
    "keyword",
    "long",
    "integer",
    "short",
    "byte",
    "double",
    "float",
    "date",
    "ip",
    "boolean",
}
NUMERIC = {"long", "integer", "short", "byte", "double", "float"}
LENS_DATA_TYPES = {
    "string": {"keyword"},
    "number": NUMERIC,
    "ip": {"ip"},
    "date": {"date"},
    "boolean": {"boolean"},
}

Obj = dict[str, Any]


def flat_mapping(template: Obj) -> dict[str, Obj]:
    """Dotted field name -> its mapping, from a component template."""
    out: dict[str, Obj] = {}

    def walk(props: Obj, prefix: str) -> None:
        for name, spec in props.items():
            if "properties" in spec:
                walk(spec["properties"], f"{prefix}{name}.")
            else:
                out[prefix + name] = spec

    walk(template["template"]["mappings"]["properties"], "")
    return out


def envelope_problems(objects: list[Obj]) -> Iterator[str]:
    seen: set[str] = set()
    for obj in objects:
        key = f"{obj.get('type')}:{obj.get('id')}"
        if key in seen:
            yield f"{key} appears twice (Kibana refuses the whole file)"
        seen.add(key)
        if set(obj) != ENVELOPE_KEYS:
            yield f"{key}: envelope keys {sorted(set(obj) ^ ENVELOPE_KEYS)} differ"
        if obj.get("managed") is not False:
            yield f"{key}: managed must be false (operators may edit these)"
        if not str(obj.get("id", "")).startswith("ktcp-"):
            yield f"{key}: id is not prefixed ktcp-"
        names = [r.get("name") for r in obj.get("references", [])]
        if len(names) != len(set(names)):
            yield f"{key}: two references share a name"
        for ref in obj.get("references", []):
            strings = all(isinstance(v, str) for v in ref.values())
            if set(ref) != {"name", "type", "id"} or not strings:
                yield f"{key}: reference {ref} is not {{name, type, id}}"


def schema_problems(obj: Obj) -> Iterator[str]:
    key = f"{obj['type']}:{obj['id']}"
    attrs = obj["attributes"]
    if not isinstance(attrs.get("title"), str) or not attrs["title"]:
        yield f"{key}: title is required"
    if obj["type"] == "search":
        if set(attrs) - SEARCH_KEYS:
            yield f"{key}: unknown search attributes {sorted(set(attrs) - SEARCH_KEYS)}"
        sort = attrs.get("sort", [])
        if not all(
            isinstance(s, list)
            and len(s) == 2
            and all(isinstance(x, str) for x in s)
            and s[1] in ("asc", "desc")
            for s in sort
        ):
            yield f"{key}: sort entries must be [field, asc|desc] pairs: {sort}"
        if not all(isinstance(c, str) for c in attrs.get("columns", [])):
            yield f"{key}: columns must be strings"
        if set(attrs["kibanaSavedObjectMeta"]) != {"searchSourceJSON"} or not isinstance(
            attrs["kibanaSavedObjectMeta"]["searchSourceJSON"], str
        ):
            yield f"{key}: kibanaSavedObjectMeta.searchSourceJSON must be a JSON string"
    if obj["type"] == "dashboard":
        if set(attrs) - DASHBOARD_KEYS:
            yield f"{key}: unknown dashboard attributes {sorted(set(attrs) - DASHBOARD_KEYS)}"
        for name in ("panelsJSON", "optionsJSON"):
            if not isinstance(attrs.get(name), str):
                yield f"{key}: {name} must be a JSON string"
        meta = attrs.get("kibanaSavedObjectMeta", {})
        if set(meta) - {"searchSourceJSON"} or not isinstance(meta.get("searchSourceJSON"), str):
            yield f"{key}: kibanaSavedObjectMeta.searchSourceJSON must be a JSON string"
    if obj["type"] == "lens" and not isinstance(attrs.get("state"), dict):
        yield f"{key}: Lens state must be an object"


def _ref(obj: Obj, name: str) -> Obj | None:
    return next((r for r in obj["references"] if r["name"] == name), None)


def reference_problems(objects: list[Obj]) -> Iterator[str]:
    """Every reference name used inside an object is a reference, and every reference resolves."""
    present = {(o["type"], o["id"]) for o in objects}
    for obj in objects:
        key = f"{obj['type']}:{obj['id']}"
        used: list[tuple[str, str | None]] = []  # (reference name, the type it must have)
        attrs = obj["attributes"]
        if obj["type"] == "search":
            source = json.loads(attrs["kibanaSavedObjectMeta"]["searchSourceJSON"])
            used.append((source.get("indexRefName"), "index-pattern"))
            used += [(f["meta"].get("indexRefName"), "index-pattern") for f in source["filter"]]
        if obj["type"] == "lens":
            state = attrs["state"]
            for layer_id in state["datasourceStates"]["formBased"]["layers"]:
                used.append((f"indexpattern-datasource-layer-{layer_id}", "index-pattern"))
            # Lens keeps the reference name in meta.index (its 8.1.0 migration moved it there).
            used += [(f["meta"].get("index"), "index-pattern") for f in state["filters"]]
            if any("indexRefName" in f["meta"] for f in state["filters"]):
                yield f"{key}: Lens filters name their data view in meta.index, not indexRefName"
        if obj["type"] == "dashboard":
            for panel in json.loads(attrs["panelsJSON"]):
                used.append((f"{panel['panelIndex']}:{panel['panelRefName']}", panel["type"]))
        for name, type_ in used:
            ref = _ref(obj, name) if name else None
            if ref is None:
                yield f"{key}: uses reference {name!r}, which it does not have"
            elif ref["type"] != type_:
                yield f"{key}: reference {name} is a {ref['type']}, expected {type_}"
        for ref in obj["references"]:
            if (ref["type"], ref["id"]) not in present:
                target = f"{ref['type']}:{ref['id']}"
                yield f"{key}: reference {ref['name']} -> {target} is not in the set"


def dsl_fields(query: Any) -> Iterator[tuple[str, str]]:
    """(field, use) for every field an Elasticsearch query names; use is 'search' or 'exists'."""
    if isinstance(query, list):
        for q in query:
            yield from dsl_fields(q)
        return
    if not isinstance(query, dict):
        return
    for kind, body in query.items():
        if kind == "bool":
            for clause in body.values():
                yield from dsl_fields(clause)
        elif kind == "exists":
            yield body["field"], "exists"
        elif kind in ("match_phrase", "match", "term", "terms", "range", "wildcard", "prefix"):
            for name in body:
                yield name, "search"
        elif kind == "match_all":
            continue
        else:
            yield f"<unchecked query {kind}>", "search"


def field_uses(obj: Obj) -> Iterator[tuple[str, str]]:
    """(field, use): use is column, sort, search, exists, time, or a Lens operation:dataType."""
    attrs = obj["attributes"]
    if obj["type"] == "index-pattern":
        yield attrs["timeFieldName"], "time"
    if obj["type"] == "search":
        source = json.loads(attrs["kibanaSavedObjectMeta"]["searchSourceJSON"])
        for column in attrs["columns"]:
            yield column, "column"
        for name, _ in attrs["sort"]:
            yield name, "sort"
        for f in source["filter"]:
            yield f["meta"]["key"], "filter key"
            yield from dsl_fields(f["query"])
    if obj["type"] == "lens":
        state = attrs["state"]
        for f in state["filters"]:
            yield f["meta"]["key"], "filter key"
            yield from dsl_fields(f["query"])
        for layer in state["datasourceStates"]["formBased"]["layers"].values():
            for column in layer["columns"].values():
                if column["sourceField"] != "___records___":
                    yield column["sourceField"], f"{column['operationType']}:{column['dataType']}"


def field_problems(objects: list[Obj], mapping: dict[str, Obj]) -> Iterator[str]:
    for obj in objects:
        key = f"{obj['type']}:{obj['id']}"
        for name, use in field_uses(obj):
            spec = mapping.get(name)
            if spec is None:
                yield f"{key}: {use} field {name} is not in the generated mapping"
                continue
            es_type = spec["type"]
            indexed = spec.get("index", True)
            doc_values = spec.get("doc_values", True)
            operation, _, data_type = use.partition(":")
            if use == "time" and es_type != "date":
                yield f"{key}: time field {name} is {es_type}, not date"
            elif use == "sort" and (es_type not in AGGREGATABLE or not doc_values):
                yield f"{key}: cannot sort on {name} ({es_type})"
            elif use in ("search", "filter key") and not indexed:
                yield f"{key}: cannot filter on {name}: it is not indexed"
            elif use == "exists" and not (indexed or doc_values):
                yield f"{key}: cannot test {name} for existence"
            elif operation in ("terms", "date_histogram", "range"):
                if es_type not in AGGREGATABLE or not doc_values:
                    yield f"{key}: no {operation} aggregation on {name} ({es_type})"
                if es_type not in LENS_DATA_TYPES.get(data_type, set()):
                    yield f"{key}: Lens dataType {data_type} does not fit {name} ({es_type})"
                if operation == "date_histogram" and es_type != "date":
                    yield f"{key}: date_histogram on {name} ({es_type})"
                if operation == "range" and es_type not in NUMERIC:
                    yield f"{key}: range on {name} ({es_type})"
