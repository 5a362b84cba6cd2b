"""The agent's run loop: sources -> chain -> sink -> acknowledged positions -> checkpoints.

Each source runs in a thread of its own and hands batches through a small bounded queue; the
loop parses them, sends the documents, waits until the sink confirms them all, and only then
saves the positions of the batches they came from. While the sink is down the loop waits, the
queue fills and the sources stop reading: memory stays bounded and nothing is lost. More than
one source (a log source and a sampler) can feed the same loop; each has its own checkpoint.
"""

from __future__ import annotations

import gc
import queue
import signal
import socket
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from pipeline.agent.choose import choose_source
from pipeline.agent.health import Health, HealthServer
from pipeline.agent.logs import AgentLog
from pipeline.agent.metrics import AgentMetrics
from pipeline.agent.settings import AgentSettings, http_address
from pipeline.chain import Chain, build_chain
from pipeline.ecs import counter_increases, stamp_ingested, to_document
from pipeline.enrich import EnrichSettings, build_resolver
from pipeline.errors import KtcpError, UsageError
from pipeline.events import Event
from pipeline.records import MissKind
from pipeline.sampler.dyndbg import KernelDebug
from pipeline.settings import ParseSettings
from pipeline.sinks.base import AckingSink, Document
from pipeline.sinks.dead_letter import DeadLetterFile
from pipeline.sources.base import IDLE_SECS, Batch, Position, ResumableSource
from pipeline.sources.checkpoint import CheckpointStore

QUEUE_BATCHES = 4  # batches read ahead of the sink, at most (each at most one read block)
FLUSH_WAIT_SECS = 0.5  # the loop checks for SIGTERM and beats /healthz this often while waiting
UNCONFIRMED_BATCHES = 2  # deliveries the sink may hold unconfirmed while the next is read


@dataclass
class _Failure:
    kind: str
    error: BaseException


@dataclass
class Agent:
    """One sink, one chain, any number of sources, one checkpoint store."""

    chain: Chain
    sink: AckingSink
    store: CheckpointStore
    dead_letter: DeadLetterFile
    metrics: AgentMetrics
    health: Health
    log: AgentLog
    batch_events: int
    flush_secs: float
    stop_timeout_secs: float
    stop: threading.Event = field(default_factory=threading.Event)
    reopen_requested: bool = False
    _queue: queue.Queue[tuple[str, Batch | _Failure]] = field(
        default_factory=lambda: queue.Queue(QUEUE_BATCHES)
    )
    _threads: list[threading.Thread] = field(default_factory=list)
    _docs: list[Document] = field(default_factory=list)
    _positions: dict[str, Position] = field(default_factory=dict)
    _pending_since: float | None = None
    _sent: int = 0  # documents handed to the sink so far
    # (documents sent when these positions were read, the positions): saved once confirmed
    _unconfirmed: deque[tuple[int, dict[str, Position]]] = field(default_factory=deque)
    _stop_deadline: float | None = None  # set once, when a stop is first noticed

    # -- sources ---------------------------------------------------------------------------

    def add_source(self, source: ResumableSource) -> None:
        resume = self.store.load(source.kind)
        for warning in self.store.warnings:
            self.log.warning(warning)
        self.store.warnings.clear()
        self.health.sources_open[source.kind] = False
        thread = threading.Thread(
            target=self._produce, args=(source, resume), name=f"ktcp-{source.kind}", daemon=True
        )
        self._threads.append(thread)

    def _produce(self, source: ResumableSource, resume: Position) -> None:
        try:
            for batch in source.batches(resume, self.stop):
                self.health.sources_open[source.kind] = True
                if not self._put((source.kind, batch)):
                    return
        except BaseException as exc:  # reported by the loop, which decides to stop
            self.health.sources_open[source.kind] = False
            self._put((source.kind, _Failure(source.kind, exc)), force=True)

    def _put(self, item: tuple[str, Batch | _Failure], force: bool = False) -> bool:
        while force or not self.stop.is_set():
            try:
                self._queue.put(item, timeout=FLUSH_WAIT_SECS)
                return True
            except queue.Full:
                if force and self.stop.is_set():
                    return False
        return False

    # -- the loop --------------------------------------------------------------------------

    def run(self) -> int:
        """Until SIGTERM (exit status 0) or a source or sink fails for good (1)."""
        for thread in self._threads:
            thread.start()
        status = 0
        while not self.stop.is_set():
            self.health.beat()
            if self.reopen_requested:
                self._reopen_dead_letter()
            try:
                kind, item = self._queue.get(timeout=self._wait_secs())
            except queue.Empty:
                item = None
            if isinstance(item, _Failure):
                self.log.error(f"the {item.kind} source stopped: {_reason(item.error)}")
                status = 1
                break
            if item is not None:
                self._take(kind, item)
            try:
                if self._due(item):
                    self._send()
                elif item is None or item.empty:
                    self.sink.flush(0.0)  # idle: let a spooling sink drain what it holds
                    self._observe_sink()
                    self._commit()
            except KtcpError as exc:
                self.log.error(str(exc))
                return self._abort(1)
        return self._shutdown(status)

    def _wait_secs(self) -> float:
        if self._pending_since is None:
            return IDLE_SECS
        return max(0.0, self._pending_since + self.flush_secs - time.monotonic())

    def _due(self, item: Batch | None) -> bool:
        if self._pending_since is None:
            return False
        if len(self._docs) >= self.batch_events or item is None or item.empty:
            return True
        return time.monotonic() - self._pending_since >= self.flush_secs

    def _take(self, kind: str, batch: Batch) -> None:
        """Parse a batch into documents waiting for the next delivery."""
        chain = self.chain
        lines_before = chain.stats.lines
        outcomes = [
            chain.scan_block(block.data, block.path, block.offset, block.file_id)
            for block in batch.blocks
        ]
        for outcome in (o for block in outcomes for o in block):
            self._outcome(outcome)
        for raw in batch.lines:
            self._outcome(chain.process(raw))
        self.metrics.lines.labels(kind).inc(chain.stats.lines - lines_before)
        for doc in batch.documents:
            for counter, increase in counter_increases(doc).items():
                self.metrics.tcpext.labels(counter).inc(increase)
            self._docs.append(dict(doc))
        for warning in batch.warnings:
            self.log.warning(warning, source=kind)
        if batch.lost:
            self.metrics.kmsg_lost.inc(batch.lost)
            self.log.warning(
                f"{batch.lost} kernel records were overwritten in the ring buffer before they "
                "were read",
                source=kind,
                lost=batch.lost,
            )
        if batch.lag_secs is not None:
            self.metrics.lag.labels(kind).set(batch.lag_secs)
        if batch.position is not None:
            self._positions[kind] = batch.position
        if self._pending_since is None and (self._docs or batch.position is not None):
            self._pending_since = time.monotonic()

    def _outcome(self, outcome: Any) -> None:
        if isinstance(outcome, Event):
            self.metrics.events.labels(outcome.family.action).inc()
            self._docs.append(to_document(outcome))
        elif outcome.kind is not MissKind.NON_TCP:
            self.dead_letter.miss(outcome)
            self.metrics.dead_lettered.labels(outcome.kind.value).inc()

    def _send(self) -> None:
        """Hand what is waiting to the sink, with the positions it covers; save what is confirmed.

        Documents go in pieces of `batch_events`; before each, the loop waits until at most
        UNCONFIRMED_BATCHES pieces are unconfirmed (back-pressure: meanwhile the sources are not
        read). So a sink's own buffer never fills and `send` never blocks the loop.
        """
        docs, self._docs = self._docs, []
        limit = self.batch_events * UNCONFIRMED_BATCHES
        for start in range(0, len(docs), self.batch_events):
            while self._sent - self.sink.confirmed > limit:
                if self.stop.is_set():  # stopping with the sink behind: read again next start
                    self._positions, self._pending_since = {}, None
                    return
                self._wait_for_sink()
            piece = docs[start : start + self.batch_events]
            for doc in piece:
                stamp_ingested(doc)
            self.sink.send(piece)
            self._sent += len(piece)
            self.sink.flush(0.0)  # hand a partial request over now, do not wait for it
        if self._positions:
            self._unconfirmed.append((self._sent, self._positions))
            self._positions = {}
        self._pending_since = None
        self._commit()

    def _wait_for_sink(self) -> None:
        self.sink.flush(FLUSH_WAIT_SECS)
        self.health.beat()
        self._observe_sink()
        self._commit()

    def _commit(self) -> None:
        """Save the positions whose documents the sink has all confirmed."""
        if self.sink.delivery.not_delivered:
            if self.stop.is_set():
                return  # stopping: what is not confirmed is sent again next time
            raise KtcpError("the sink gave up on documents (see above); positions not saved")
        confirmed = self.sink.confirmed
        ready: dict[str, Position] = {}
        while self._unconfirmed and self._unconfirmed[0][0] <= confirmed:
            ready.update(self._unconfirmed.popleft()[1])
        if not ready:
            return
        self.dead_letter.flush()
        if self.dead_letter.error is not None:  # misses not kept: read them again after a fix
            raise KtcpError(self.dead_letter.error + "; positions not saved")
        for kind, position in ready.items():
            self.store.save(kind, position)
            self.metrics.positions_saved.inc()

    def _drain(self, deadline: float) -> bool:
        """Wait until the sink confirmed everything sent, or the deadline; True if it did."""
        while time.monotonic() < deadline:
            if self.sink.flush(min(FLUSH_WAIT_SECS, max(0.0, deadline - time.monotonic()))):
                break
            self.health.beat()
            self._observe_sink()
        self._observe_sink()
        self._commit()
        return not self._unconfirmed and self.sink.confirmed >= self._sent

    def _observe_sink(self) -> None:
        self.metrics.delivery(self.sink.delivery)
        spool = getattr(self.sink, "spool", None)
        if spool is not None:
            self.metrics.spool_bytes.set(spool.bytes_used)

    def _reopen_dead_letter(self) -> None:
        self.reopen_requested = False
        try:
            self.dead_letter.reopen()
            self.log.info(f"reopened the dead-letter file {self.dead_letter.path}")
        except KtcpError as exc:
            self.log.error(str(exc))

    # -- stopping --------------------------------------------------------------------------

    def _shutdown(self, status: int) -> int:
        """Deliver what was read, within `stop_timeout_secs`; save; close."""
        self.stop.set()
        deadline = self._stopping_deadline()
        while True:
            try:
                kind, item = self._queue.get_nowait()
            except queue.Empty:
                break
            if isinstance(item, Batch):
                self._take(kind, item)
        saved = False
        try:
            self._send()
            saved = self._drain(deadline)
        except KtcpError as exc:
            self.log.error(str(exc))
        if not saved:
            self.log.warning(
                "the sink did not confirm the last events in time; their positions are not "
                "saved, so the next start sends them again"
            )
        return self._abort(status, close_sink=saved)

    def _stopping_deadline(self) -> float:
        if self._stop_deadline is None:
            self._stop_deadline = time.monotonic() + self.stop_timeout_secs
        return self._stop_deadline

    def _abort(self, status: int, close_sink: bool = False) -> int:
        self.stop.set()
        if close_sink:
            self.sink.close()
        self._observe_sink()
        self.dead_letter.close()
        self.store.close()
        for thread in self._threads:
            thread.join(timeout=IDLE_SECS * 2)
        return status


@dataclass
class Signals:
    """What SIGTERM/SIGINT (stop) and SIGHUP (reopen) asked; installed before anything slow,
    so a stop during start-up is a clean exit too."""

    log: AgentLog
    stop: threading.Event = field(default_factory=threading.Event)
    agent: Agent | None = None

    def install(self) -> None:
        signal.signal(signal.SIGTERM, self._on_stop)
        signal.signal(signal.SIGINT, self._on_stop)
        signal.signal(signal.SIGHUP, self._on_hup)

    def _on_stop(self, signum: int, frame: FrameType | None) -> None:
        if not self.stop.is_set():
            self.log.info(f"{signal.Signals(signum).name}: delivering what was read, then stopping")
        self.stop.set()

    def _on_hup(self, signum: int, frame: FrameType | None) -> None:
        if self.agent is not None:
            self.agent.reopen_requested = True


def _reason(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


def open_sink(
    settings: AgentSettings, letters: DeadLetterFile, log: AgentLog, stop: threading.Event
) -> AckingSink:
    """The configured sink, retrying for as long as it takes: the agent never gives up data.

    `stop` (SIGTERM) ends its waits: what is unconfirmed then is sent again at the next start.
    """
    forever = float("inf")

    def on_reject(doc: Document, reason: str) -> None:
        letters.rejected(doc, reason)

    if settings.elasticsearch:
        from pipeline.settings import ES_CHUNK_DOCS
        from pipeline.sinks.elasticsearch import open_sink as open_es

        return open_es(
            # more than the loop keeps unconfirmed plus one piece: `send` never waits
            chunk_docs=max(ES_CHUNK_DOCS, settings.batch_events * (UNCONFIRMED_BATCHES + 2)),
            url=settings.elasticsearch,
            api_key=settings.api_key,
            user=settings.user,
            password=settings.password,
            ca_certs=str(settings.ca_certs) if settings.ca_certs else None,
            insecure=settings.insecure,
            data_stream=settings.data_stream,
            deadline_secs=forever,
            on_reject=on_reject,
            say=log.say,
            stop=stop,
        )
    if settings.fluentd:
        from pipeline.sinks.fluentd import open_sink as open_fluentd

        tls, security = settings.fluentd_transport()
        return open_fluentd(
            address=settings.fluentd,
            tls=tls,
            security=security,
            tag_prefix=settings.tag_prefix,
            spool=settings.spool_directory,
            spool_max_bytes=settings.spool_max_bytes,
            deadline_secs=forever,
            on_reject=on_reject,
            warn=log.say,
            stop=stop,
            ack_timeout_secs=settings.fluentd_ack_timeout_secs,
        )
    import sys

    from pipeline.sinks.stdout import NdjsonSink

    return NdjsonSink(sys.stdout.buffer, flush_each=True)


def check_files(settings: AgentSettings) -> None:
    """What --check-config adds to validation: the files named exist and open (UsageError)."""
    if settings.enable_kernel_debug:
        KernelDebug(settings.kernel_debug_control)  # the control file exists
    for name, path in (("ca_certs", settings.ca_certs), ("fluentd_ca", settings.fluentd_ca)):
        if path is not None and not path.is_file():
            raise UsageError(f"--{name.replace('_', '-')} {path}: not a readable file")
    build_resolver(agent_enrichment(settings))


def agent_enrichment(settings: AgentSettings) -> EnrichSettings:
    return EnrichSettings(
        enabled=not settings.no_enrich,
        mmdb=tuple(settings.mmdb),
        ip2region=settings.ip2region,
        isp_overrides=settings.isp_overrides,
    )


def agent_chain(settings: AgentSettings, source: ResumableSource) -> Chain:
    from pipeline.sources.local import boot_time

    # kmsg records carry microseconds since boot only: boot time dates them.
    boot = boot_time() if source.kind == "kmsg" else None
    parse = ParseSettings(
        timezone=settings.timezone, boot_time=boot, host=settings.host or socket.gethostname()
    )
    return build_chain(parse, agent_enrichment(settings))


def kernel_state_sources(settings: AgentSettings, chain: Chain) -> list[ResumableSource]:
    """The sampler beside the log source, when --sample-interval asks for it."""
    if settings.sample_interval is None:
        return []
    from pipeline.enrich.resolver import IspResolver
    from pipeline.sampler.sampler import KernelStateSampler
    from pipeline.sampler.source import SamplerSource
    from pipeline.settings import PROC_NET_DIR
    from pipeline.sources.local import boot_id

    resolver = chain.enrich if isinstance(chain.enrich, IspResolver) else None
    sampler = KernelStateSampler(
        Path(PROC_NET_DIR),
        chain.settings.host,
        boot_id(),
        resolver.lookup if resolver is not None else None,
    )
    return [SamplerSource(sampler, settings.sample_interval)]


def run_agent(settings: AgentSettings, extra_sources: Sequence[ResumableSource] = ()) -> int:
    """Run until SIGTERM; the exit status."""
    log = AgentLog(settings.log_format)
    signals = Signals(log)
    signals.install()
    store = CheckpointStore(settings.state_dir)
    try:
        choice = choose_source(settings)
        log.info(
            f"reading {choice.source.describe()}",
            source=choice.source.kind,
            reason=choice.reason,
            state_dir=str(settings.state_dir),
        )
        # Refuse before anything is opened where the kernel has no dynamic debug.
        debug = KernelDebug(settings.kernel_debug_control) if settings.enable_kernel_debug else None
        letters = DeadLetterFile(Path(settings.dead_letter_path))
        sink = open_sink(settings, letters, log, signals.stop)
        chain = agent_chain(settings, choice.source)
        gc.freeze()  # the databases just loaded live as long as the agent: keep them out of GC
    except BaseException:
        store.close()
        raise
    metrics = AgentMetrics()
    health = Health(sink_ready=lambda: sink.healthy)
    agent = Agent(
        chain=chain,
        sink=sink,
        store=store,
        dead_letter=letters,
        metrics=metrics,
        health=health,
        log=log,
        batch_events=settings.batch_events,
        flush_secs=settings.flush_secs,
        stop_timeout_secs=settings.stop_timeout_secs,
        stop=signals.stop,
    )
    signals.agent = agent
    server = None
    if settings.http != "off":
        try:
            server = HealthServer(http_address(settings.http), health, metrics.registry)
        except OSError as exc:
            store.close()
            raise KtcpError(
                f"cannot serve HTTP on {settings.http}: {exc.strerror or exc} "
                "(give another --http ADDR:PORT, or --http off)"
            ) from exc
        server.start()
        log.info(f"serving /healthz, /readyz and /metrics on {server.url}", http=server.url)
    agent.add_source(choice.source)
    for source in (*extra_sources, *kernel_state_sources(settings, chain)):
        log.info(f"also reading {source.describe()}", source=source.kind)
        agent.add_source(source)
    try:
        if debug is not None:
            sites = debug.enable()
            log.info(
                f"kernel debug lines switched on at {len(sites)} call sites in {debug.control}; "
                "restored on exit",
                sites=[f"{s.file}:{s.line}" for s in sites],
            )
        log.info("started", sink=settings.sink_name)
        status = agent.run()
    finally:
        if debug is not None:
            debug.restore()
    if server is not None:
        server.close()
    log.info("stopped", exit_status=status, **_summary(agent))
    return status


def _summary(agent: Agent) -> dict[str, Any]:
    stats = agent.chain.stats
    delivery = agent.sink.delivery
    return {
        "lines": stats.lines,
        "events": stats.event_count,
        "created": delivery.created,
        "already_there": delivery.already_there,
        "rejected": delivery.rejected,
        "retried": delivery.retried,
        "dead_lettered": agent.dead_letter.count,
    }
