"""`ktcp agent --sample-interval`: the sampler beside the log source, resumed across a restart,
its counters on /metrics; `--enable-kernel-debug` switching call sites on and back off."""

from __future__ import annotations

import importlib.util
import socket
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from pipeline.sampler.dyndbg import CONTROL_FILES

TESTS = Path(__file__).resolve().parents[1]
LISTING = (TESTS / "data/sampler/dynamic_debug_control").read_text()


def _loopback() -> Any:
    spec = importlib.util.spec_from_file_location("ktcp_loopback", TESTS / "sampler/loopback.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["ktcp_loopback"] = module
    spec.loader.exec_module(module)
    return module


def _mine(port: int, phase: str) -> Any:
    def match(agent: Any) -> bool:
        return any(
            d["event"]["action"] == "tcp-zero-window-peer"
            and phase in d["event"]["type"]
            and d["destination"]["port"] == port
            for d in agent.documents
        )

    return match


def _metric(url: str, name: str) -> float | None:
    with urllib.request.urlopen(url + "/metrics", timeout=30) as answer:
        for line in answer.read().decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
    return None


def test_sampler_episodes_resume_across_a_restart_and_counters_reach_metrics(
    tmp_path: Path, start_agent: Any
) -> None:
    log = tmp_path / "kern.log"
    log.write_text("")
    conn = _loopback().StalledConnection(socket.AF_INET, "127.0.0.1")
    port = conn.sender_port
    args = (
        "--source", "file", "--path", str(log), "--stdout", "--no-enrich",
        "--state-dir", str(tmp_path / "state"), "--http", "127.0.0.1:0",
        "--sample-interval", "0.3",
    )  # fmt: skip
    try:
        first = start_agent(*args)
        first.wait_for(_mine(port, "start"), "the held connection's episode start")
        probes = 'ktcp_kernel_tcpext_total{counter="TCPWinProbe"}'
        base = first.http
        first.wait_for(lambda a: (_metric(base, probes) or 0) > 0, "window probes on /metrics")
        assert first.stop() == 0

        second = start_agent(*args)
        second.log_with("http")
        conn.drain().join(60)
        second.wait_for(_mine(port, "end"), "the episode's end after the receiver drained")
        assert second.stop() == 0
    finally:
        conn.close()
    # The restarted agent knew the episode: no second start, and its end spans both runs.
    assert not _mine(port, "start")(second)
    end = next(d for d in second.documents if "end" in d["event"]["type"]
               and d["destination"]["port"] == port)
    start = next(d for d in first.documents if "start" in d["event"]["type"]
                 and d["destination"]["port"] == port)
    assert end["event"]["start"] == start["event"]["start"]
    assert end["event"]["duration"] > 0


def test_kernel_debug_is_switched_on_and_restored_on_exit(tmp_path: Path, start_agent: Any) -> None:
    control = tmp_path / "control"
    control.write_text(LISTING)
    log = tmp_path / "kern.log"
    log.write_text("")
    agent = start_agent(
        "--source", "file", "--path", str(log), "--stdout", "--no-enrich", "--http", "off",
        "--state-dir", str(tmp_path / "state"),
        "--enable-kernel-debug", "--kernel-debug-control", str(control),
    )  # fmt: skip
    switched = agent.log_with("sites")
    assert sorted(switched["sites"]) == [
        "net/ipv4/tcp_input.c:7012", "net/ipv4/tcp_timer.c:470", "net/ipv4/tcp_timer.c:481",
    ]  # fmt: skip
    written = control.read_text()  # what the agent wrote to the (regular-file) control file
    assert 'file tcp_timer.c format "shrunk window" +p' in written
    assert 'file tcp_input.c format "drop open request" +p' in written
    assert agent.stop() == 0
    # Restored: the two sites that were off go off again; drop-open-request was on already.
    assert control.read_text().splitlines() == [
        "file net/ipv4/tcp_timer.c line 470 -p",
        "file net/ipv4/tcp_timer.c line 481 -p",
    ]


@pytest.mark.skipif(
    any(p.exists() for p in CONTROL_FILES), reason="this kernel has dynamic debug"
)
def test_kernel_debug_is_refused_where_the_kernel_has_none(
    tmp_path: Path, start_agent: Any
) -> None:
    agent = start_agent(
        "--source", "file", "--path", str(tmp_path / "kern.log"), "--stdout", "--http", "off",
        "--state-dir", str(tmp_path / "state"), "--enable-kernel-debug",
    )  # fmt: skip
    assert agent.proc.wait(60) == 1  # refused at start, before anything is read
    agent.stop()
    said = " ".join(str(entry.get("message", "")) for entry in agent.logs)
    assert "CONFIG_DYNAMIC_DEBUG" in said
