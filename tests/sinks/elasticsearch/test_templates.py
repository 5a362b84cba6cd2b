"""The templates come from the ECS field table, and the committed copies are not stale."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pipeline.ecs import FieldSpec, all_fields
from pipeline.sinks.elasticsearch.capabilities import FULL, Capabilities
from pipeline.sinks.elasticsearch.templates import (
    ILM_POLICY,
    INDEX_PATTERN,
    POLICY,
    Lifecycle,
    properties,
    render,
    render_templates,
    write_templates,
)

SCHEMAS = Path(__file__).resolve().parents[3] / "schemas" / "elasticsearch"
BARE = Capabilities(ilm=False, match_only_text=False, data_streams=True, constant_keyword=False)


def _leaf(props: dict[str, Any], dotted: str) -> dict[str, Any]:
    *parents, leaf = dotted.split(".")
    for part in parents:
        props = props[part]["properties"]
    return props[leaf]


def _mappings(rendered: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return rendered["component_template/ktcp@mappings.json"]["template"]["mappings"]


def test_committed_templates_match_the_generator() -> None:
    committed = {
        str(p.relative_to(SCHEMAS)): json.loads(p.read_text()) for p in SCHEMAS.rglob("*.json")
    }
    assert committed == render_templates(), (
        "schemas/elasticsearch is stale: regenerate it with `ktcp schemas` "
        "(pipeline.sinks.elasticsearch.write_templates)"
    )


def test_every_contract_field_is_mapped_with_its_type() -> None:
    props = _mappings(render_templates())["properties"]
    for spec in all_fields():
        mapping = _leaf(props, spec.name)
        expected = "match_only_text" if spec.es_type == "text" else spec.es_type
        assert mapping["type"] == expected, spec.name
    assert _leaf(props, "source.ip") == {"type": "ip"}
    assert _leaf(props, "event.original") == {
        "type": "keyword",
        "index": False,
        "doc_values": False,
    }


def test_a_cluster_without_match_only_text_gets_text() -> None:
    props = _mappings(render_templates(BARE))["properties"]
    assert props["message"] == {"type": "text"}


def test_without_ilm_there_is_no_policy_and_no_lifecycle_setting() -> None:
    rendered = render_templates(BARE)
    assert not any(path.startswith("ilm_policy/") for path in rendered)
    assert rendered["component_template/ktcp@settings.json"]["template"]["settings"] == {}


def test_index_template_makes_a_data_stream_above_elastics_logs_template() -> None:
    body = render_templates()["index_template/ktcp-logs-kernel.tcp.json"]
    assert body["index_patterns"] == [INDEX_PATTERN] == ["logs-kernel.tcp-*"]
    assert body["data_stream"] == {}
    assert body["priority"] > 100
    assert body["composed_of"][:2] == ["ktcp@settings", "ktcp@mappings"]
    no_streams = Capabilities(
        ilm=False, match_only_text=True, data_streams=False, constant_keyword=True
    )
    assert (
        "data_stream"
        not in render_templates(no_streams)["index_template/ktcp-logs-kernel.tcp.json"]
    )


def test_lifecycle_options_reach_the_policy_and_change_its_digest() -> None:
    (default,) = [t for t in render() if t.kind == ILM_POLICY]
    (custom,) = [t for t in render(FULL, Lifecycle("7d", "10gb", "30d")) if t.kind == ILM_POLICY]
    assert custom.name == POLICY
    phases = custom.body["policy"]["phases"]
    assert phases["hot"]["actions"]["rollover"] == {
        "max_age": "7d",
        "max_primary_shard_size": "10gb",
    }
    assert phases["delete"]["min_age"] == "30d"
    assert default.digest != custom.digest


def test_a_name_that_is_both_field_and_object_is_refused() -> None:
    with pytest.raises(ValueError, match="both a field and an object"):
        properties([FieldSpec("a.b", "long", ""), FieldSpec("a.b.c", "long", "")], FULL)
    with pytest.raises(ValueError, match="both a field and an object"):
        properties([FieldSpec("a.b.c", "long", ""), FieldSpec("a.b", "long", "")], FULL)


def test_write_templates_writes_what_render_gives(tmp_path: Path) -> None:
    written = write_templates(tmp_path)
    assert {str(p.relative_to(tmp_path)) for p in written} == set(render_templates())
    for path in written:
        assert json.loads(path.read_text()) == render_templates()[str(path.relative_to(tmp_path))]


def test_the_mapping_covers_every_field_a_document_carries() -> None:
    # dynamic: false would keep an unmapped field out of the index without a word: catch it here
    from pipeline.chain import Chain
    from pipeline.drivers.inputs import read_input
    from pipeline.ecs import flatten, to_document
    from pipeline.events import Event
    from pipeline.settings import ParseSettings

    data = Path(__file__).resolve().parents[2] / "data"
    inputs = [
        data / "elasticsearch" / "seed.log",
        *sorted((data.parent.parent / "samples").glob("*.log")),
    ]
    mapped = {spec.name for spec in all_fields()}
    seen: set[str] = set()
    for path in inputs:
        chain = Chain(ParseSettings(timezone="UTC"))
        for outcome in read_input(chain, str(path)):
            if isinstance(outcome, Event):
                seen.update(flatten(to_document(outcome)))
    assert "source.ip" in seen
    assert seen - mapped == set()
