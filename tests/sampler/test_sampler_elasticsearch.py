"""Sampler documents land in the real Elasticsearch node under ktcp's templates, typed."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from ipaddress import ip_address
from pathlib import Path
from typing import Any

from pipeline.records import PeerInfo
from pipeline.sampler.sampler import KernelStateSampler
from pipeline.sinks.elasticsearch import open_sink

DATA = Path(__file__).resolve().parents[1] / "data/sampler"
T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
UNICOM = PeerInfo(isp_name="China Unicom", isp_source="test", as_number=4837)


def test_episodes_and_counters_are_searchable_by_isp_and_amount(
    es_templates: str, es_client: Any, data_stream: str, tmp_path: Path
) -> None:
    for name in ("tcp", "tcp6", "netstat"):
        shutil.copy(DATA / name, tmp_path / name)
    sampler = KernelStateSampler(tmp_path, "web1", "b00t", lambda ip: UNICOM)
    docs = sampler.sample(T0)
    (tmp_path / "tcp").write_text("")  # the IPv4 connection was released
    docs += sampler.sample(T0 + timedelta(seconds=10))
    assert ip_address(docs[0]["source"]["ip"])
    sink = open_sink(url=es_templates, data_stream=data_stream)
    sink.send(docs)
    delivery = sink.close()
    assert delivery.created == len(docs) == 5  # 3 starts, 1 end, 1 counters

    es_client.indices.refresh(index=data_stream)
    mapping = es_client.indices.get_mapping(index=data_stream)
    props = next(iter(mapping.values()))["mappings"]["properties"]
    zero_window = props["ktcp"]["properties"]["zero_window"]["properties"]
    assert zero_window["bytes_queued"]["type"] == "long"
    assert props["event"]["properties"]["duration"]["type"] == "long"

    found = es_client.search(
        index=data_stream,
        size=0,
        query={
            "bool": {
                "filter": [
                    {"term": {"event.action": "tcp-zero-window-peer"}},
                    {"term": {"event.type": "start"}},
                    {"range": {"ktcp.zero_window.bytes_queued": {"gt": 1}}},
                ]
            }
        },
        aggs={"isp": {"terms": {"field": "ktcp.isp.name"}}},
    )
    buckets = found["aggregations"]["isp"]["buckets"]
    assert buckets == [{"key": "China Unicom", "doc_count": 3}]
    ended = es_client.search(
        index=data_stream, query={"term": {"event.type": "end"}}
    )["hits"]["hits"]
    assert len(ended) == 1
    assert ended[0]["_source"]["event"]["duration"] == 10 * 10**9
