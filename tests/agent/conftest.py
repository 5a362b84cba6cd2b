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
                time.sleep(0.2)  # the readers' last lines
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
