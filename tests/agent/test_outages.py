"""Destinations that go away: the agent stops reading, keeps its place and memory bounded,
and delivers everything once they are back."""

from __future__ import annotations

import importlib.util
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import psutil
import pytest

pytestmark = pytest.mark.timeout(600)

OUTAGE_SECS = 30
# Bound on the agent's RSS growth while Elasticsearch is down: the loop holds one batch of
# documents and the sources at most QUEUE_BATCHES read blocks, whatever the outage's length.
RSS_GROWTH_BOUND_BYTES = 40 << 20
RECEIVER = Path(__file__).resolve().parents[1] / "sinks" / "fluentd" / "receiver.py"


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def _wait(condition: Any, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def test_elasticsearch_down_30_s_mid_stream_loses_nothing_and_memory_stays_bounded(
    tmp_path: Path,
    killable_node: Any,
    es_client: Any,
    data_stream: str,
    start_agent,
    steady_writer,
    expected_ids,
    ids_in,
) -> None:
    node = killable_node
    log = tmp_path / "kern.log"
    log.touch()
    agent = start_agent(
        "--source", "file", "--path", str(log), "--elasticsearch", node.url,
        "--data-stream", data_stream, "--state-dir", str(tmp_path / "state"),
        "--http", "127.0.0.1:0", "--no-enrich",
    )  # fmt: skip
    base = agent.http
    process = psutil.Process(agent.proc.pid)
    writer = steady_writer(log, 12_000, 200.0)  # about 60 s of input
    _wait(lambda: es_client.indices.exists(index=data_stream), "the first documents")
    before = process.memory_info().rss

    node.stop()
    peak = before
    down_until = time.monotonic() + OUTAGE_SECS
    while time.monotonic() < down_until:  # the outage itself, not a readiness wait
        peak = max(peak, process.memory_info().rss)
        time.sleep(0.5)
    assert _status(base + "/readyz") == 503
    assert _status(base + "/healthz") == 200
    node.start()

    assert writer.done.wait(120), "the writer did not finish"
    want = expected_ids(log)
    _wait(lambda: len(ids_in(es_client, data_stream)) >= len(want), "every event indexed", 180)
    assert ids_in(es_client, data_stream) == want
    _wait(lambda: _status(base + "/readyz") == 200, "ready again")
    assert agent.stop() == 0
    growth = peak - before
    print(f"\nRSS before the outage {before >> 20} MiB, peak during it {peak >> 20} MiB")
    assert growth < RSS_GROWTH_BOUND_BYTES
    assert any("not taking documents" in str(e.get("message")) for e in agent.logs)


def _receiver_class() -> Any:
    spec = importlib.util.spec_from_file_location("agent_fluentd_receiver", RECEIVER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["agent_fluentd_receiver"] = module
    spec.loader.exec_module(module)
    return module.ForwardReceiver


def test_fluentd_that_stops_acknowledging_fills_the_spool_which_drains_after(
    tmp_path: Path, start_agent, steady_writer
) -> None:
    receiver = _receiver_class()().start()
    spool = tmp_path / "state" / "spool"
    log = tmp_path / "kern.log"
    log.touch()
    agent = start_agent(
        "--source", "file", "--path", str(log), "--fluentd", receiver.address,
        "--state-dir", str(tmp_path / "state"), "--http", "127.0.0.1:0", "--no-enrich",
    )  # fmt: skip
    base = agent.http
    try:
        first = steady_writer(log, 200, 500.0)
        assert first.done.wait(60)
        _wait(lambda: len(receiver.events()) >= 100, "the first 100 events acknowledged")

        receiver.stop()  # the port closes; nothing more is acknowledged
        with log.open("a") as out:
            for n in range(200, 600, 2):
                out.write(
                    f"Dec  1 04:00:00 node1 kernel: [{n:6d}.000001] TCP: request_sock_TCP: "
                    f"Possible SYN flooding on port {n}. Sending cookies.  Check SNMP counters.\n"
                )
        _wait(lambda: _status(base + "/readyz") == 503, "not ready while Fluentd is down")
        _wait(lambda: len(list(spool.glob("*.fwd"))) > 0, "the spool holding events")
        assert _status(base + "/healthz") == 200
        held = len(receiver.events())

        receiver.start()  # the same port again
        _wait(lambda: not list(spool.glob("*.fwd")), "the spool drained")
        events = receiver.events()
        assert len(events) > held
        ports = {e.record["destination"]["port"] for e in events if "destination" in e.record}
        assert ports >= set(range(200, 600, 2)) | set(range(0, 200, 2))
        _wait(lambda: _status(base + "/readyz") == 200, "ready again")
    finally:
        assert agent.stop() == 0
        receiver.stop()


def test_fluentd_that_takes_messages_but_stops_acking_gets_them_again(
    tmp_path: Path, start_agent
) -> None:
    """Connected but silent: after the ack timeout the spooled messages are sent again."""
    receiver = _receiver_class()().start()
    spool = tmp_path / "state" / "spool"
    log = tmp_path / "kern.log"
    log.touch()
    agent = start_agent(
        "--source", "file", "--path", str(log), "--fluentd", receiver.address,
        "--state-dir", str(tmp_path / "state"), "--http", "127.0.0.1:0", "--no-enrich",
        env={"KTCP_FLUENTD_ACK_TIMEOUT_SECS": "2"},
    )  # fmt: skip
    base = agent.http
    try:
        receiver.unanswered_messages = 1_000_000  # takes every message, acknowledges none
        with log.open("a") as out:
            for n in range(0, 100):
                out.write(
                    f"Dec  1 04:00:00 node1 kernel: [{n:6d}.000001] TCP: request_sock_TCP: "
                    f"Possible SYN flooding on port {n}. Sending cookies.  Check SNMP counters.\n"
                )
        _wait(lambda: len(receiver.events()) >= 100, "the events received, unacknowledged")
        assert list(spool.glob("*.fwd")), "unacknowledged messages stay in the spool"
        _wait(lambda: (tmp_path / "state" / "file.json").exists(), "the position (spooled)")

        receiver.unanswered_messages = 0  # acknowledges again
        _wait(lambda: not list(spool.glob("*.fwd")), "the spool drained after the ack timeout")
        ports = {e.record["destination"]["port"] for e in receiver.events()}
        assert ports == set(range(100))
        with urllib.request.urlopen(base + "/metrics", timeout=10) as answer:
            metrics = answer.read().decode()
        retried = next(
            float(line.split()[1]) for line in metrics.splitlines()
            if line.startswith("ktcp_retried_total ")
        )  # fmt: skip
        assert retried >= 100
    finally:
        assert agent.stop() == 0
        receiver.stop()
