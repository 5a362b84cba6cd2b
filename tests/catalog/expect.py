"""What the catalog tests compare: kernel messages rendered to flattened ECS documents.

`checked()` picks the keys a catalog expectation states exactly (event.action, ktcp.variant,
source.*, destination.*, network.* and the families' own ktcp.<namespace>.*), so a field the
expectation does not list must be absent. `render()` runs lines through the real chain.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from pipeline.catalog import FAMILIES
from pipeline.chain import Chain
from pipeline.ecs import flatten, to_document
from pipeline.events import Event
from pipeline.records import Miss, RawLine
from pipeline.settings import ParseSettings

NAMESPACES = frozenset(f.namespace for f in FAMILIES)
READ_AT = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def checked(flat: dict[str, Any]) -> dict[str, Any]:
    """The fields a catalog expectation states exactly."""
    out = {}
    for key, value in flat.items():
        head = key.split(".", 2)
        if (
            key in ("event.action", "ktcp.variant")
            or head[0] in ("source", "destination", "network")
            or (head[0] == "ktcp" and len(head) > 2 and head[1] in NAMESPACES)
        ):
            out[key] = value
    return out


def bare_chain() -> Chain:
    """A chain that takes every line as a bare kernel message (no envelope detection)."""
    return Chain(ParseSettings(envelope="bare", timezone="UTC"), now=lambda: READ_AT)


def render(chain: Chain, lines: Iterable[RawLine]) -> list[Event | Miss]:
    return [chain.process(raw) for raw in lines]


def flat(outcome: Event | Miss) -> dict[str, Any]:
    """The flattened ECS document of an event (a miss fails the calling test)."""
    assert isinstance(outcome, Event), f"no event: {outcome}"
    return flatten(to_document(outcome))
