"""Our ECS fields against the ECS reference: names, mapping types, list values, allowed values.

The reference is the extract of Elastic's ecs_flat.yml in tests/data/ecs/ (see its README), of
the release named by `pipeline.ecs.ECS_VERSION`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from pipeline.catalog import FAMILIES
from pipeline.chain import Chain
from pipeline.ecs import (
    ECS_VERSION,
    EVENT_CATEGORY,
    EVENT_KIND,
    FieldSpec,
    all_fields,
    data_stream_parts,
    stamp_data_stream,
    to_document,
)
from pipeline.events import Event
from pipeline.records import RawLine
from pipeline.settings import ParseSettings
from pipeline.sinks.elasticsearch.capabilities import FULL
from pipeline.sinks.elasticsearch.templates import render_templates

DATA = Path(__file__).parent / "data" / "ecs"
REFERENCE = json.loads((DATA / f"ecs_flat-{ECS_VERSION}.json").read_text(encoding="utf-8"))
ECS: dict[str, dict[str, Any]] = REFERENCE["fields"]

# Fields outside ktcp.* that ECS does not define, with the reason they keep their name.
NOT_IN_ECS = {
    "log.offset": "Filebeat's field for the same fact (Beats `log` fields), type long",
}
SEED = "TCP: Treason uncloaked! Peer 202.106.38.7:57824/80 shrinks window 3573023813:3573023814."


def _ecs_specs() -> list[FieldSpec]:
    return [spec for spec in all_fields() if not spec.name.startswith("ktcp.")]


def _mapping(name: str) -> dict[str, Any]:
    rendered = render_templates(FULL)["component_template/ktcp@mappings.json"]
    props = rendered["template"]["mappings"]["properties"]
    *parents, leaf = name.split(".")
    for part in parents:
        props = props[part]["properties"]
    return dict(props[leaf])


def _document() -> dict[str, Any]:
    chain = Chain(ParseSettings(timezone="UTC"), now=lambda: datetime(2026, 11, 24, tzinfo=UTC))
    event = chain.process(RawLine(text=f"[12345.678901] {SEED} Repaired."))
    assert isinstance(event, Event)
    return to_document(event)


def test_the_reference_is_the_release_we_name() -> None:
    assert REFERENCE["ecs_version"] == ECS_VERSION
    assert REFERENCE["source"].endswith(f"/v{ECS_VERSION}/generated/ecs/ecs_flat.yml")


@pytest.mark.parametrize("spec", _ecs_specs(), ids=lambda s: s.name)
def test_every_field_outside_ktcp_is_an_ecs_field_with_the_ecs_mapping(spec: FieldSpec) -> None:
    if spec.name in NOT_IN_ECS:
        assert spec.name not in ECS, f"{spec.name} is in ECS now: drop it from NOT_IN_ECS"
        return
    assert spec.name in ECS, f"{spec.name} is not an ECS {ECS_VERSION} field: use ktcp.*"
    reference = ECS[spec.name]
    mapping = _mapping(spec.name)
    assert mapping["type"] == reference["type"], spec.name
    assert mapping.get("index", True) == reference.get("index", True), spec.name
    assert mapping.get("doc_values", True) == reference.get("doc_values", True), spec.name
    if "ignore_above" in reference and mapping.get("index", True):
        assert mapping["ignore_above"] == reference["ignore_above"], spec.name
    assert spec.array == ("array" in reference.get("normalize", [])), spec.name


def test_the_reference_holds_only_fields_we_write() -> None:
    ours = {spec.name for spec in all_fields()}
    assert set(ECS) <= ours, "stale entries in the extract: regenerate it"


def test_data_stream_fields_are_constant_keywords_with_our_type_and_dataset() -> None:
    assert _mapping("data_stream.type") == {"type": "constant_keyword", "value": "logs"}
    assert _mapping("data_stream.dataset") == {"type": "constant_keyword", "value": "kernel.tcp"}
    assert _mapping("data_stream.namespace") == {"type": "constant_keyword"}


def test_event_categorisation_uses_ecs_allowed_values_only() -> None:
    assert EVENT_KIND in ECS["event.kind"]["allowed_values"]
    assert set(EVENT_CATEGORY) <= set(ECS["event.category"]["allowed_values"])
    for family in FAMILIES:
        assert set(family.event_type) <= set(ECS["event.type"]["allowed_values"]), family.action


def test_every_document_names_its_ecs_version() -> None:
    assert _document()["ecs"] == {"version": ECS_VERSION}


def test_writing_to_a_data_stream_stamps_its_three_parts() -> None:
    doc = _document()
    stamp_data_stream(doc, "logs-kernel.tcp-prod")
    assert doc["data_stream"] == {"type": "logs", "dataset": "kernel.tcp", "namespace": "prod"}
    plain = _document()
    stamp_data_stream(plain, "kernel-events")  # a plain index: no data stream fields to claim
    assert "data_stream" not in plain


def test_data_stream_names_split_only_in_the_naming_scheme() -> None:
    assert data_stream_parts("logs-kernel.tcp-default") == ("logs", "kernel.tcp", "default")
    assert data_stream_parts("logs-kernel.tcp") is None
    assert data_stream_parts("logs--default") is None
    assert data_stream_parts("logs-a-b-c") is None
