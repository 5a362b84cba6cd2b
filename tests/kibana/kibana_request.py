"""The Elasticsearch request Kibana sends for a saved search or a Lens layer.

Approach (a) of the issue: the set keeps its meaning in filters stored as Elasticsearch DSL and
an empty Lucene query bar. Kibana's buildEsQuery sends a filter's `query` verbatim (meta and
$state dropped; negated filters under must_not, disabled ones left out), an empty Lucene query
as match_all and a non-empty one as query_string with analyze_wildcard, and adds the time
picker's range on the data view's time field. Nothing here translates a query language.

Why (a) and not KQL compiled by @cybernetex/kbn-es-query: with (a) the test sends the very
query Kibana sends, byte for byte, so there is nothing to be faithful to but Kibana's plumbing
above. That package is Kibana 7.x's compiler; Kibana 8.6+ compiles KQL on keyword fields to
term/wildcard instead of match/match_phrase, so the test would run a query production never
sends and still need a second check of the rewritten form, plus Node and an npm lockfile in CI.
Filter pills also show in Discover as what they are ("event.action: tcp-window-shrink") and
stay editable there, and a misspelt field in a filter fails the field checks instead of
silently matching nothing the way an unknown field in KQL does.
"""

from __future__ import annotations

import json
from typing import Any

Obj = dict[str, Any]


def _query_clause(query: Obj) -> Obj:
    assert query["language"] == "lucene", "the set keeps its queries in Lucene (see module doc)"
    text = query["query"]
    if not str(text).strip():
        return {"match_all": {}}
    return {"query_string": {"query": text, "analyze_wildcard": True}}


def es_query(query: Obj, filters: list[Obj], time_field: str, time_range: tuple[str, str]) -> Obj:
    must_filter, must_not = [], []
    for f in filters:
        if f["meta"].get("disabled"):
            continue
        clause = f.get("query") or {k: v for k, v in f.items() if k not in ("meta", "$state")}
        (must_not if f["meta"].get("negate") else must_filter).append(clause)
    time = {
        "range": {
            time_field: {
                "gte": time_range[0],
                "lte": time_range[1],
                "format": "strict_date_optional_time",
            }
        }
    }
    return {
        "bool": {
            "must": [_query_clause(query)],
            "filter": [*must_filter, time],
            "should": [],
            "must_not": must_not,
        }
    }


def search_request(search: Obj, time_field: str, time_range: tuple[str, str]) -> Obj:
    """Discover's request for a saved search: its query, filters and sort."""
    source = json.loads(search["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"])
    sort = [
        {field: {"order": order, "unmapped_type": "boolean"}}
        for field, order in search["attributes"]["sort"]
    ]
    return {
        "query": es_query(source["query"], source["filter"], time_field, time_range),
        "sort": sort,
        "size": 500,
        "track_total_hits": True,
    }


def _bucket_agg(column: Obj, fixed_interval: str) -> Obj:
    params = column["params"]
    if column["operationType"] == "terms":
        assert params["orderBy"] == {"type": "column", "columnId": "count"}
        return {
            "terms": {
                "field": column["sourceField"],
                "size": params["size"],
                "order": {"_count": params["orderDirection"]},
            }
        }
    if column["operationType"] == "date_histogram":
        # Lens picks "auto" from the time range; the test fixes one interval instead.
        return {
            "date_histogram": {
                "field": column["sourceField"],
                "fixed_interval": fixed_interval,
                "min_doc_count": 1,
            }
        }
    if column["operationType"] == "range":
        ranges = []
        for r in params["ranges"]:
            bounds = {k: r[k] for k in ("from", "to") if r.get(k) is not None}
            ranges.append({**bounds, "key": r["label"]})
        return {"range": {"field": column["sourceField"], "ranges": ranges, "keyed": False}}
    raise AssertionError(f"no request for Lens operation {column['operationType']}")


def lens_requests(
    lens: Obj, time_field: str, time_range: tuple[str, str], fixed_interval: str = "1h"
) -> dict[str, Obj]:
    """Layer id -> the aggregation request of that layer (bucket columns nested in order)."""
    state = lens["attributes"]["state"]
    requests = {}
    for layer_id, layer in state["datasourceStates"]["formBased"]["layers"].items():
        columns = layer["columns"]
        buckets = [c for c in layer["columnOrder"] if columns[c]["isBucketed"]]
        metrics = [c for c in layer["columnOrder"] if not columns[c]["isBucketed"]]
        assert [columns[m]["operationType"] for m in metrics] == ["count"]
        aggs: Obj = {}
        for column_id in reversed(buckets):
            agg = _bucket_agg(columns[column_id], fixed_interval)
            if aggs:
                agg["aggs"] = aggs
            aggs = {column_id: agg}
        requests[layer_id] = {
            "query": es_query(state["query"], state["filters"], time_field, time_range),
            "size": 0,
            "aggs": aggs,
        }
    return requests


def bucket_counts(aggs: Obj, column_ids: list[str]) -> dict[tuple[Any, ...], int]:
    """(key of each bucket column, ...) -> doc_count, read from a nested aggregation response."""
    out: dict[tuple[Any, ...], int] = {}

    def walk(node: Obj, depth: int, keys: tuple[Any, ...]) -> None:
        for bucket in node[column_ids[depth]]["buckets"]:
            key = (*keys, bucket.get("key_as_string", bucket["key"]))
            if depth + 1 == len(column_ids):
                if bucket["doc_count"]:
                    out[key] = bucket["doc_count"]
            else:
                walk(bucket, depth + 1, key)

    walk(aggs, 0, ())
    return out
