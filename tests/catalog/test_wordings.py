"""Every wording of the catalog, table-driven: tests/data/catalog/<action>.log -> .expected.json.

Each log line is one kernel message (real examples of the wordings in docs/KERNEL-MESSAGES.md
plus constructed ones, IPv4 and IPv6 wherever the wording prints an address); its expected row
lists the checked ECS fields exactly, so a field missing from the row must be absent from the
document.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pipeline.catalog import BY_ACTION, FAMILIES
from pipeline.records import RawLine
from tests.catalog.expect import bare_chain, checked, flat, render

DATA = Path(__file__).resolve().parents[1] / "data" / "catalog"
ACTIONS = [f.action for f in FAMILIES]


def _lines(action: str) -> list[str]:
    return (DATA / f"{action}.log").read_text(encoding="utf-8").split("\n")[:-1]


def _expected(action: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads((DATA / f"{action}.expected.json").read_text())
    return rows


@pytest.mark.parametrize("action", ACTIONS)
def test_each_line_gives_exactly_its_expected_fields(action: str) -> None:
    lines, expected = _lines(action), _expected(action)
    assert len(lines) == len(expected)
    path = str(DATA / f"{action}.log")
    offsets = []
    offset = 0
    for line in lines:
        offsets.append(offset)
        offset += len(line.encode()) + 1
    outcomes = render(
        bare_chain(), (RawLine(t, path, o) for t, o in zip(lines, offsets, strict=True))
    )
    for line, outcome, want in zip(lines, outcomes, expected, strict=True):
        assert checked(flat(outcome)) == want, line


@pytest.mark.parametrize("action", ACTIONS)
def test_every_line_holds_a_keyword_of_its_family(action: str) -> None:
    family = BY_ACTION[action]
    for line in _lines(action):
        words = family.keywords + family.loose_keywords + family.routing_only_keywords
        assert any(k in line for k in words), line


def test_every_wording_of_every_family_has_an_expected_row() -> None:
    seen = {(row["event.action"], row["ktcp.variant"]) for a in ACTIONS for row in _expected(a)}
    wanted = {(f.action, w.variant) for f in FAMILIES for w in f.wordings}
    assert wanted - seen == set()
    assert seen - wanted == set()
