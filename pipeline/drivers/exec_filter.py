"""The exec_filter stage: the child process Fluentd's `out_exec_filter` feeds (docs/FLUENTD.md).

stdin: Fluentd records, the record only (no tag, no time) - a msgpack stream split anywhere, or
one JSON object per line. Each record enters the same Chain as `ktcp parse` through
`Chain.process_record` (the structured-record envelope finds the kernel line under the record
keys and the `time`/`fluentd_time`/`fluentd_tag` that `<inject>` adds), unless a fast path
below gives exactly the same answer for it more cheaply. stdout: one ECS
document per event, in the format Fluentd's `<parse>` reads, flushed after every batch.
Fluentd discards the child's stderr, stops reading after one malformed output record and loses
data when the child dies, so: every record is handled on its own and counted; every record that
gives no event and is not plain non-TCP is logged (log file and stderr) and, with an error tag,
becomes an error record; only well-formed records are ever written; the loop ends only on EOF
or a signal (the command's interrupt policy, drivers/interrupts.py).
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any

import msgpack
import orjson

from pipeline import envelopes
from pipeline.catalog import candidate_span
from pipeline.chain import Chain
from pipeline.clock import epoch_parts
from pipeline.drivers.interrupts import Interrupted, Interrupts
from pipeline.ecs import ingested_now, stamp_ingested, to_document
from pipeline.envelopes import structured
from pipeline.envelopes.syslog import RFC3164
from pipeline.events import Event
from pipeline.records import Miss, MissKind

READ_BYTES = 1 << 20  # at most, per read of stdin: whatever is there, up to this
PIPE_BYTES = 1 << 20  # the stdin and stdout pipes' capacity asked for (Linux; 64 KiB by default)
_UNSEEN = object()  # a key set not looked at yet
# The byte before a record's line (its msgpack length) stands where the line's own search sees
# the start of the text: only `=` makes them differ (the keyword alternative `(?:^|[^=\n])TCP`
# matches a line that starts with TCP, but not after `=`), so there the line is searched alone.
_EQUALS = ord("=")
MAX_SHAPES = 256  # distinct key sets of msgpack records whose line key is remembered
# What `str.strip` removes from ASCII text (bytes.strip leaves \x1c-\x1f): a line of only
# these is blank, as `line_of` sees it.
_TEXT_BLANKS = b" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"
DEFAULT_TIME_KEY = "ktcp_time"  # read back by `<parse> time_key ktcp_time  time_type float`
DEFAULT_TAG_KEY = "ktcp_tag"  # read back by `<extract> tag_key ktcp_tag` (error records only)
EXCERPT_CHARS = 300  # of a bad record, in its log line
FORMATS = ("msgpack", "json")

Record = dict[str, Any]
Log = Callable[[str], None]


@dataclass(frozen=True)
class FilterSettings:
    input_format: str = "msgpack"
    output_format: str = "msgpack"
    pass_unmatched: bool = False  # non-TCP, unmatched and unusable records go out untouched
    time_key: str | None = DEFAULT_TIME_KEY  # "sec.nsec" of @timestamp, for Fluentd's <parse>
    error_tag: str | None = None  # also write an error record, tagged so, per bad record
    tag_key: str = DEFAULT_TAG_KEY


@dataclass
class FilterStats:
    """Every record read is counted once: records = events + non_tcp + unmatched + invalid +
    bad. What went out for the records that gave no event is counted beside."""

    records: int = 0
    events: int = 0
    non_tcp: int = 0  # kernel noise or another program's record: normal, not logged
    unmatched: int = 0  # TCP-looking kernel line no catalog wording fits
    invalid: int = 0  # a record without a usable kernel line, or out-of-range values
    bad: int = 0  # not a record at all: broken msgpack/JSON, not a map, failed processing
    passed: int = 0  # written through untouched (--pass-unmatched)
    error_records: int = 0  # written under --error-tag
    seconds: float = 0.0

    def render(self) -> str:
        rate = self.records / self.seconds if self.seconds > 0 else 0.0
        return (
            f"{self.records:,} records in {self.seconds:.2f} s ({rate:,.0f}/s): "
            f"{self.events:,} events, {self.non_tcp:,} non-TCP, {self.unmatched:,} unmatched, "
            f"{self.invalid:,} invalid, {self.bad:,} bad records; {self.passed:,} passed "
            f"through, {self.error_records:,} error records"
        )


@dataclass(frozen=True, slots=True)
class BadRecord:
    reason: str
    excerpt: str


# -- decoding: bytes in -> records ---------------------------------------------------------------


def textual(value: Any) -> Any:
    """A decoded msgpack value with every byte string as text: Fluentd sends Ruby strings as
    msgpack bin or str alike; invalid UTF-8 stays visible as \\xNN (lossless, JSON-safe)."""
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return value.decode("utf-8", "backslashreplace")
    if isinstance(value, dict):
        return {_key(k): textual(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [textual(v) for v in value]
    if isinstance(value, msgpack.ExtType | msgpack.Timestamp):
        return _ext_text(value)
    return value


def _key(key: Any) -> str:
    text = textual(key)
    return text if isinstance(text, str) else str(text)


def _ext_text(value: msgpack.ExtType | msgpack.Timestamp) -> str:
    if isinstance(value, msgpack.ExtType) and value.code == 0 and len(value.data) == 8:
        seconds = int.from_bytes(value.data[:4], "big")
        return f"{seconds}.{int.from_bytes(value.data[4:], 'big'):09d}"  # Fluentd EventTime
    if isinstance(value, msgpack.Timestamp):
        seconds, nanos = divmod(value.to_unix_nano(), 1_000_000_000)
        return f"{seconds}.{nanos:09d}"
    return f"ext {value.code}: {value.data.hex()}"


def _excerpt(data: bytes | str) -> str:
    text = data if isinstance(data, str) else data.decode("utf-8", "backslashreplace")
    text = text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS] + "..."
    return text.encode("unicode_escape").decode("ascii")


class MsgpackRecords:
    """A msgpack stream split anywhere -> (record, its exact bytes) per object.

    A record may end in a later read; its bytes are kept until then. Garbage in the stream
    cannot stop the loop: the byte where decoding failed is skipped and decoding resumes.
    """

    def __init__(self) -> None:
        self._pending = b""

    def feed(self, data: bytes) -> Iterator[tuple[Any, bytes] | BadRecord]:
        buf = self._pending + data
        while buf:
            unpacker = msgpack.Unpacker(raw=True, strict_map_key=False)
            unpacker.feed(buf)
            start = 0
            try:
                for obj in unpacker:
                    end = unpacker.tell()
                    yield obj, buf[start:end]
                    start = end
            except Exception as exc:  # any decoding failure: skip one byte and resync
                reason = f"broken msgpack ({type(exc).__name__} {exc})"
                yield BadRecord(reason, _excerpt(buf[start : start + 64]))
                buf = buf[start + 1 :]
                continue
            buf = buf[start:]
            break
        self._pending = buf

    def finish(self) -> Iterator[BadRecord]:
        if self._pending:
            yield BadRecord("input ended inside a msgpack record", _excerpt(self._pending[:64]))
            self._pending = b""


class JsonRecords:
    """One JSON object per `\\n`-terminated line -> (record, its line)."""

    def __init__(self) -> None:
        self._pending = b""

    def feed(self, data: bytes) -> Iterator[tuple[Any, bytes] | BadRecord]:
        buf = self._pending + data
        cut = buf.rfind(b"\n") + 1
        self._pending = buf[cut:]
        for line in buf[:cut].split(b"\n"):
            yield from self._line(line)

    def _line(self, line: bytes) -> Iterator[tuple[Any, bytes] | BadRecord]:
        line = line.removesuffix(b"\r")
        if not line.strip():
            return
        try:
            yield orjson.loads(line), line
        except orjson.JSONDecodeError as exc:
            yield BadRecord(f"broken JSON ({exc})", _excerpt(line))

    def finish(self) -> Iterator[tuple[Any, bytes] | BadRecord]:
        line, self._pending = self._pending, b""
        yield from self._line(line)


# -- the filter ----------------------------------------------------------------------------------


class ExecFilter:
    """Records in, documents out; one instance per child process.

    A msgpack record goes one of three ways. Most kernel lines are not TCP: when the record's
    kernel line is plain ASCII text under a key its shape fixes (`_line_key`) and holds no
    catalog keyword (one keyword search over the whole read answers for most such records),
    it costs a counter, and is dropped or passed through untouched; that is exactly what the
    general path decides for such a record, without decoding it. A record that is its kernel
    line alone may be rendered by the compiled fast path (pipeline/native.py), which hands
    back the encoded document. Every other record takes the general path (`handle`): decoded
    to text, through `Chain.process_record`, counted and rendered.

    Output: everything a read of stdin gives is appended to one buffer and written with one
    `write` and one flush. An item of it is either a document (a dict, encoded in the output
    format) or bytes already encoded in that format (a record passed through, a document the
    compiled path rendered; `_put` takes either).
    """

    def __init__(self, chain: Chain, settings: FilterSettings, out: IO[bytes], log: Log) -> None:
        self.chain = chain
        self.settings = settings
        self.out = out
        self.log = log
        self.stats = FilterStats()
        self._packer = msgpack.Packer(use_bin_type=True)
        self._records: MsgpackRecords | JsonRecords = (
            MsgpackRecords() if settings.input_format == "msgpack" else JsonRecords()
        )
        self._pending = b""  # msgpack bytes of a record that has not ended yet
        self._ingested: str | None = None  # event.ingested of the documents of this read
        self._line_keys: dict[tuple[Any, ...], bytes | None] = {}
        # non-TCP records pass through as their own bytes when the formats agree; passed
        # through into JSON, they are decoded (the general path)
        self._pass_raw = settings.pass_unmatched and settings.output_format == "msgpack"
        self._quick = self._pass_raw or not settings.pass_unmatched
        # a record that is its kernel line alone may be rendered by the compiled fast path
        # (pipeline/native.py); the envelope name its shape gives, per shape
        self._native = chain.render_natively()
        self._native_envelopes: dict[tuple[Any, ...], str | None] = {}

    def feed(self, data: bytes) -> None:
        """Handle every complete record in `data`; write and flush their output at once."""
        self._ingested = ingested_now()  # the documents of one read share their event.ingested
        if self.settings.input_format == "msgpack":
            self._write(self._feed_msgpack(data))
        else:
            self._write([self.handle(item) for item in self._records.feed(data)])

    def finish(self) -> None:
        self._ingested = ingested_now()
        if self.settings.input_format == "msgpack":
            tail, self._pending = self._pending, b""
            if tail:
                bad = BadRecord("input ended inside a msgpack record", _excerpt(tail[:64]))
                self._write([self.handle(bad)])
            return
        self._write([self.handle(item) for item in self._records.finish()])

    def _write(self, outputs: list[bytes]) -> None:
        data = b"".join(outputs)
        if data:
            self.out.write(data)
            self.out.flush()  # Fluentd reads as bytes arrive: never leave a batch in a buffer

    def _feed_msgpack(self, data: bytes) -> list[bytes]:
        """The outputs of every record that ends in `pending + data`, in input order.

        The same records, outcomes and bytes as `MsgpackRecords` + `handle` per record (the
        reference the tests compare with); garbage is skipped a byte at a time alike.
        """
        buf = self._pending + data if self._pending else data
        outputs: list[bytes] = []
        span = candidate_span
        shapes = self._line_keys
        pass_raw, quick, native = self._pass_raw, self._quick, self._native
        quiet = 0  # non-TCP records not yet added to the counters
        rendered = 0  # events rendered natively, not yet added to the counters
        start = 0
        while True:
            # the leftmost candidate keyword in `buf` at or after the record being looked at:
            # one search over the whole read answers for the many records without any
            hit_start = hit_end = -1  # not searched yet
            unpacker = msgpack.Unpacker(raw=True, strict_map_key=False)
            unpacker.feed(buf)
            try:
                for obj in unpacker:
                    end = unpacker.tell()
                    if (quick or native) and type(obj) is dict:
                        shape = tuple(obj)
                        key = shapes.get(shape, _UNSEEN)
                        if key is _UNSEEN:
                            key = self._line_key(shape)
                        line = obj.get(key) if key is not None else None
                        if type(line) is bytes:
                            if quick and line.isascii() and line.lstrip(_TEXT_BLANKS):
                                if len(shape) > 1:
                                    clean = span(line, 0) is None
                                else:  # the line is the record's last bytes
                                    if hit_start < start:
                                        found = span(buf, start)
                                        hit_start, hit_end = found or (len(buf) + 1, 0)
                                    at = end - len(line)
                                    if hit_start >= end and buf[at - 1] != _EQUALS:
                                        clean = True  # no keyword in its bytes (see _EQUALS)
                                    elif hit_start >= at and hit_end <= end:
                                        clean = False  # a keyword inside the line itself
                                    else:
                                        clean = span(line, 0) is None
                            else:
                                clean = False
                            if clean:
                                quiet += 1
                                if pass_raw:
                                    outputs.append(buf[start:end])
                                start = end
                                continue
                            if native and len(shape) == 1:
                                document = self._render_natively(shape, line)
                                if document is not None:
                                    rendered += 1
                                    outputs.append(document)
                                    start = end
                                    continue
                    if quiet or rendered:  # `handle` logs a record by its number
                        self._count_fast(quiet, rendered)
                        quiet = rendered = 0
                    outputs.append(self.handle((obj, buf[start:end])))
                    start = end
            except Exception as exc:  # any decoding failure: skip one byte and resync
                if quiet or rendered:
                    self._count_fast(quiet, rendered)
                    quiet = rendered = 0
                reason = f"broken msgpack ({type(exc).__name__} {exc})"
                outputs.append(self.handle(BadRecord(reason, _excerpt(buf[start : start + 64]))))
                buf = buf[start + 1 :]
                start = 0  # (the keyword search starts again over the new buffer)
                if buf:
                    continue
            break
        if quiet or rendered:
            self._count_fast(quiet, rendered)
        self._pending = buf[start:]
        return outputs

    def _render_natively(self, shape: tuple[Any, ...], line: bytes) -> bytes | None:
        """The document of a one-key record through the compiled fast path, encoded; None
        when it declines the line (the general path then takes the record)."""
        envelope = self._native_envelopes.get(shape, "")
        if envelope == "":
            envelope = self._native_envelope(shape)
            if len(self._native_envelopes) < MAX_SHAPES:
                self._native_envelopes[shape] = envelope
        if envelope is None:
            return None
        assert self._ingested is not None
        settings = self.settings
        return self.chain.render_record(
            line, envelope, self._ingested, settings.time_key, settings.output_format
        )

    def _native_envelope(self, shape: tuple[Any, ...]) -> str | None:
        """The name of the envelope a record of this one key is (`fluentd`), when the general
        path reads a kern.log line in it as that envelope around the line's own
        (`fluentd+syslog-3164`); None otherwise (another kind, a forced envelope): the fast
        path then stays out."""
        probe = "Nov 24 10:16:40 host kernel: [ 1.000000] TCP: too many orphaned sockets"
        record = {_key(shape[0]): probe}
        try:
            line, env = envelopes.from_record(
                record, record_keys=self.chain.settings.record_keys, kind=self.chain.record_kind
            )
        except envelopes.EnvelopeError:
            return None
        if (
            line != probe
            or env.message != "TCP: too many orphaned sockets"
            or not env.name.endswith(f"+{RFC3164}")
        ):
            return None
        return env.name.removesuffix(f"+{RFC3164}")

    def _count_fast(self, quiet: int, rendered: int) -> None:
        """Records of the fast paths: the non-TCP ones counted as `_miss` counts them, those
        the compiled path rendered as events (the chain counted those itself)."""
        self.stats.records += quiet + rendered
        self.stats.events += rendered
        if quiet:
            self.stats.non_tcp += quiet
            if self._pass_raw:
                self.stats.passed += quiet
            self.chain.count_non_tcp_records(quiet)

    def _line_key(self, shape: tuple[Any, ...]) -> bytes | None:
        """For records with these msgpack keys: the key whose value, when it is text that is
        not blank, is the kernel line `line_of` takes from the decoded record; None when the
        keys alone do not tell (the general path then decides every such record)."""
        key: bytes | None = None
        texts = [_key(k) for k in shape]
        present = dict(zip(texts, shape, strict=True))
        docker_like = all(k in present for k in ("log", "stream", "time"))  # by log's type
        if len(present) == len(shape) and all(type(k) is bytes for k in shape) and not docker_like:
            probe = dict.fromkeys(texts, "")
            for name in structured.line_keys(
                probe, self.chain.settings.record_keys, self.chain.record_kind
            ):
                if name in present:
                    key = present[name]
                    break
        if len(self._line_keys) < MAX_SHAPES:
            self._line_keys[shape] = key
        return key

    def _put(self, item: Record | bytes) -> bytes:
        """One output item as bytes of the output format: a document is encoded, bytes are
        taken as they are (already in that format)."""
        return item if isinstance(item, bytes) else self._encode(item)

    def handle(self, item: tuple[Any, bytes] | BadRecord) -> bytes:
        self.stats.records += 1
        if isinstance(item, BadRecord):
            return self._bad(item.reason, item.excerpt)
        obj, raw = item
        try:
            if not isinstance(obj, dict):
                return self._bad(f"not a record but {type(obj).__name__}", _excerpt(raw))
            record = textual(obj) if self.settings.input_format == "msgpack" else obj
            outcome = self.chain.process_record(record)
            if isinstance(outcome, Event):
                self.stats.events += 1
                return self._put(self._document(outcome))
            return self._miss(outcome, record, raw)
        except Exception as exc:  # a bug must cost one record, never the child
            return self._bad(f"failed: {type(exc).__name__}: {exc}", _excerpt(raw))

    def _document(self, event: Event) -> Record:
        doc = to_document(event)
        stamp_ingested(doc, self._ingested)
        if self.settings.time_key:
            seconds, nanos = epoch_parts(event.timestamp)
            doc[self.settings.time_key] = f"{seconds}.{nanos:09d}"  # exact with time_type float
        return doc

    def _miss(self, miss: Miss, record: Record, raw: bytes) -> bytes:
        """Non-TCP records are normal: counted, then dropped or passed. Every other record
        that gave no event is logged and, with --error-tag, becomes an error record."""
        if miss.kind is MissKind.NON_TCP:
            self.stats.non_tcp += 1
        else:
            if miss.kind is MissKind.UNMATCHED:
                self.stats.unmatched += 1
            else:
                self.stats.invalid += 1
            shown = _excerpt(orjson.dumps(record, default=str, option=orjson.OPT_NON_STR_KEYS))
            self.log(f"{miss.kind.value} record #{self.stats.records}: {miss.reason}: {shown}")
            if self.settings.error_tag:
                return self._error_record(miss.kind.value, miss.reason, record)
        if not self.settings.pass_unmatched:
            return b""
        self.stats.passed += 1
        if self.settings.input_format == self.settings.output_format:
            return raw if self.settings.output_format == "msgpack" else raw + b"\n"
        return self._encode(textual(record))

    def _bad(self, reason: str, excerpt: str) -> bytes:
        self.stats.bad += 1
        self.log(f"bad record #{self.stats.records}: {reason}: {excerpt}")
        if self.settings.error_tag:
            return self._error_record("bad", reason, {"excerpt": excerpt})
        return b""

    def _error_record(self, kind: str, reason: str, record: Record) -> bytes:
        """A record Fluentd routes by tag (`<extract> tag_key`) instead of losing the problem."""
        assert self.settings.error_tag is not None
        self.stats.error_records += 1
        error = {
            self.settings.tag_key: self.settings.error_tag,
            "error": {"kind": kind, "message": reason},
            "record": record,
        }
        return self._encode(error)

    def _encode(self, doc: Record) -> bytes:
        if self.settings.output_format == "msgpack":
            return self._packer.pack(doc)
        return orjson.dumps(doc, default=str, option=orjson.OPT_NON_STR_KEYS) + b"\n"


def run_filter(
    chain: Chain,
    settings: FilterSettings,
    stdin: IO[bytes],
    stdout: IO[bytes],
    log: Log,
    interrupts: Interrupts | None = None,
) -> FilterStats:
    """Until EOF or SIGTERM/SIGINT (the command's `interrupts`): a signal while reading ends
    the loop at once; one while a batch is handled lets that batch finish and flush first."""
    interrupts = interrupts or Interrupts()
    stage = ExecFilter(chain, settings, stdout, log)
    _widen_pipe(stdin)
    _widen_pipe(stdout)
    read = getattr(stdin, "read1", stdin.read)  # whatever is there: never wait for a full block
    started = time.perf_counter()
    try:
        while not interrupts.requested:
            data = read(READ_BYTES)
            with interrupts.deferred():
                if not data:
                    stage.finish()
                    break
                stage.feed(data)
    except Interrupted:
        pass
    except BrokenPipeError:
        log("Fluentd closed our standard output; stopping")
    finally:
        stage.stats.seconds = time.perf_counter() - started
    return stage.stats


def _widen_pipe(stream: IO[bytes]) -> None:
    """Let more than 64 KiB wait in a pipe between Fluentd and us: fewer, larger reads of
    stdin (each costs a system call, a decoder and a write of its output), and a read's output
    written without waiting for Fluentd to take each 64 KiB of it. Best effort: not a pipe,
    not Linux, or above the system's /proc/sys/fs/pipe-max-size, and it stays as it is."""
    set_size = getattr(fcntl, "F_SETPIPE_SZ", None)
    if set_size is None:
        return
    with contextlib.suppress(OSError, ValueError, io.UnsupportedOperation):
        fcntl.fcntl(stream.fileno(), set_size, PIPE_BYTES)


def stderr_log(path: str | None) -> Log:
    """One line per problem on stderr (Fluentd discards it) and, if given, in a log file."""
    target = open(path, "a", encoding="utf-8") if path else None  # noqa: SIM115 - process-long

    lost = 0  # log lines the file did not take (a full disk): said in the next line that fits

    def log(text: str) -> None:
        nonlocal lost
        line = f"{datetime.now(UTC).isoformat(timespec='seconds')} ktcp exec-filter: {text}\n"
        if target is not None:
            try:
                if lost:
                    target.write(f"({lost:,} earlier log lines could not be written here)\n")
                target.write(line)
                target.flush()
                lost = 0
            except OSError:  # a full disk must not end the child: Fluentd would lose data
                lost += 1
        with contextlib.suppress(OSError):
            sys.stderr.write(line)
            sys.stderr.flush()

    return log
