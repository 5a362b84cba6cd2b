"""The one place the stages are connected: raw line -> envelope -> catalog -> event -> enrich.

Every driver (CLI, exec_filter, forwarder) feeds a `Chain` and takes `Event`s and `Miss`es out;
`Stats` accounts for every line read (read = events + non-TCP + unmatched + invalid).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson

from pipeline import envelopes, identity
from pipeline.catalog import Invalid, Match, candidate_span, classify
from pipeline.catalog.locate import locate
from pipeline.clock import Clock, utc_now
from pipeline.enrich import EnrichSettings, build_resolver
from pipeline.envelopes import unknown_prefix
from pipeline.events import Event
from pipeline.records import Envelope, Miss, MissKind, PeerInfo, RawLine, Rendered
from pipeline.settings import MAX_LINE_BYTES, ParseSettings

if TYPE_CHECKING:
    from pipeline.catalog.base import KernelMessage  # pydantic: loaded with the first TCP line
    from pipeline.native import Scanner

Enrich = Callable[["KernelMessage"], PeerInfo | None]

OCCURRENCE_KEYS = 1 << 17  # distinct (host, time, text) remembered for identity rule 3
KERNEL_IDENTS = frozenset({"kernel", "klogd", "vmunix", "unix"})
RECORD_KINDS = frozenset(envelopes.structured.KINDS)  # --envelope values that name a record kind


@dataclass
class Stats:
    lines: int = 0
    events: Counter[str] = field(default_factory=Counter)
    non_tcp: int = 0
    unmatched: int = 0
    invalid: int = 0

    @property
    def event_count(self) -> int:
        return sum(self.events.values())

    def count(self, outcome: Event | Miss) -> None:
        if isinstance(outcome, Event):
            self.events[outcome.family.action] += 1
        elif outcome.kind is MissKind.NON_TCP:
            self.non_tcp += 1
        elif outcome.kind is MissKind.UNMATCHED:
            self.unmatched += 1
        else:
            self.invalid += 1

    def balanced(self) -> bool:
        return self.lines == self.event_count + self.non_tcp + self.unmatched + self.invalid


def _excerpt(record: dict[str, Any]) -> str:
    """A record that gave no kernel line, as text for the dead-letter and error records."""
    return orjson.dumps(record, default=str, option=orjson.OPT_NON_STR_KEYS).decode()


def decode(line: bytes) -> str:
    """Text of a line: UTF-8, undecodable bytes kept visible as \\xNN (lossless, JSON-safe)."""
    return line.decode("utf-8", "backslashreplace").replace("\x00", "\\x00")


class Chain:
    def __init__(
        self,
        settings: ParseSettings | None = None,
        enrich: Enrich | None = None,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self.settings = settings or ParseSettings()
        self.enrich = enrich
        self.clock = Clock(self.settings.zone(), self.settings.boot_time, self.settings.year, now)
        self.stats = Stats()
        self._occurrences: dict[tuple[str, str, str], int] = {}
        self.native: Scanner | None = None
        self._native_wanted = False

    def render_natively(self) -> bool:
        """Let the compiled fast path render the lines it knows (pipeline/native.py): file
        blocks then also yield `Rendered` NDJSON. False when it is not installed or switched
        off; the outcomes are the same documents either way."""
        from pipeline import native  # only drivers writing NDJSON load it

        self._native_wanted = native.available() and not self.settings.envelope
        return self._native_wanted

    def _native_scanner(self) -> Scanner | None:
        """Built at the first block with a candidate line: it needs the family table, which a
        log without TCP lines never loads."""
        if self.native is None and self._native_wanted:
            from pipeline import native

            self._native_wanted = False
            self.native = native.scanner_for(
                self.settings, self.clock, self.enrich, self.count_occurrence, KERNEL_IDENTS
            )
        return self.native

    # -- whole blocks of file bytes (the fast path) --------------------------------------------

    def scan_block(
        self,
        data: bytes,
        path: str | None = None,
        base_offset: int | None = None,
        file_id: str | None = None,
    ) -> Iterator[Event | Miss]:
        """Outcomes for the candidate lines of a block of complete lines; the rest are counted.

        Only lines holding a catalog keyword are parsed; every other line is non-TCP by
        construction, so it is counted without being decoded.
        """
        lines = _line_count(data)
        self.stats.lines += lines
        candidates = 0
        pos = 0
        span = candidate_span
        while True:
            hit = span(data, pos)
            if hit is None:
                break
            start = data.rfind(b"\n", 0, hit[0]) + 1
            end = data.find(b"\n", hit[1])
            if end < 0:
                end = len(data)
            pos = end + 1
            candidates += 1
            offset = None if base_offset is None else base_offset + start
            outcome = self._process(_line(data, start, end), path, offset, file_id)
            self.stats.count(outcome)
            yield outcome
        self.stats.non_tcp += lines - candidates

    def scan_rendering(
        self,
        data: bytes,
        path: str | None = None,
        base_offset: int | None = None,
        file_id: str | None = None,
    ) -> Iterator[Event | Miss | Rendered]:
        """`scan_block`, with the documents the compiled fast path rendered as `Rendered` once
        `render_natively()` set it up (file blocks only), and the Python chain's outcomes for
        the candidate lines it declined, in line order."""
        native = self.native
        if native is None and self._native_wanted and candidate_span(data, 0) is not None:
            native = self._native_scanner()
        if native is None or path is None or base_offset is None:
            yield from self.scan_block(data, path, base_offset, file_id)
            return
        lines = _line_count(data)
        self.stats.lines += lines
        pos: int | None = 0
        while pos is not None:
            items, pos, candidates, by_action = native.scan(
                data, pos, path, base_offset, file_id or ""
            )
            self.stats.events.update(by_action)
            lines -= candidates
            for first, second in items:
                if isinstance(first, bytes):
                    yield Rendered(first, second)
                    continue
                outcome = self._process(
                    _line(data, first, second), path, base_offset + first, file_id
                )
                self.stats.count(outcome)
                yield outcome
        self.stats.non_tcp += lines  # every line that held no catalog keyword

    # -- one line or record at a time ----------------------------------------------------------

    def process(self, raw: RawLine) -> Event | Miss:
        """One line (or JSON record), counted."""
        self.stats.lines += 1
        outcome = self._classify(raw)
        self.stats.count(outcome)
        return outcome

    def _process(
        self, line: bytes, path: str | None, offset: int | None, file_id: str | None
    ) -> Event | Miss:
        if len(line) > MAX_LINE_BYTES:
            raw = RawLine(decode(line[:MAX_LINE_BYTES]), path, offset, file_id)
            return Miss(MissKind.INVALID, f"line longer than {MAX_LINE_BYTES} bytes", raw)
        return self._classify(RawLine(decode(line), path, offset, file_id))

    @property
    def record_kind(self) -> str | None:
        """The structured record kind `--envelope` forces, if it names one."""
        return self.settings.envelope if self.settings.envelope in RECORD_KINDS else None

    def render_record(
        self, line: bytes, envelope: str, ingested: str, time_key: str | None, output: str
    ) -> bytes | None:
        """A record that is its kernel line alone, through the compiled fast path (after
        `render_natively()`): its document encoded in `output`, counted; None when the fast
        path declines it (then `process_record` reads the record). `envelope` is the record's
        own envelope (`fluentd`), which the document's name joins with the line's."""
        native = self._native_scanner()
        if native is None:
            return None
        rendered = native.record(line.removesuffix(b"\n"), envelope, ingested, time_key, output)
        if rendered is None:
            return None
        self.stats.lines += 1
        self.stats.events[rendered[1]] += 1
        return rendered[0]

    def count_non_tcp_records(self, records: int) -> None:
        """Records a driver found non-TCP exactly as `process_record` would (a kernel line
        without a catalog keyword), counted without building a Miss for each."""
        self.stats.lines += records
        self.stats.non_tcp += records

    def process_record(self, record: dict[str, Any]) -> Event | Miss:
        """One structured record (a Fluentd or journald map, already decoded), counted.

        Goes through the structured envelopes directly (no JSON text in between); the kernel
        line under the record keys is the event's `event.original`.
        """
        self.stats.lines += 1
        kind = self.record_kind
        keys = self.settings.record_keys
        line = envelopes.structured.line_of(record, keys, kind)
        if line is not None and candidate_span(line.encode("utf-8", "surrogatepass"), 0) is None:
            # most kernel lines are not TCP: without a catalog keyword the line is non-TCP, as
            # scan_block's prefilter says, whatever its envelope (no need to parse it)
            self.stats.non_tcp += 1
            return Miss(MissKind.NON_TCP, "no TCP keyword", RawLine(line))
        try:
            line, env = envelopes.from_record(record, record_keys=keys, kind=kind)
        except envelopes.EnvelopeError as exc:
            outcome: Event | Miss = Miss(MissKind.INVALID, str(exc), RawLine(_excerpt(record)))
        else:
            outcome = self._outcome(env, RawLine(line))
        self.stats.count(outcome)
        return outcome

    def _classify(self, raw: RawLine) -> Event | Miss:
        try:
            keys = self.settings.record_keys
            if self.settings.envelope:
                env = envelopes.parse_as(self.settings.envelope, raw.text, record_keys=keys)
            else:
                env = envelopes.detect(raw.text, record_keys=keys)
        except envelopes.EnvelopeError as exc:
            return Miss(MissKind.INVALID, str(exc), raw)
        return self._outcome(env, raw)

    def _outcome(self, env: Envelope, raw: RawLine) -> Event | Miss:
        if env.ident is not None and env.ident.lower() not in KERNEL_IDENTS:
            return Miss(MissKind.NON_TCP, f"not a kernel message (tag {env.ident!r})", raw)
        found = classify(env.message)
        if isinstance(found, Invalid):
            reason = f"{found.family.action} ({found.variant}): {found.reason}"
            return Miss(MissKind.INVALID, reason, raw, env.message)
        if not isinstance(found, Match):
            rescued = _rescue(env)
            if rescued is not None:
                return self._event(rescued[1], rescued[0], raw)
            kind = MissKind.UNMATCHED if found.tcp_looking else MissKind.NON_TCP
            return Miss(kind, found.reason, raw, env.message)
        return self._event(found, env, raw)

    def count_occurrence(self, key: tuple[str, str, str]) -> int:
        """How many times this exact (host, time, text) was seen, in a bounded window.

        Only lines with the same printed time can collide, so forgetting the oldest keys keeps
        a long-running stage (exec-filter, stdin) at constant memory without changing ids.
        """
        seen = self._occurrences
        count = seen.get(key, 0) + 1
        if count == 1 and len(seen) >= OCCURRENCE_KEYS:
            del seen[next(iter(seen))]
        seen[key] = count
        return count

    def _event(self, found: Match, env: Envelope, raw: RawLine) -> Event:
        if env.boot_id is None:
            # the source knows the boot the text omits; the command knows it for /dev/kmsg
            boot_id = raw.boot_id
            if boot_id is None and env.sequence is not None and env.name == "kmsg":
                boot_id = self.settings.boot_id
            if boot_id:
                env = replace(env, boot_id=boot_id)
        timestamp, time_source, inferred = self.clock.resolve(env)
        host = env.host or self.settings.host
        at = identity.position(env, raw)
        time_key = ""  # only identity rule 3 (no kernel or file position) needs it
        occurrence = 0
        if at is None:
            time_key = identity.time_key(env)
            occurrence = self.count_occurrence((host or "", time_key, env.message))
        severity = env.severity if env.severity is not None else found.level
        peer = None
        if self.enrich is not None and found.message.peer_ip is not None:
            peer = self.enrich(found.message)
        return Event(
            detail=found.message,
            family=found.family,
            envelope=env,
            raw=raw,
            timestamp=timestamp,
            time_source=time_source,
            time_inferred=inferred,
            id=identity.event_id(
                host=host, at=at, time_key=time_key, message=env.message, occurrence=occurrence
            ),
            host=host,
            severity=severity,
            peer=peer,
            truncated=found.truncated,
        )


def _line_count(data: bytes) -> int:
    """Lines of a block of complete lines (the last may lack its newline)."""
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


def _line(data: bytes, start: int, end: int) -> bytes:
    """One line of a block, its newline (`end`) and a CR before it left out."""
    line = data[start:end]
    return line[:-1] if line.endswith(b"\r") else line


def _rescue(env: Envelope) -> tuple[Envelope, Match] | None:
    """The fallback: a catalog message further into a line no envelope fully claimed.

    Only lines that gave no event reach it, so the common path never pays for it.
    """
    text, repeat_count = unknown_prefix.split_count_suffix(env.message)
    located = locate(text)
    if located is None:
        return None
    prefix = unknown_prefix.read(text[: located.start])
    if prefix is None:
        return None
    message = text[located.start :]
    return unknown_prefix.wrap(env, prefix, message, repeat_count), located.match


def build_chain(settings: ParseSettings, enrichment: EnrichSettings) -> Chain:
    """The chain a driver runs: these parse settings, enriched as asked (databases open here).

    Raises DatabaseError (a UsageError) naming a missing, unreadable or corrupt database.
    """
    return Chain(settings, enrich=build_resolver(enrichment))
