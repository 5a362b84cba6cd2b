"""kibana/ktcp.ndjson: the export format Kibana imports, references that resolve, fields that exist.

Kibana's import checks none of the field names and not the dashboard's references to Lens
charts; a wrong one shows up as an empty panel, so these tests check them.
"""

from __future__ import annotations

import copy
import csv
import json
from pathlib import Path
from typing import Any

import pytest

from pipeline import kibana
from pipeline.catalog import BY_ACTION
from pipeline.ecs import ZERO_WINDOW_ACTION
from pipeline.kibana.format import MIN_KIBANA_VERSION, TYPE_MIGRATION_VERSIONS
from tests.kibana.structure import (
    envelope_problems,
    field_problems,
    flat_mapping,
    reference_problems,
    schema_problems,
)

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "kibana" / "ktcp.ndjson"
MAPPING = flat_mapping(
    json.loads((ROOT / "schemas/elasticsearch/component_template/ktcp@mappings.json").read_text())
)


def committed() -> list[dict[str, Any]]:
    return [json.loads(line) for line in COMMITTED.read_text(encoding="utf-8").splitlines()]


def by_id(objects: list[dict[str, Any]], id_: str) -> dict[str, Any]:
    return next(o for o in objects if o["id"] == id_)


def version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split("."))


def test_committed_file_is_what_the_code_renders() -> None:
    assert kibana.stale(ROOT / "kibana") == [], "run `ktcp schemas` and commit kibana/ktcp.ndjson"


def test_every_line_is_one_object_with_the_import_envelope() -> None:
    lines = COMMITTED.read_text(encoding="utf-8").splitlines()
    assert all(line.startswith("{") and line.endswith("}") for line in lines)
    objects = committed()
    assert list(envelope_problems(objects)) == []
    assert {o["type"] for o in objects} == {"index-pattern", "search", "lens", "dashboard"}


def test_a_duplicate_or_a_bad_envelope_is_caught() -> None:
    objects = committed()
    broken = copy.deepcopy(objects[1])
    del broken["typeMigrationVersion"]
    broken["references"].append({"name": "x", "type": "index-pattern"})
    problems = list(envelope_problems([*objects, objects[0], broken]))
    assert any("appears twice" in p for p in problems)
    assert any("envelope keys ['typeMigrationVersion']" in p for p in problems)
    assert any("is not {name, type, id}" in p for p in problems)


def test_migration_versions_are_set_and_name_the_lowest_kibana() -> None:
    objects = committed()
    for obj in objects:
        assert obj["typeMigrationVersion"] == TYPE_MIGRATION_VERSIONS[obj["type"]]
        assert version(obj["coreMigrationVersion"]) <= version(MIN_KIBANA_VERSION)
    highest = max((o["typeMigrationVersion"] for o in objects), key=version)
    assert highest == MIN_KIBANA_VERSION
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"Kibana {MIN_KIBANA_VERSION}" in readme


def test_searches_and_dashboards_keep_kibanas_attribute_schemas() -> None:
    problems = [p for obj in committed() for p in schema_problems(obj)]
    assert problems == []


def test_schema_breaches_are_caught() -> None:
    objects = committed()
    search = copy.deepcopy(next(o for o in objects if o["type"] == "search"))
    search["attributes"]["sort"] = [["@timestamp", "desc", "extra"], "@timestamp"]
    del search["attributes"]["title"]
    board = copy.deepcopy(by_id(objects, "ktcp-overview"))
    board["attributes"]["panels"] = []
    board["attributes"]["panelsJSON"] = []
    problems = [*schema_problems(search), *schema_problems(board)]
    assert any("title is required" in p for p in problems)
    assert any("sort entries must be" in p for p in problems)
    assert any("unknown dashboard attributes ['panels']" in p for p in problems)
    assert any("panelsJSON must be a JSON string" in p for p in problems)


def test_json_string_attributes_parse() -> None:
    for obj in committed():
        attrs = obj["attributes"]
        for text in (
            attrs.get("panelsJSON"),
            attrs.get("optionsJSON"),
            attrs.get("kibanaSavedObjectMeta", {}).get("searchSourceJSON"),
        ):
            if text is not None:
                json.loads(text)


def test_every_reference_resolves_within_the_set() -> None:
    assert list(reference_problems(committed())) == []


def test_a_dangling_panel_or_filter_reference_is_caught() -> None:
    objects = committed()
    board = copy.deepcopy(by_id(objects, "ktcp-overview"))
    lens_ref = next(r for r in board["references"] if r["type"] == "lens")
    lens_ref["id"] = "ktcp-no-such-chart"
    search = copy.deepcopy(by_id(objects, "ktcp-window-shrink"))
    search["references"] = search["references"][:1]  # the filter's data view reference is gone
    problems = list(reference_problems([*objects[:1], board, search]))
    assert any("lens:ktcp-no-such-chart is not in the set" in p for p in problems)
    assert any("filter[0].meta.index" in p and "does not have" in p for p in problems)


def test_dashboard_shows_every_search_and_chart() -> None:
    objects = committed()
    board = by_id(objects, "ktcp-overview")
    shown = {(r["type"], r["id"]) for r in board["references"]}
    assert shown == {(o["type"], o["id"]) for o in objects if o["type"] in ("search", "lens")}
    grid = [p["gridData"] for p in json.loads(board["attributes"]["panelsJSON"])]
    assert all(g["x"] >= 0 and g["x"] + g["w"] <= 48 for g in grid)
    cells = [(g["x"], g["y"]) for g in grid]
    assert len(cells) == len(set(cells)), "two panels in the same place"


def test_every_field_used_exists_in_the_mapping_with_a_type_that_allows_the_use() -> None:
    assert list(field_problems(committed(), MAPPING)) == []


def test_a_field_used_the_wrong_way_is_caught() -> None:
    lens = copy.deepcopy(by_id(committed(), "ktcp-window-shrink-by-isp-chart"))
    layers = lens["attributes"]["state"]["datasourceStates"]["formBased"]["layers"]
    layer = next(iter(layers.values()))
    layer["columns"]["x"]["sourceField"] = "message"  # terms on a text field
    search = copy.deepcopy(by_id(committed(), "ktcp-window-shrink"))
    search["attributes"]["columns"].append("ktcp.isp.nmae")
    search["attributes"]["sort"] = [["message", "asc"]]
    problems = list(field_problems([lens, search], MAPPING))
    assert any("no terms aggregation on message" in p for p in problems)
    assert any("column field ktcp.isp.nmae is not in the generated mapping" in p for p in problems)
    assert any("cannot sort on message" in p for p in problems)


def _filter_values(obj: dict[str, Any], field: str) -> list[Any]:
    attrs = obj["attributes"]
    if obj["type"] == "search":
        filters = json.loads(attrs["kibanaSavedObjectMeta"]["searchSourceJSON"])["filter"]
    elif obj["type"] == "lens":
        filters = attrs["state"]["filters"]
    else:
        return []
    values: list[Any] = []
    for f in filters:
        if f["meta"]["key"] == field and f["meta"]["type"] == "phrase":
            values.append(f["meta"]["params"]["query"])
        elif f["meta"]["key"] == field and f["meta"]["type"] == "phrases":
            values += f["meta"]["params"]
    return values


def test_filters_name_real_families_and_canonical_isps() -> None:
    with (ROOT / "pipeline/data/isp_names.csv").open(encoding="utf-8") as table:
        canonical = {row["name"] for row in csv.DictReader(table)}
    objects = committed()
    actions = [v for o in objects for v in _filter_values(o, "event.action")]
    isps = [v for o in objects for v in _filter_values(o, "ktcp.isp.name")]
    assert actions and set(actions) <= {*BY_ACTION, ZERO_WINDOW_ACTION}
    assert set(isps) == {"China Unicom", "China Telecom", "China Mobile"}
    assert set(isps) <= canonical


@pytest.mark.parametrize("name", ["ktcp.isp.nmae", "source.ipaddr"])
def test_a_misspelt_field_fails_when_the_set_is_built(name: str) -> None:
    from pipeline.kibana.saved_set import field

    with pytest.raises(KeyError, match=r"not a field of pipeline/ecs\.py"):
        field(name)
