"""The report as data: `ktcp report --json` prints this model; its JSON Schema is in schemas/.

Every renderer (terminal, HTML) draws from this model and nothing else, so what a chart shows
is what `--json` says.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

REPORT_SCHEMA_VERSION = 1

Scalar = str | int | float | bool | None
Severity = Literal["info", "warning", "critical"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class InputSummary(_Model):
    """What was read, and what was left out and why: nothing is dropped silently."""

    sources: list[str] = Field(description="files, `-`, the local log's name, or the data stream")
    lines: int = Field(0, description="kernel log lines read (parsed inputs)")
    documents: int = Field(0, description="ECS documents read as such (NDJSON, Elasticsearch)")
    events: int = Field(description="events in the report (after --since and de-duplication)")
    non_tcp_lines: int = 0
    unmatched_lines: int = Field(0, description="TCP-looking lines no catalog wording fits")
    invalid_lines: int = 0
    skipped_documents: dict[str, int] = Field(
        default_factory=dict, description="documents not used, by reason"
    )
    duplicates: int = Field(0, description="events seen twice (same event.id), counted once")
    since: datetime | None = Field(None, description="--since as a time (UTC); None: all")
    before_since: int = Field(0, description="events older than --since, left out")
    errors: list[str] = Field(default_factory=list, description="inputs that could not be read")


class FamilySeries(_Model):
    action: str = Field(description="event.action")
    summary: str = Field(description="what the family means, in one line")
    total: int
    counts: list[int] = Field(description="events per bucket, oldest first")


class Timeline(_Model):
    start: datetime | None = Field(description="start of the first bucket (UTC)")
    end: datetime | None = Field(description="end of the last bucket (UTC)")
    bucket_secs: int = Field(description="bucket size, chosen from the time span")
    families: list[FamilySeries]


class TopEntry(_Model):
    key: str = Field(description="the peer, ISP, AS number, port, country or region")
    label: str = Field("", description="what else is known about the key (ISP, AS organisation)")
    count: int
    share: float = Field(description="count / events that carry this field, 0..1")
    by_action: dict[str, int] = Field(description="count per event.action")


class TopLists(_Model):
    peers: list[TopEntry]
    isps: list[TopEntry] = Field(
        description="Chinese carriers by canonical name, the rest by AS organisation"
    )
    as_numbers: list[TopEntry]
    local_ports: list[TopEntry]
    countries: list[TopEntry]
    regions: list[TopEntry]


class BytesOutstanding(_Model):
    min: int
    median: float
    max: int


class Episode(_Model):
    """Consecutive window-shrink events of one peer, no two further apart than the gap."""

    peer: str = Field(description="source.ip, or `ipv6-hidden` for pre-2.6.29 IPv6 lines")
    isp: str
    as_number: int | None
    start: datetime
    end: datetime
    events: int
    connections: int = Field(description="distinct (peer port, local port) pairs")
    local_ports: list[int]
    bytes_outstanding: BytesOutstanding
    probe_events: int = Field(description="events with exactly one byte outstanding")


class WindowShrinkSummary(_Model):
    events: int
    peers: int
    episode_gap_secs: float
    episodes: list[Episode] = Field(description="longest-lasting first")
    probe_events: int = Field(description="one byte outstanding: a zero-window probe")
    in_flight_events: int = Field(description="more than one byte outstanding")
    probe_share: float
    bytes_outstanding: BytesOutstanding | None


class Sysctl(_Model):
    name: str = Field(description="dotted sysctl name")
    meaning: str
    value: str | None = Field(
        None, description="current value, read from /proc/sys when the report runs on the host"
    )


class Evidence(_Model):
    """What a finding rests on: the events it cites and the numbers it states."""

    events: int = Field(description="how many events the finding rests on")
    event_ids: list[str] = Field(description="their event.id values (cut at a limit)")
    ids_complete: bool = Field(description="false when event_ids was cut")
    facts: dict[str, Scalar] = Field(description="the numbers the statement states")


class Cause(_Model):
    cause: str
    assessment: Literal["consistent", "not-supported", "cannot-tell"]
    reason: str


class Finding(_Model):
    id: str = Field(description="stable id of the finding kind, e.g. window-shrink-concentration")
    actions: list[str] = Field(description="event.action values it is about")
    severity: Severity
    title: str
    statement: str = Field(description="the finding in plain words, with its numbers")
    meaning: str = Field(description="what the kernel is telling, with its source")
    causes: list[Cause] = Field(default_factory=list)
    checks: list[str] = Field(default_factory=list, description="commands to run on the host")
    sysctls: list[Sysctl] = Field(default_factory=list)
    references: list[str] = Field(default_factory=list)
    evidence: Evidence


class HostContext(_Model):
    hostname: str = Field(description="the machine the report ran on")
    event_hosts: list[str] = Field(description="host.name values of the events")
    sysctls_read: bool = Field(description="true when sysctl values come from this machine")
    note: str


class Report(_Model):
    schema_version: int = REPORT_SCHEMA_VERSION
    generated_at: datetime
    first_event: datetime | None
    last_event: datetime | None
    inputs: InputSummary
    events_by_action: dict[str, int]
    timeline: Timeline
    top: TopLists
    window_shrink: WindowShrinkSummary | None
    findings: list[Finding]
    host: HostContext
