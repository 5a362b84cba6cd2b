"""`ktcp sample` on real kernel state: loopback connections held at zero window (IPv4, IPv6),
their episodes, and the TcpExt probe counter, read as a user runs it (a subprocess)."""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pipeline.sampler.counters import read_counters

from .loopback import StalledConnection

WAIT_SECS = 90.0  # bound on every wait below; a loaded machine is slow, never this slow


class Sampler:
    """A running `ktcp sample` whose NDJSON lines are read as they come."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "pipeline.cli", "sample", "--no-enrich", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.docs: list[dict[str, Any]] = []
        self._lines: queue.Queue[bytes] = queue.Queue()
        assert self.proc.stdout is not None
        stdout = self.proc.stdout
        threading.Thread(target=lambda: [self._lines.put(x) for x in stdout], daemon=True).start()

    def wait_for(self, want: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        deadline = time.monotonic() + WAIT_SECS
        for doc in self.docs:
            if want(doc):
                return doc
        while time.monotonic() < deadline:
            try:
                line = self._lines.get(timeout=1)
            except queue.Empty:
                assert self.proc.poll() is None, self.proc.stderr.read()  # type: ignore[union-attr]
                continue
            doc = json.loads(line)
            self.docs.append(doc)
            if want(doc):
                return doc
        raise AssertionError(f"no such document within {WAIT_SECS} s; saw {self.docs}")

    def stop(self) -> str:
        self.proc.send_signal(signal.SIGTERM)
        _, err = self.proc.communicate(timeout=WAIT_SECS)
        while not self._lines.empty():
            self.docs.append(json.loads(self._lines.get()))
        assert self.proc.returncode == 0, err
        return err.decode()


def _is(action: str, conn: StalledConnection, phase: str) -> Callable[[dict[str, Any]], bool]:
    def match(doc: dict[str, Any]) -> bool:
        return (
            doc["event"]["action"] == action
            and phase in doc["event"]["type"]
            and doc["destination"]["port"] == conn.sender_port
            and doc["source"]["port"] == conn.receiver_port
        )

    return match


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.fixture
def stalled() -> Iterator[list[StalledConnection]]:
    conns = [StalledConnection(socket.AF_INET, "127.0.0.1")]
    if _ipv6_loopback():
        conns.append(StalledConnection(socket.AF_INET6, "::1"))
    yield conns
    for conn in conns:
        conn.close()


def _win_probes() -> int:
    return read_counters(Path("/proc/net")).get("TCPWinProbe", 0)


def test_a_peer_holding_a_zero_window_is_one_episode_with_a_duration(
    stalled: list[StalledConnection],
) -> None:
    probes_before = _win_probes()
    sampler = Sampler("--interval", "0.3")
    try:
        for conn in stalled:
            start = sampler.wait_for(_is("tcp-zero-window-peer", conn, "start"))
            assert start["source"]["ip"] == start["destination"]["ip"]
            assert start["network"]["type"] == ("ipv4" if conn.address == "127.0.0.1" else "ipv6")
            assert 0 < start["ktcp"]["zero_window"]["bytes_queued"] <= conn.sent
        # The kernel probes the zero window; wait until the sampler has counted some probes.
        sampler.wait_for(
            lambda d: d["event"]["action"] == "tcp-counters"
            and d["ktcp"]["counters"].get("win_probe", 0) > 0
        )
        for conn in stalled:
            conn.drain().join(WAIT_SECS)
        for conn in stalled:
            end = sampler.wait_for(_is("tcp-zero-window-peer", conn, "end"))
            assert end["event"]["duration"] > 0
            assert end["event"]["start"] < end["event"]["end"]
    finally:
        summary = sampler.stop()
    probes_after = _win_probes()
    assert "samples of /proc/net" in summary

    for conn in stalled:
        mine = [d for d in sampler.docs if d["event"]["action"] == "tcp-zero-window-peer"
                and d["destination"]["port"] == conn.sender_port]
        # Once when first seen, once when it ended: not at every sample.
        assert sorted(t for d in mine for t in d["event"]["type"] if t != "connection") == [
            "end",
            "start",
        ]
    counted = sum(
        d["ktcp"]["counters"].get("win_probe", 0)
        for d in sampler.docs
        if d["event"]["action"] == "tcp-counters"
    )
    # The sampler saw probes, and never more than the kernel counted around the whole test.
    assert 0 < counted <= probes_after - probes_before
    ids = [d["event"]["id"] for d in sampler.docs]
    assert len(ids) == len(set(ids))


def test_count_bounds_the_run_and_the_first_sample_has_no_counter_delta() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "sample", "--no-enrich", "--count", "2",
         "--interval", "0.2"],
        capture_output=True,
        timeout=WAIT_SECS,
        check=True,
    )
    docs = [json.loads(line) for line in result.stdout.splitlines()]
    counters = [d for d in docs if d["event"]["action"] == "tcp-counters"]
    assert len(counters) == 1  # the second sample's increase; the first only sets the baseline
    assert counters[0]["ktcp"]["counters"]["interval_secs"] > 0
    assert b"2 samples" in result.stderr
