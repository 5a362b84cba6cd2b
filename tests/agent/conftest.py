"""Running `ktcp agent` as a real process: its stdout documents, its log, its HTTP endpoint."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

ROOT = Path(__file__).resolve().parents[2]
WAIT_SECS = 60.0


class AgentProcess:
    """One `python -m pipeline.cli agent ...`; documents and log lines read as they come."""

    def __init__(self, args: list[str], env: dict[str, str] | None = None) -> None:
        environ = {k: v for k, v in os.environ.items() if not k.startswith("KTCP_")}
        environ["PYTHONPATH"] = str(ROOT)
        environ.update(env or {})
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "pipeline.cli", "agent", "--log-format", "json", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=environ,
        )
        self.documents: list[dict[str, Any]] = []
        self.logs: list[dict[str, Any]] = []
        self._docs: queue.Queue[dict[str, Any]] = queue.Queue()
        self._log_lines: queue.Queue[dict[str, Any]] = queue.Queue()
        self._readers = [
            threading.Thread(target=self._read, args=(self.proc.stdout, self._docs), daemon=True),
            threading.Thread(
                target=self._read, args=(self.proc.stderr, self._log_lines), daemon=True
            ),
        ]
        for reader in self._readers:
            reader.start()

    @staticmethod
    def _read(stream: Any, into: queue.Queue[dict[str, Any]]) -> None:
        for line in stream:
            try:
                into.put(orjson.loads(line))
            except orjson.JSONDecodeError:
                into.put({"message": line.decode(errors="replace"), "unparsed": True})

    def _drain(self) -> None:
        while True:
            try:
                self.documents.append(self._docs.get_nowait())
            except queue.Empty:
                break
        while True:
            try:
                self.logs.append(self._log_lines.get_nowait())
            except queue.Empty:
                break

    def wait_for(
        self, condition: Callable[[AgentProcess], bool], what: str, timeout: float = WAIT_SECS
    ) -> None:
        deadline = time.monotonic() + timeout
        while True:
            self._drain()
            if condition(self):
                return
            if self.proc.poll() is not None:
                for reader in self._readers:  # the readers' last lines: until EOF
                    reader.join(timeout)
                self._drain()
                if condition(self):
                    return
                pytest.fail(f"agent exited ({self.proc.returncode}) before {what}: {self.logs}")
            if time.monotonic() > deadline:
                pytest.fail(f"timed out waiting for {what}; log: {self.logs[-10:]}")
            time.sleep(0.05)

    def wait_docs(self, count: int, timeout: float = WAIT_SECS) -> list[dict[str, Any]]:
        self.wait_for(lambda a: len(a.documents) >= count, f"{count} documents", timeout)
        return self.documents

    def originals(self) -> list[str]:
        self._drain()
        return [d["event"]["original"] for d in self.documents]

    def log_with(self, key: str) -> dict[str, Any]:
        self.wait_for(lambda a: any(key in entry for entry in a.logs), f"a log line with {key}")
        return next(entry for entry in self.logs if key in entry)

    @property
    def http(self) -> str:
        return str(self.log_with("http")["http"])

    def stop(self, timeout: float = WAIT_SECS) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        status = self.proc.wait(timeout)
        for reader in self._readers:
            reader.join(timeout=10)
        self._drain()
        return status

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(30)
        for reader in self._readers:
            reader.join(timeout=10)
        self._drain()


@pytest.fixture
def start_agent() -> Iterator[Callable[..., AgentProcess]]:
    started: list[AgentProcess] = []

    def start(*args: str, env: dict[str, str] | None = None) -> AgentProcess:
        agent = AgentProcess(list(args), env)
        started.append(agent)
        return agent

    yield start
    for agent in started:
        agent.kill()


SYN_LINE = (
    "Dec  1 03:{minute:02d}:{second:02d} node1 kernel: [{n:6d}.000001] TCP: request_sock_TCP: "
    "Possible SYN flooding on port {port}. Sending cookies.  Check SNMP counters. n={n}\n"
)
NOISE_LINE = "Dec  1 03:00:00 node1 kernel: [{n:6d}.000002] eth0: link is up n={n}\n"


class SteadyWriter:
    """Appends kernel lines to a file at a steady rate in a thread: half TCP events, half noise."""

    def __init__(self, path: Path, lines: int, per_second: float) -> None:
        self.path = path
        self.lines = lines
        self.per_second = per_second
        self.written = 0
        self.done = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._write, daemon=True)

    def start(self) -> SteadyWriter:
        self._thread.start()
        return self

    def _write(self) -> None:
        started = time.monotonic()
        with self.path.open("a") as out:
            for n in range(self.lines):
                if self._stop.is_set():
                    break
                template = SYN_LINE if n % 2 == 0 else NOISE_LINE
                out.write(
                    template.format(minute=(n // 60) % 60, second=n % 60, n=n, port=n % 65536)
                )
                out.flush()
                self.written += 1
                lag = started + (n + 1) / self.per_second - time.monotonic()
                if lag > 0:
                    self._stop.wait(lag)
        self.done.set()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(30)


@pytest.fixture
def steady_writer() -> Iterator[Callable[[Path, int, float], SteadyWriter]]:
    writers: list[SteadyWriter] = []

    def start(path: Path, lines: int, per_second: float) -> SteadyWriter:
        writer = SteadyWriter(path, lines, per_second).start()
        writers.append(writer)
        return writer

    yield start
    for writer in writers:
        writer.stop()


def parsed_ids(path: Path) -> set[str]:
    """The event ids `ktcp parse` gives the same file: what the agent must deliver."""
    done = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "parse", "--output", "ndjson", str(path)],
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=300,
        check=True,
    )
    return {orjson.loads(line)["event"]["id"] for line in done.stdout.splitlines()}


@pytest.fixture
def expected_ids() -> Callable[[Path], set[str]]:
    return parsed_ids


def es_ids(es: Any, index: str) -> set[str]:
    from elasticsearch.helpers import scan

    es.indices.refresh(index=index)
    return {hit["_id"] for hit in scan(es, index=index, query={"_source": False})}


@pytest.fixture
def ids_in() -> Callable[[Any, str], set[str]]:
    return es_ids
