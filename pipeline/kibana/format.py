"""Kibana 8 saved objects as the export API writes them: envelope and every object type.

Each builder returns one object in the NDJSON export format: `type`, `id`, `attributes`,
`references`, `coreMigrationVersion`, `typeMigrationVersion`, `managed`. Filters are written the
way Kibana persists them: the data view id becomes a named reference, whose name a saved search
keeps in `meta.indexRefName` and Lens (since its 8.1.0 migration) in `meta.index`; the
Elasticsearch query each filter stands for sits beside it in `query`, which Kibana sends to
Elasticsearch verbatim.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

# Kibana migrates an imported object from its typeMigrationVersion up to its own version and
# refuses one stamped newer than the migrations it knows. These are the versions Kibana 8.9
# stamps on its own exports of each type, so the set imports into 8.9.0 and every later 8.x.
CORE_MIGRATION_VERSION = "8.8.0"
TYPE_MIGRATION_VERSIONS = {
    "index-pattern": "8.0.0",
    "search": "8.0.0",
    "lens": "8.9.0",
    "dashboard": "8.9.0",
}
MIN_KIBANA_VERSION = "8.9.0"

Obj = dict[str, Any]
Ref = dict[str, str]


def to_json(value: Any) -> str:
    """JSON text the way Kibana's JSON.stringify writes it (no spaces), for *JSON attributes."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def envelope(type_: str, id_: str, attributes: Obj, references: Sequence[Ref]) -> Obj:
    return {
        "type": type_,
        "id": id_,
        "attributes": attributes,
        "references": list(references),
        "coreMigrationVersion": CORE_MIGRATION_VERSION,
        "typeMigrationVersion": TYPE_MIGRATION_VERSIONS[type_],
        "managed": False,
    }


def data_view(id_: str, pattern: str, name: str, time_field: str) -> Obj:
    return envelope(
        "index-pattern",
        id_,
        {
            "title": pattern,
            "name": name,
            "timeFieldName": time_field,
            "allowNoIndex": False,
            "fields": "[]",
            "fieldAttrs": "{}",
            "fieldFormatMap": "{}",
            "runtimeFieldMap": "{}",
            "sourceFilters": "[]",
            "typeMeta": "{}",
        },
        [],
    )


# --- filters (the pills under the query bar) ----------------------------------------------


@dataclass(frozen=True)
class Filter:
    """One filter pill: its Elasticsearch query, and the meta Kibana shows and edits it by."""

    field: str
    meta: Obj
    query: Obj
    negate: bool = False

    def persisted(self, ref_key: str, ref_name: str) -> Obj:
        meta = {
            "alias": None,
            "disabled": False,
            "negate": self.negate,
            "key": self.field,
            "field": self.field,
            **self.meta,
            ref_key: ref_name,
        }
        return {"meta": meta, "query": self.query, "$state": {"store": "appState"}}


def is_(field: str, value: str | int) -> Filter:
    """`field` is `value` (Kibana's "is" filter)."""
    return Filter(
        field,
        {"type": "phrase", "params": {"query": value}},
        {"match_phrase": {field: value}},
    )


def is_one_of(field: str, values: Sequence[str | int]) -> Filter:
    """`field` is one of `values` (Kibana's "is one of" filter)."""
    return Filter(
        field,
        {"type": "phrases", "params": list(values), "value": ", ".join(map(str, values))},
        {
            "bool": {
                "should": [{"match_phrase": {field: v}} for v in values],
                "minimum_should_match": 1,
            }
        },
    )


def exists(field: str) -> Filter:
    """`field` has a value (Kibana's "exists" filter)."""
    return Filter(field, {"type": "exists", "value": "exists"}, {"exists": {"field": field}})


def _persist_filters(
    filters: Sequence[Filter], data_view_id: str, ref_key: str, ref_name: Callable[[int], str]
) -> tuple[list[Obj], list[Ref]]:
    persisted, refs = [], []
    for i, f in enumerate(filters):
        name = ref_name(i)
        persisted.append(f.persisted(ref_key, name))
        refs.append({"name": name, "type": "index-pattern", "id": data_view_id})
    return persisted, refs


# Saved searches and Lens keep the query bar empty: the meaning lives in the filters, which
# Kibana sends verbatim. An empty Lucene query is Elasticsearch's match_all.
EMPTY_QUERY = {"query": "", "language": "lucene"}


# --- saved searches (Discover) ---------------------------------------------------------------

SEARCH_INDEX_REF = "kibanaSavedObjectMeta.searchSourceJSON.index"


def saved_search(
    id_: str,
    title: str,
    description: str,
    data_view_id: str,
    filters: Sequence[Filter],
    columns: Sequence[str],
    sort: Sequence[tuple[str, str]],
) -> Obj:
    persisted, refs = _persist_filters(
        filters,
        data_view_id,
        "indexRefName",
        lambda i: f"kibanaSavedObjectMeta.searchSourceJSON.filter[{i}].meta.index",
    )
    source = {
        "query": EMPTY_QUERY,
        "highlightAll": True,
        "filter": persisted,
        "indexRefName": SEARCH_INDEX_REF,
    }
    attributes = {
        "title": title,
        "description": description,
        "columns": list(columns),
        "sort": [[field, order] for field, order in sort],
        "grid": {},
        "hideChart": False,
        "isTextBasedQuery": False,
        "timeRestore": False,
        "kibanaSavedObjectMeta": {"searchSourceJSON": to_json(source)},
    }
    index_ref = {"name": SEARCH_INDEX_REF, "type": "index-pattern", "id": data_view_id}
    return envelope("search", id_, attributes, [index_ref, *refs])


# --- Lens ------------------------------------------------------------------------------------

COUNT_COLUMN = "count"


@dataclass(frozen=True)
class Terms:
    """Top `size` values of `field`, by event count."""

    field: str
    data_type: str  # Lens's name for the field's type: string, number, ip, boolean
    label: str
    size: int = 10


@dataclass(frozen=True)
class DateHistogram:
    field: str
    label: str


@dataclass(frozen=True)
class Ranges:
    """Buckets of a numeric field: (from inclusive, to exclusive or None for open, label)."""

    field: str
    label: str
    ranges: tuple[tuple[int, int | None, str], ...]


Bucket = Terms | DateHistogram | Ranges


def _bucket_column(bucket: Bucket) -> Obj:
    common = {"label": bucket.label, "customLabel": True, "isBucketed": True}
    if isinstance(bucket, Terms):
        return {
            **common,
            "dataType": bucket.data_type,
            "operationType": "terms",
            "scale": "ordinal",
            "sourceField": bucket.field,
            "params": {
                "size": bucket.size,
                "orderBy": {"type": "column", "columnId": COUNT_COLUMN},
                "orderDirection": "desc",
                "otherBucket": False,
                "missingBucket": False,
                "parentFormat": {"id": "terms"},
            },
        }
    if isinstance(bucket, DateHistogram):
        return {
            **common,
            "dataType": "date",
            "operationType": "date_histogram",
            "scale": "interval",
            "sourceField": bucket.field,
            "params": {"interval": "auto", "includeEmptyRows": True, "dropPartials": False},
        }
    return {
        **common,
        "dataType": "number",
        "operationType": "range",
        "scale": "ordinal",
        "sourceField": bucket.field,
        "params": {
            "type": "range",
            "ranges": [{"from": lo, "to": hi, "label": label} for lo, hi, label in bucket.ranges],
            "maxBars": "auto",
            "parentFormat": {"id": "range", "params": {"template": "arrow_right"}},
        },
    }


def _count_column() -> Obj:
    return {
        "label": "Events",
        "customLabel": True,
        "dataType": "number",
        "operationType": "count",
        "isBucketed": False,
        "scale": "ratio",
        "sourceField": "___records___",
        "params": {"emptyAsNull": True},
    }


def lens_bar(
    id_: str,
    title: str,
    description: str,
    data_view_id: str,
    filters: Sequence[Filter],
    x: Bucket,
    breakdown: Terms | None = None,
    horizontal: bool = False,
) -> Obj:
    """A Lens bar chart of event counts over `x`, stacked by `breakdown` when given."""
    layer_id = "layer-1"
    buckets = {"x": x} if breakdown is None else {"breakdown": breakdown, "x": x}
    columns = {name: _bucket_column(b) for name, b in buckets.items()}
    columns[COUNT_COLUMN] = _count_column()
    if breakdown is not None:
        series = "bar_vertical_stacked"
    else:
        series = "bar_horizontal" if horizontal else "bar_vertical"
    layer: Obj = {
        "layerId": layer_id,
        "layerType": "data",
        "seriesType": series,
        "xAccessor": "x",
        "accessors": [COUNT_COLUMN],
        "position": "top",
        "showGridlines": False,
    }
    if breakdown is not None:
        layer["splitAccessor"] = "breakdown"
    persisted, filter_refs = _persist_filters(
        filters, data_view_id, "index", lambda i: f"filter-index-pattern-{i}"
    )
    state = {
        "datasourceStates": {
            "formBased": {
                "layers": {
                    layer_id: {
                        "columns": columns,
                        "columnOrder": [*buckets, COUNT_COLUMN],
                        "incompleteColumns": {},
                        "sampling": 1,
                    }
                }
            }
        },
        "visualization": {
            "legend": {"isVisible": breakdown is not None, "position": "right"},
            "valueLabels": "hide",
            "fittingFunction": "None",
            "preferredSeriesType": series,
            "layers": [layer],
        },
        "query": EMPTY_QUERY,
        "filters": persisted,
        "internalReferences": [],
        "adHocDataViews": {},
    }
    layer_ref = {
        "name": f"indexpattern-datasource-layer-{layer_id}",
        "type": "index-pattern",
        "id": data_view_id,
    }
    attributes = {
        "title": title,
        "description": description,
        "visualizationType": "lnsXY",
        "state": state,
    }
    return envelope("lens", id_, attributes, [layer_ref, *filter_refs])


# --- dashboards ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Panel:
    """A saved object shown on a dashboard (by reference), on Kibana's 48-column grid."""

    type: str
    id: str
    x: int
    y: int
    w: int
    h: int


def dashboard(id_: str, title: str, description: str, panels: Sequence[Panel]) -> Obj:
    panels_json, refs = [], []
    for n, panel in enumerate(panels, start=1):
        index = f"p{n}"
        panels_json.append(
            {
                "version": MIN_KIBANA_VERSION,
                "type": panel.type,
                "gridData": {"x": panel.x, "y": panel.y, "w": panel.w, "h": panel.h, "i": index},
                "panelIndex": index,
                "embeddableConfig": {"enhancements": {}},
                "panelRefName": f"panel_{index}",
            }
        )
        refs.append({"name": f"{index}:panel_{index}", "type": panel.type, "id": panel.id})
    attributes = {
        "title": title,
        "description": description,
        "panelsJSON": to_json(panels_json),
        "optionsJSON": to_json(
            {
                "useMargins": True,
                "syncColors": False,
                "syncCursor": True,
                "syncTooltips": False,
                "hidePanelTitles": False,
            }
        ),
        "timeRestore": True,
        "timeFrom": "now-7d",
        "timeTo": "now",
        "refreshInterval": {"pause": True, "value": 60000},
        "kibanaSavedObjectMeta": {
            "searchSourceJSON": to_json({"query": EMPTY_QUERY, "filter": []})
        },
    }
    return envelope("dashboard", id_, attributes, refs)
