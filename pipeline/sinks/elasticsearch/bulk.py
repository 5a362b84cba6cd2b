"""The Elasticsearch sink: bulk `create` into a data stream, every document accounted for.

`_id` is the event's deterministic id and the op type is `create`, so a document delivered
twice (a re-run, a retry after a lost answer) is refused with 409 and counted "already there":
retrying is always safe. Requests go out from one worker thread while the caller keeps
parsing; `send` blocks when the worker falls behind. A destination that makes no progress for
`deadline_secs` is given up: what is left is counted "not delivered", never dropped silently.
"""

from __future__ import annotations

import queue
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from enum import Enum
from typing import Any

from elastic_transport import TransportError
from elasticsearch.helpers import parallel_bulk, streaming_bulk

from pipeline.ecs import document_id
from pipeline.settings import DEFAULT_DATA_STREAM, DEFAULT_DEADLINE_SECS, ES_CHUNK_DOCS, ES_THREADS
from pipeline.sinks.base import Delivery, Document, RejectHandler
from pipeline.sinks.elasticsearch import connection
from pipeline.sinks.elasticsearch.preflight import mapping_warning
from pipeline.sinks.elasticsearch.responses import Verdict, judge
from pipeline.sinks.retry import Backoff

MAX_CHUNK_BYTES = 10 << 20  # well under Elasticsearch's default http.max_content_length
QUEUE_REQUESTS = 4  # requests' worth of documents waiting for the worker before send blocks
MAX_REQUEST_TIMEOUT_SECS = 60.0

Say = Callable[[str], None]


class BulkHelper(Enum):
    STREAMING = "streaming"  # one request at a time (elasticsearch.helpers.streaming_bulk)
    PARALLEL = "parallel"  # `threads` requests at a time (elasticsearch.helpers.parallel_bulk)


def _stderr(message: str) -> None:
    print(f"ktcp: {message}", file=sys.stderr, flush=True)


class ElasticsearchSink:
    def __init__(
        self,
        client: Any,
        url: str,
        data_stream: str = DEFAULT_DATA_STREAM,
        deadline_secs: float = DEFAULT_DEADLINE_SECS,
        on_reject: RejectHandler | None = None,
        helper: BulkHelper = BulkHelper.STREAMING,
        chunk_docs: int = ES_CHUNK_DOCS,
        threads: int = ES_THREADS,
        say: Say = _stderr,
        stop: threading.Event | None = None,
    ) -> None:
        self._client = client.options(
            request_timeout=min(MAX_REQUEST_TIMEOUT_SECS, max(1.0, deadline_secs))
        )
        self._url = url
        self._data_stream = data_stream
        self._deadline_secs = deadline_secs
        self._on_reject = on_reject
        self._helper = helper
        self._chunk_docs = chunk_docs
        self._threads = threads if helper is BulkHelper.PARALLEL else 1
        self._say = say
        self._stop = stop or threading.Event()  # the command was asked to stop: no more waits
        self.delivery = Delivery()
        self._buffer: list[Document] = []
        self._flush_docs = chunk_docs * self._threads
        self._queue: queue.Queue[list[Document] | None] = queue.Queue(QUEUE_REQUESTS)
        self._settled = threading.Condition()
        self._handed_docs = 0  # documents given to the worker
        self._settled_docs = 0  # of those, counted in `delivery` (any outcome)
        self._rejections: list[tuple[Document, str]] = []
        self._in_flight: list[Document] = []  # the worker's documents not yet counted
        self._lock = threading.Lock()
        self._stalled_since: float | None = None  # first failed attempt of the current outage
        self._last_failure = ""
        self._gave_up = False
        self._closed = False
        self._worker = threading.Thread(target=self._work, name="ktcp-es-bulk", daemon=True)
        self._worker.start()

    # -- caller's thread ---------------------------------------------------------------------

    def send(self, documents: Sequence[Document]) -> None:
        self._buffer.extend(documents)
        if len(self._buffer) >= self._flush_docs:
            self._hand(self._buffer)
            self._buffer = []
        self._report_rejections()

    def flush(self, timeout_secs: float) -> bool:
        """Wait up to `timeout_secs` until every document sent so far is counted; True if so."""
        deadline = time.monotonic() + timeout_secs
        if self._buffer:
            try:
                self._hand(self._buffer, timeout_secs)
            except queue.Full:
                return False
            self._buffer = []
        with self._settled:
            while self._settled_docs < self._handed_docs:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._settled.wait(remaining)
            done = self._settled_docs >= self._handed_docs
        self._report_rejections()
        return done

    @property
    def healthy(self) -> bool:
        return not self._gave_up and self._stalled_since is None

    @property
    def confirmed(self) -> int:
        # One worker takes requests in order, so the documents settled are a prefix.
        return self._settled_docs

    def _hand(self, docs: list[Document], timeout_secs: float | None = None) -> None:
        self._queue.put(docs, timeout=timeout_secs)
        with self._settled:
            self._handed_docs += len(docs)

    def close(self) -> Delivery:
        if not self._closed:
            self._closed = True
            if self._buffer:
                self._hand(self._buffer)
                self._buffer = []
            self._queue.put(None)
            self._worker.join()
            self._report_rejections()
            self._client.close()
        return self.delivery

    def _report_rejections(self) -> None:
        # on_reject writes the dead-letter file, which the caller's thread also writes: call
        # it from here, never from the worker.
        with self._lock:
            rejected, self._rejections = self._rejections, []
        if self._on_reject is not None:
            for doc, reason in rejected:
                self._on_reject(doc, reason)

    # -- worker thread -----------------------------------------------------------------------

    def _work(self) -> None:
        while True:
            docs = self._queue.get()
            if docs is None:
                return
            self._in_flight = docs
            try:
                self._deliver(docs)
            except Exception as exc:  # a bug must not hang the caller or lose the count
                self._give_up(f"unexpected error: {exc!r}")
                self.delivery.not_delivered += len(self._in_flight)
            with self._settled:
                self._settled_docs += len(docs)
                self._settled.notify_all()

    def _deliver(self, docs: list[Document]) -> None:
        pending = docs
        backoff = Backoff()
        while pending:
            if self._gave_up:
                self.delivery.not_delivered += len(pending)
                return
            before = self.delivery.total
            started = time.monotonic()
            pending, failure = self._attempt(pending)
            self._in_flight = pending
            if not pending:
                self._recovered()
                return
            if self._gave_up:  # refused for good: the loop counts the rest
                continue
            if self.delivery.total > before:
                self._recovered()
            self.delivery.retried += len(pending)
            now = time.monotonic()
            if self._stalled_since is None:
                self._stalled_since = started
                limit = (
                    f"for up to {self._deadline_secs:g} s"
                    if self._deadline_secs != float("inf")
                    else "until it does"
                )
                self._say(
                    f"Elasticsearch at {self._url} is not taking documents ({failure}); "
                    f"retrying {limit}"
                )
            self._last_failure = failure or "no answer"
            remaining = self._deadline_secs - (now - self._stalled_since)
            if remaining <= 0:
                self._give_up(
                    f"no progress for {self._deadline_secs:g} s (last: {self._last_failure})"
                )
                continue
            if not backoff.wait(self._stop, remaining):
                self._give_up(f"asked to stop while retrying (last: {self._last_failure})")

    def _attempt(self, docs: list[Document]) -> tuple[list[Document], str | None]:
        """One pass of the helper over `docs`: the documents to try again and why."""
        retry: list[Document] = []
        failure: str | None = None
        done = 0
        try:
            for doc, (ok, item) in zip(docs, self._bulk(docs), strict=False):
                answer = judge(ok, item)
                done += 1
                if answer.verdict is Verdict.CREATED:
                    self.delivery.created += 1
                elif answer.verdict is Verdict.ALREADY_THERE:
                    self.delivery.already_there += 1
                elif answer.verdict is Verdict.REJECTED:
                    self.delivery.rejected += 1
                    with self._lock:
                        self._rejections.append((doc, answer.reason))
                elif answer.verdict is Verdict.RETRY:
                    retry.append(doc)
                    failure = failure or f"HTTP {answer.status}"
                else:
                    self._give_up(self._refusal(answer.status, answer.reason))
                    retry.append(doc)
        except TransportError as exc:  # connection refused, reset, timed out: nothing answered
            failure = _short(exc)
        except Exception as exc:  # e.g. a helper's own error: retried, then given up
            failure = f"unexpected error: {exc!r}"[:300]
        if done < len(docs):
            retry.extend(docs[done:])
            failure = failure or "the bulk answer was incomplete"
        return retry, failure

    def _bulk(self, docs: list[Document]) -> Iterator[tuple[bool, dict[str, Any]]]:
        actions = (
            {
                "_op_type": "create",
                "_index": self._data_stream,
                "_id": document_id(doc),
                "_source": doc,
            }
            for doc in docs
        )
        common: dict[str, Any] = {
            "chunk_size": self._chunk_docs,
            "max_chunk_bytes": MAX_CHUNK_BYTES,
            "raise_on_error": False,
            "raise_on_exception": False,
        }
        if self._helper is BulkHelper.PARALLEL:
            return iter(
                parallel_bulk(
                    self._client, actions, thread_count=self._threads, queue_size=1, **common
                )
            )
        return iter(streaming_bulk(self._client, actions, max_retries=0, **common))

    def _refusal(self, status: int | None, reason: str) -> str:
        if status == 401:
            hint = "the credentials were not accepted: check --api-key or --user/--password"
        elif status == 403:
            hint = (
                f"these credentials may not write to {self._data_stream}: grant the index "
                "privileges create_doc and auto_configure"
            )
        else:
            hint = "Elasticsearch refused the request"
        return f"{hint} ({reason})"

    def _recovered(self) -> None:
        if self._stalled_since is not None:
            waited = time.monotonic() - self._stalled_since
            self._say(
                f"Elasticsearch at {self._url} is taking documents again after {waited:.0f} s"
            )
            self._stalled_since = None

    def _give_up(self, reason: str) -> None:
        if not self._gave_up:
            self._gave_up = True
            self._say(
                f"giving up on Elasticsearch at {self._url}: {reason}; "
                "the events not yet delivered are counted as not delivered"
            )


def _short(exc: TransportError) -> str:
    text = str(exc.message)
    for marker in ("Connection refused", "timed out", "Connection reset", "Name or service"):
        if marker in text:
            return f"{type(exc).__name__}: {marker.lower()}"
    return f"{type(exc).__name__}: {text[:200]}"


def open_sink(
    url: str,
    api_key: str | None = None,
    user: str | None = None,
    password: str | None = None,
    ca_certs: str | None = None,
    insecure: bool = False,
    data_stream: str = DEFAULT_DATA_STREAM,
    deadline_secs: float = DEFAULT_DEADLINE_SECS,
    on_reject: RejectHandler | None = None,
    helper: BulkHelper = BulkHelper.STREAMING,
    chunk_docs: int = ES_CHUNK_DOCS,
    threads: int = ES_THREADS,
    say: Say = _stderr,
    stop: threading.Event | None = None,
) -> ElasticsearchSink:
    """The sink `ktcp ship --elasticsearch URL` (and `ktcp agent`) writes to."""
    conn = connection.connection(url, api_key, user, password, ca_certs, insecure)
    if conn.insecure:
        say("TLS certificate verification is off (--insecure)")
    es = connection.client(conn)
    warning = mapping_warning(es, data_stream)
    if warning:
        say(f"warning: {warning}")
    return ElasticsearchSink(
        es,
        conn.url,
        data_stream,
        deadline_secs,
        on_reject,
        helper,
        chunk_docs,
        threads,
        say,
        stop,
    )
