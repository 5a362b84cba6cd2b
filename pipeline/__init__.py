"""ktcp: the Linux kernel's TCP warnings as typed, ISP-attributed events.

The public API: build a `Chain`, feed it lines, render events with `to_document`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from pipeline.version import PARSER_VERSION as __version__

if TYPE_CHECKING:
    from pipeline.catalog import FAMILIES, classify
    from pipeline.chain import Chain, Stats
    from pipeline.ecs import to_document
    from pipeline.events import MESSAGE_ADAPTER, Event
    from pipeline.records import Envelope, Miss, MissKind, PeerInfo, RawLine
    from pipeline.settings import ParseSettings

# Imported on first use (PEP 562), so `import pipeline.cli` stays cheap for commands that do not
# parse (`ktcp --version`, `setup`) and each command pays only for what it uses.
_HOME = {
    "FAMILIES": "pipeline.catalog",
    "classify": "pipeline.catalog",
    "Chain": "pipeline.chain",
    "Stats": "pipeline.chain",
    "to_document": "pipeline.ecs",
    "MESSAGE_ADAPTER": "pipeline.events",
    "Event": "pipeline.events",
    "Envelope": "pipeline.records",
    "Miss": "pipeline.records",
    "MissKind": "pipeline.records",
    "PeerInfo": "pipeline.records",
    "RawLine": "pipeline.records",
    "ParseSettings": "pipeline.settings",
}


def __getattr__(name: str) -> Any:
    if name in _HOME:
        return getattr(importlib.import_module(_HOME[name]), name)
    raise AttributeError(f"module 'pipeline' has no attribute {name!r}")


__all__ = [
    "FAMILIES",
    "MESSAGE_ADAPTER",
    "Chain",
    "Envelope",
    "Event",
    "Miss",
    "MissKind",
    "ParseSettings",
    "PeerInfo",
    "RawLine",
    "Stats",
    "__version__",
    "classify",
    "to_document",
]
