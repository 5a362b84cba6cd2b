"""Capability detection asks the node: data streams; no ILM, mapper-extras, constant_keyword."""

from __future__ import annotations

from typing import Any

from pipeline.sinks.elasticsearch.capabilities import detect, version


def test_the_test_node_offers_data_streams_only(es_node: Any, es_client: Any) -> None:
    found = detect(es_client)
    assert (found.data_streams, found.ilm, found.match_only_text, found.constant_keyword) == (
        True,
        False,
        False,
        False,
    )
    assert [n.split(" ")[0] for n in found.missing()] == [
        "ILM",
        "match_only_text",
        "constant_keyword",
    ]


def test_version_comes_from_the_nodes_api_when_get_root_is_missing(es_client: Any) -> None:
    assert (version(es_client) or "").startswith("8.")
