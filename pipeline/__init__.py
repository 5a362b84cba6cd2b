"""ktcp: the Linux kernel's TCP warnings as typed, ISP-attributed events.

The public API: build a `Chain`, feed it lines, render events with `to_document`.
"""

from pipeline.catalog import FAMILIES, classify
from pipeline.chain import Chain, Stats
from pipeline.ecs import PARSER_VERSION as __version__
from pipeline.ecs import to_document
from pipeline.events import MESSAGE_ADAPTER, Event
from pipeline.records import Envelope, Miss, MissKind, PeerInfo, RawLine
from pipeline.settings import ParseSettings

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
