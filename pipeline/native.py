"""The optional compiled fast path: kern.log lines straight to documents (`pipeline._native`).

The Rust extension (native/ in the source tree, built by `pip install` when a Rust compiler is
there) renders the documents of the commonest lines itself: a kern.log line (RFC 3164 or
rsyslog's RFC 3339 header) read from a file (`ktcp parse FILE -o ndjson`) or carried alone by
a Fluentd record (`ktcp exec-filter`), holding one of the common wordings of the busiest
families (window shrink, SYN flood, drop open request, orphans, conntrack table full,
net_ratelimit). It declines every other line, and the Python chain reads those, as it reads
everything when the extension is absent: the output is the same byte for byte
(tests/test_native.py compares both on the fixtures, the torture and real-world corpora,
generated logs and records, and hypothesis-built lines).

Every fact the extension needs comes from here, from the one place it is kept: the candidate
pattern (prefilter), the constants and sub-objects of a document (ecs), each family's event
types, namespace and levels (catalog), and the answers it asks once and keeps: the UTC time of
a printed 3164 second (the chain's clock: zone, year inference) and a peer's enrichment; and,
per event of a record, identity rule 3's occurrence count (the chain's table). The ECS names
the extension writes are checked against ecs.to_document by the same tests.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pipeline._native import Scanner as Scanner
    from pipeline.clock import Clock
    from pipeline.records import PeerInfo
    from pipeline.settings import ParseSettings

# "0" turns the fast path off (the tests run both paths); anything else leaves it on.
ENV_SWITCH = "KTCP_NATIVE"

# The interface this module speaks to the extension (native/src/lib.rs INTERFACE): an extension
# built from other sources (an old build left beside newer code) is not used.
INTERFACE = 1

try:
    from pipeline._native import Scanner as _NativeScanner
except ImportError:  # no compiler at install time: the Python chain does everything
    _NativeScanner = None  # type: ignore[assignment,misc]
try:
    from pipeline._native import INTERFACE as _BUILT_INTERFACE
except ImportError:  # not built, or built before the interface had a number
    _BUILT_INTERFACE = None  # type: ignore[assignment]


def available() -> bool:
    """The extension is installed, built for this code, and not switched off."""
    return (
        _NativeScanner is not None
        and _BUILT_INTERFACE == INTERFACE
        and os.environ.get(ENV_SWITCH, "1") != "0"
    )


def describe() -> str:
    """For `ktcp --version`: which path `parse -o ndjson` takes."""
    if _NativeScanner is None:
        return "fast path: not built (pure Python; see README)"
    if _BUILT_INTERFACE != INTERFACE:
        return "fast path: built from other sources, not used (reinstall to rebuild it)"
    if not available():
        return f"fast path: built, switched off by {ENV_SWITCH}=0"
    return "fast path: compiled"


def scanner_for(
    settings: ParseSettings,
    clock: Clock,
    enrich: Callable[[Any], PeerInfo | None] | None,
    count_occurrence: Callable[[tuple[str, str, str]], int],
    kernel_idents: frozenset[str],
) -> Scanner | None:
    """A native scanner rendering exactly what a chain of these parts would (its settings,
    clock, enrichment and identity rule 3's occurrence table), or None where it cannot."""
    if not available() or settings.envelope:
        return None  # a forced envelope reads lines differently
    # what the scanner is told, each from its one place (loaded with the chain anyway)
    from ipaddress import IPv4Address

    from pipeline import ecs, prefilter
    from pipeline.catalog.base import KernelMessage
    from pipeline.clock import TimeSource, epoch_parts
    from pipeline.envelopes.base import FACILITY_NAMES, LEVEL_NAMES
    from pipeline.envelopes.syslog import RFC3164, RFC3339, syslog_stamp
    from pipeline.records import Envelope
    from pipeline.settings import MAX_LINE_BYTES
    from pipeline.version import PARSER_VERSION

    def time_of(month: str, day: str, clock_text: str) -> tuple[str, Any, str, str] | None:
        """(@timestamp, ktcp.time, the printed time for identity rule 3, the epoch text of
        exec-filter's time key) of a printed second; None: not a date (Python reads it)."""
        naive = syslog_stamp(f"{month} {day} {clock_text}")
        if naive is None:
            return None
        env = Envelope(name=RFC3164, message="", naive_time=naive, year_missing=True)
        timestamp, source, inferred = clock.resolve(env)
        seconds, nanos = epoch_parts(timestamp)
        return (
            ecs.event_time(timestamp),
            ecs.time_object(source, inferred),
            naive.isoformat(),
            f"{seconds}.{nanos:09d}",
        )

    def peer_of(ip: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
        assert enrich is not None
        peer = enrich(KernelMessage.model_construct(variant="", peer_ip=IPv4Address(ip)))
        return None if peer is None else ecs.peer_objects(peer)

    def occurrence_of(host: str, time_key: str, message: str) -> int:
        return count_occurrence((host, time_key, message))

    config = {
        "candidate_pattern": "(?-u)" + prefilter.CANDIDATE_SCAN_PATTERN,  # bytes, as RE2's Latin-1
        "max_line_bytes": MAX_LINE_BYTES,
        "host": settings.host,
        "facility_levels": {f"{fac}.{level}" for fac in FACILITY_NAMES for level in LEVEL_NAMES},
        "kernel_idents": set(kernel_idents),
        "families": _family_facts(),
        "ecs_version": ecs.ECS_VERSION,
        "event_kind": ecs.EVENT_KIND,
        "event_category": list(ecs.EVENT_CATEGORY),
        "dataset": ecs.DATASET,
        "module": ecs.MODULE,
        "default_transport": ecs.DEFAULT_TRANSPORT,
        "envelope": RFC3164,
        "envelope_3339": RFC3339,
        "envelope_time": ecs.time_object(TimeSource.ENVELOPE, False),
        "parser_version": PARSER_VERSION,
    }
    assert _NativeScanner is not None
    return _NativeScanner(config, time_of, peer_of if enrich is not None else None, occurrence_of)


def _family_facts() -> dict[str, Mapping[str, Any]]:
    """event.type, namespace and the level of each wording, of every family."""
    from pipeline.catalog import BY_ACTION

    return {
        action: {
            "event_type": list(family.event_type),
            "namespace": family.namespace,
            "levels": {
                w.variant: w.level if w.level is not None else family.level for w in family.wordings
            },
        }
        for action, family in BY_ACTION.items()
    }
