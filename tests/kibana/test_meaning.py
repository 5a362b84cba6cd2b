"""Each saved search and Lens chart finds exactly what its title promises, on a real node.

The node holds samples/kern.log and tests/data/kibana/peers.log (peers of China Unicom, China
Telecom, China Mobile and others, every window-shrink wording, SYN floods, memory, orphans,
TIME-WAIT and conntrack lines), shipped by `ktcp ship`, and the zero-window peers `ktcp sample`
finds in tests/data/kibana/proc-net (a /proc/net with four connections held at zero window).
Kibana's request for each object is built as Kibana builds it (tests/kibana/kibana_request.py);
the expected answer is computed from the parsed documents by what the title says, not from the
object's own filters.
"""

from __future__ import annotations

import fnmatch
import itertools
import json
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pipeline import kibana
from tests.kibana.cli import ktcp
from tests.kibana.kibana_request import bucket_counts, lens_requests, search_request

ROOT = Path(__file__).resolve().parents[2]
INPUTS = [ROOT / "samples" / "kern.log", ROOT / "tests" / "data" / "kibana" / "peers.log"]
OBJECTS = {o["id"]: o for o in kibana.saved_objects()}
VIEW = next(o for o in OBJECTS.values() if o["type"] == "index-pattern")
TIME_FIELD = VIEW["attributes"]["timeFieldName"]
ALL_TIME = ("2000-01-01T00:00:00Z", "2100-01-01T00:00:00Z")
WS = "tcp-window-shrink"
ZW = "tcp-zero-window-peer"
SAMPLED_NET_DIR = ROOT / "tests" / "data" / "kibana" / "proc-net"

Doc = dict[str, Any]

pytestmark = pytest.mark.timeout(300)


def get(doc: Doc, dotted: str) -> Any:
    node: Any = doc
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def action(*names: str) -> Callable[[Doc], bool]:
    return lambda d: get(d, "event.action") in names


def window_shrink_from(isp: str) -> Callable[[Doc], bool]:
    return lambda d: get(d, "event.action") == WS and get(d, "ktcp.isp.name") == isp


# What each saved search's title promises, as a predicate on a parsed document.
SEARCHES: dict[str, Callable[[Doc], bool]] = {
    "ktcp-all-events": lambda d: True,
    "ktcp-window-shrink": action(WS),
    "ktcp-window-shrink-china-unicom": window_shrink_from("China Unicom"),
    "ktcp-window-shrink-china-telecom": window_shrink_from("China Telecom"),
    "ktcp-window-shrink-china-mobile": window_shrink_from("China Mobile"),
    "ktcp-window-shrink-by-isp": lambda d: action(WS)(d) and get(d, "ktcp.isp.name") is not None,
    "ktcp-syn-flood": action("tcp-syn-flood"),
    "ktcp-socket-pressure": action(
        "tcp-memory-pressure", "tcp-orphan-sockets", "tcp-timewait-overflow"
    ),
    "ktcp-conntrack-table-full": action("conntrack-table-full"),
    "ktcp-zero-window-peers": action(ZW),
}


def _hour(d: Doc) -> str:
    return str(get(d, "@timestamp"))[:13] + ":00:00.000Z"


def _outstanding(d: Doc) -> str | None:
    n = get(d, "ktcp.window.bytes_outstanding")
    return None if n is None else "1 byte (zero-window probe)" if n == 1 else "more than 1 byte"


# What each chart's title promises: which events it counts, and the key(s) of each bucket.
CHARTS: dict[str, tuple[Callable[[Doc], bool], list[Callable[[Doc], Any]]]] = {
    "ktcp-events-over-time-chart": (lambda d: True, [lambda d: get(d, "event.action"), _hour]),
    "ktcp-window-shrink-by-isp-chart": (action(WS), [lambda d: get(d, "ktcp.isp.name")]),
    "ktcp-window-shrink-top-peers-chart": (action(WS), [lambda d: get(d, "source.ip")]),
    "ktcp-local-ports-chart": (lambda d: True, [lambda d: get(d, "destination.port")]),
    "ktcp-peer-countries-chart": (
        lambda d: True,
        [lambda d: get(d, "source.geo.country_iso_code")],
    ),
    "ktcp-window-shrink-bytes-outstanding-chart": (action(WS), [_outstanding]),
    "ktcp-zero-window-peers-by-isp-chart": (
        lambda d: action(ZW)(d) and "start" in get(d, "event.type"),
        [lambda d: get(d, "ktcp.isp.name")],
    ),
}


@pytest.fixture(scope="module")
def indexed(es_templates: str) -> tuple[str, list[Doc]]:
    """A data stream holding both inputs as `ktcp ship` delivers them, and the parsed documents."""
    stream = f"logs-kernel.tcp-kibana{uuid.uuid4().hex[:10]}"
    parsed = ktcp("parse", "--output", "ndjson", *map(str, INPUTS))
    assert parsed.returncode == 0, parsed.stderr
    docs = [json.loads(line) for line in parsed.stdout.splitlines()]
    sampled = ktcp("sample", "--net-dir", str(SAMPLED_NET_DIR), "--count", "1", "--host", "web3")
    assert sampled.returncode == 0, sampled.stderr
    samples = [json.loads(line) for line in sampled.stdout.splitlines()]
    assert len(samples) == 4
    shipped = ktcp(
        "ship", "--elasticsearch", es_templates, "--data-stream", stream, *map(str, INPUTS)
    )
    assert shipped.returncode == 0, shipped.stderr
    from elasticsearch import Elasticsearch

    es = Elasticsearch(es_templates, request_timeout=30)
    try:
        # `ktcp sample` writes documents, not log lines: they go in as a shipper sends them.
        answer = es.bulk(
            operations=[
                line
                for doc in samples
                for line in ({"create": {"_index": stream, "_id": doc["event"]["id"]}}, doc)
            ],
            refresh=True,
        )
        assert not answer["errors"], answer
        docs += samples
        es.indices.refresh(index=stream)
        assert es.count(index=stream)["count"] == len(docs)
    finally:
        es.close()
    return stream, docs


@pytest.fixture
def es(es_templates: str) -> Any:
    from elasticsearch import Elasticsearch

    client = Elasticsearch(es_templates, request_timeout=30)
    yield client
    client.close()


def test_every_search_and_chart_has_its_promise_written_here() -> None:
    assert set(SEARCHES) == {i for i, o in OBJECTS.items() if o["type"] == "search"}
    assert set(CHARTS) == {i for i, o in OBJECTS.items() if o["type"] == "lens"}


def test_the_data_view_covers_the_stream(indexed: tuple[str, list[Doc]]) -> None:
    stream, _ = indexed
    assert fnmatch.fnmatch(stream, VIEW["attributes"]["title"])
    assert fnmatch.fnmatch("logs-kernel.tcp-default", VIEW["attributes"]["title"])


@pytest.mark.parametrize("search_id", sorted(SEARCHES))
def test_saved_search_finds_exactly_the_promised_events(
    search_id: str, indexed: tuple[str, list[Doc]], es: Any
) -> None:
    stream, docs = indexed
    expected = {get(d, "event.id") for d in docs if SEARCHES[search_id](d)}
    assert expected, f"the test data hold nothing for {search_id}"
    search = OBJECTS[search_id]
    answer = es.search(index=stream, body=search_request(search, TIME_FIELD, ALL_TIME))
    hits = answer["hits"]["hits"]
    assert {h["_id"] for h in hits} == expected
    assert answer["hits"]["total"]["value"] == len(expected)
    # The saved sort holds: each hit's sort values are in order, field by field.
    directions = [order for _, order in search["attributes"]["sort"]]
    keys = [tuple(h["sort"]) for h in hits]
    for before, after in itertools.pairwise(keys):
        for a, b, order in zip(before, after, directions, strict=True):
            if a != b:
                assert (a < b) if order == "asc" else (a > b), (before, after)
                break


def test_window_shrink_search_holds_every_kernel_wording(indexed: tuple[str, list[Doc]]) -> None:
    _, docs = indexed
    variants = {get(d, "ktcp.variant") for d in docs if SEARCHES["ktcp-window-shrink"](d)}
    assert {"treason-uncloaked", "unexpectedly-shrunk", "probing-zero-window"} <= variants


def test_isp_searches_match_canonical_names_not_as_organisations(
    indexed: tuple[str, list[Doc]],
) -> None:
    _, docs = indexed
    unicom = [d for d in docs if SEARCHES["ktcp-window-shrink-china-unicom"](d)]
    organisations = {get(d, "source.as.organization.name") for d in unicom}
    # Two different AS organisation strings, one ISP: both are in the China Unicom search.
    assert {"China Unicom Beijing Province Network", "CHINA UNICOM China169 Backbone"} <= (
        organisations
    )
    carriers = ("China Unicom", "China Telecom", "China Mobile")
    others = {get(d, "ktcp.isp.name") for d in docs if action(WS)(d)} - set(carriers)
    assert others, "the data need window shrinks from other ISPs for the ISP searches to mean much"


def _compare_top(expected: Counter[Any], got: dict[Any, int], size: int) -> None:
    assert len(got) == min(size, len(expected))
    for key, count in got.items():
        assert expected[key] == count, key
    smallest = min(got.values())
    assert {k for k, v in expected.items() if v > smallest} <= set(got)


@pytest.mark.parametrize("chart_id", sorted(CHARTS))
def test_chart_layer_returns_the_promised_buckets(
    chart_id: str, indexed: tuple[str, list[Doc]], es: Any
) -> None:
    stream, docs = indexed
    wanted, key_fns = CHARTS[chart_id]
    chart = OBJECTS[chart_id]
    layers = chart["attributes"]["state"]["datasourceStates"]["formBased"]["layers"]
    for layer_id, request in lens_requests(chart, TIME_FIELD, ALL_TIME).items():
        layer = layers[layer_id]
        bucket_columns = [c for c in layer["columnOrder"] if layer["columns"][c]["isBucketed"]]
        answer = es.search(index=stream, body=request)
        got = bucket_counts(answer["aggregations"], bucket_columns)
        keys = [tuple(fn(d) for fn in key_fns) for d in docs if wanted(d)]
        expected = Counter(k for k in keys if None not in k)
        assert expected, f"the test data hold nothing for {chart_id}"
        first = layer["columns"][bucket_columns[0]]
        if len(bucket_columns) == 1 and first["operationType"] == "terms":
            _compare_top(
                Counter({k[0]: v for k, v in expected.items()}),
                {k[0]: v for k, v in got.items()},
                first["params"]["size"],
            )
        else:
            assert len({k[0] for k in expected}) <= first["params"].get("size", 1 << 30)
            assert got == dict(expected)


def test_bytes_outstanding_chart_splits_probes_from_larger(
    indexed: tuple[str, list[Doc]], es: Any
) -> None:
    stream, docs = indexed
    chart = OBJECTS["ktcp-window-shrink-bytes-outstanding-chart"]
    (request,) = lens_requests(chart, TIME_FIELD, ALL_TIME).values()
    buckets = es.search(index=stream, body=request)["aggregations"]["x"]["buckets"]
    counts = {b["key"]: b["doc_count"] for b in buckets}
    probes = sum(1 for d in docs if action(WS)(d) and get(d, "ktcp.window.bytes_outstanding") == 1)
    assert probes >= 5  # 60.12.1.1 twice, 218.30.1.1, 120.204.1.5, ... (peers.log)
    assert counts["1 byte (zero-window probe)"] == probes
    assert counts["more than 1 byte"] == sum(1 for d in docs if action(WS)(d)) - probes
