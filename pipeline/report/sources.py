"""Where a report's events come from: kernel logs (through the chain), NDJSON that
`parse -o ndjson` wrote, or the Elasticsearch data stream. Every one yields ECS documents.

An input is NDJSON documents when its first non-blank line is a ktcp event document; otherwise
it is a kernel log (any envelope, journald JSON included) and goes through the parse chain.
"""

from __future__ import annotations

import contextlib
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from pipeline.chain import Chain
from pipeline.drivers.inputs import LOCAL, STDIN, blocks
from pipeline.ecs import to_document
from pipeline.errors import InputError, UsageError
from pipeline.events import Event
from pipeline.report.model import InputSummary
from pipeline.report.rows import NotADocument, Row, row

Notice = Callable[[str], None]
_DURATION_RE = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNIT_SECS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_since(text: str, now: datetime) -> datetime:
    """`7d`, `12h`, `30m`, `2w` before now, or an ISO 8601 time (UTC when it names no zone)."""
    m = _DURATION_RE.match(text)
    if m:
        return now - timedelta(seconds=int(m.group(1)) * _UNIT_SECS[m.group(2)])
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"--since {text!r}: give a duration such as 7d, 12h, 30m, 2w, "
            "or an ISO 8601 time such as 2026-11-24T00:00:00Z"
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@dataclass
class Collector:
    """Rows of every input, de-duplicated on event.id, with every left-out document counted."""

    since: datetime | None = None
    rows: list[Row] = field(default_factory=list)
    documents: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    duplicates: int = 0
    before_since: int = 0
    errors: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    _seen: set[str] = field(default_factory=set)

    def add(self, doc: Any) -> None:
        try:
            r = row(doc)
        except NotADocument as exc:
            self.skipped[str(exc)] += 1
            return
        except (AttributeError, TypeError):  # a field of the wrong JSON type
            self.skipped["malformed ktcp document"] += 1
            return
        if r.id in self._seen:
            self.duplicates += 1
            return
        self._seen.add(r.id)
        if self.since is not None and r.timestamp < self.since:
            self.before_since += 1
            return
        self.rows.append(r)

    def add_line(self, line: bytes) -> None:
        if not line.strip():
            return
        self.documents += 1
        try:
            doc = orjson.loads(line)
        except orjson.JSONDecodeError:
            self.skipped["not JSON"] += 1
            return
        self.add(doc)

    def summary(self, chain: Chain | None) -> InputSummary:
        stats = chain.stats if chain is not None else None
        return InputSummary(
            sources=self.sources,
            lines=stats.lines if stats else 0,
            documents=self.documents,
            events=len(self.rows),
            non_tcp_lines=stats.non_tcp if stats else 0,
            unmatched_lines=stats.unmatched if stats else 0,
            invalid_lines=stats.invalid if stats else 0,
            skipped_documents=dict(sorted(self.skipped.items())),
            duplicates=self.duplicates,
            since=self.since.astimezone(UTC) if self.since is not None else None,
            before_since=self.before_since,
            errors=self.errors,
        )


def is_document_line(line: bytes) -> bool:
    """A line `parse -o ndjson` wrote (not any JSON: journald records are JSON too)."""
    if not line.lstrip().startswith(b"{"):
        return False
    try:
        row(orjson.loads(line))
    except (orjson.JSONDecodeError, NotADocument, AttributeError, TypeError):
        return False
    return True


def _first_line(data: bytes) -> bytes:
    for line in data.split(b"\n", 64):
        if line.strip():
            return line
    return b""


def read_inputs(
    names: Iterable[str],
    chain: Chain,
    collector: Collector,
    notice: Notice | None = None,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Every input into the collector; an unreadable one is recorded, the others still read."""
    for name in names:
        label = {STDIN: "standard input", LOCAL: "the local kernel log"}.get(name, name)
        kind: str | None = None
        try:
            for block in blocks(name, notice=notice):
                if kind is None and block.data.strip():
                    kind = "documents" if is_document_line(_first_line(block.data)) else "log"
                if kind == "documents":
                    for line in block.data.split(b"\n"):
                        collector.add_line(line)
                else:
                    for outcome in chain.scan_block(
                        block.data, block.path, block.offset, block.file_id
                    ):
                        if isinstance(outcome, Event):
                            collector.add(to_document(outcome))
                if progress is not None:
                    progress(len(block.data))
        except InputError as exc:
            collector.errors.append(str(exc))
        collector.sources.append(f"{label} ({kind or 'empty'})")


def read_elasticsearch(
    client: Any, data_stream: str, since: datetime, collector: Collector, page: int
) -> None:
    """Every document of the data stream since `since` (search_after over a point in time)."""
    from elasticsearch import ApiError, TransportError

    query = {"range": {"@timestamp": {"gte": since.astimezone(UTC).isoformat()}}}
    try:
        pit = client.open_point_in_time(index=data_stream, keep_alive="2m")["id"]
    except ApiError as exc:
        if exc.meta.status == 404:
            raise InputError(
                f"no data stream {data_stream!r} on this cluster: ship events first "
                "(ktcp ship --elasticsearch URL) or name another one with --data-stream"
            ) from None
        raise InputError(f"Elasticsearch refused the search: {exc.message}") from None
    except TransportError as exc:
        raise InputError(f"cannot reach Elasticsearch: {exc.message}") from None
    after: list[Any] | None = None
    try:
        while True:
            hits = client.search(
                query=query,
                size=page,
                sort=[{"@timestamp": "asc"}, {"_shard_doc": "asc"}],
                pit={"id": pit, "keep_alive": "2m"},
                search_after=after,
            )["hits"]["hits"]
            for hit in hits:
                collector.documents += 1
                collector.add(hit.get("_source"))
            if len(hits) < page:
                break
            after = hits[-1]["sort"]
    except (ApiError, TransportError) as exc:
        raise InputError(f"Elasticsearch search failed part way: {exc}") from None
    finally:
        with contextlib.suppress(ApiError, TransportError):  # it expires by itself anyway
            client.close_point_in_time(id=pit)
