"""`ktcp sample | ktcp report -`: connections held at a zero window in real kernel state, and
the TcpExt counters, become findings like the log's window-shrink lines."""

from __future__ import annotations

import importlib.util
import json
import socket
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from ktcp_report_helpers import ROOT, ktcp, report_json  # type: ignore[import-not-found]

from pipeline.report.build import build_report
from pipeline.report.model import InputSummary
from pipeline.report.rows import row

Run = Callable[..., dict[str, Any]]


def _loopback() -> Any:
    spec = importlib.util.spec_from_file_location(
        "ktcp_sampler_loopback", ROOT / "tests" / "sampler" / "loopback.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("ktcp_sampler_loopback", module)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def stalled() -> Iterator[list[Any]]:
    loopback = _loopback()
    conns = [
        loopback.StalledConnection(socket.AF_INET, "127.0.0.1"),
        loopback.StalledConnection(socket.AF_INET, "127.0.0.1"),
    ]
    try:
        yield conns
    finally:
        for c in conns:
            c.close()


def test_sampled_zero_window_connections_become_a_finding(stalled: list[Any]) -> None:
    sampled = ktcp("sample", "--count", "3", "--interval", "0.5")
    assert sampled.returncode == 0, sampled.stderr.decode()
    report = report_json("-", stdin=sampled.stdout)
    ours = {str(c.sender_port) for c in stalled}  # the held socket is the sender's
    findings = {f["id"]: f for f in report["findings"]}
    held = findings["zero-window-peers"]
    assert held["evidence"]["facts"]["peers"] >= 1
    assert ours <= set(held["evidence"]["facts"]["local_ports"].split(", "))
    assert held["statement"].split(" connection")[0].isdigit()
    # each cited event is a sampled start of a zero-window episode
    cited = set(held["evidence"]["event_ids"])
    docs = [row(json.loads(line)) for line in sampled.stdout.splitlines()]
    assert cited == {d.id for d in docs if d.action == "tcp-zero-window-peer"}
    counters = findings["tcp-counters"]
    assert counters["evidence"]["events"] == 2  # three samples: two increases
    by_id = {d.id: d for d in docs}
    cited_counters = [by_id[i] for i in counters["evidence"]["event_ids"]]
    for name in ("win_probe", "timeouts", "listen_overflows"):
        total = sum(d.details.get(name, 0) for d in cited_counters)
        assert counters["evidence"]["facts"][name] == total
    # the sampled events are no timeline family of their own: counters are metrics
    assert "tcp-counters" not in {s["action"] for s in report["timeline"]["families"]}


def _sampled(n: int, peer: str, port: int, types: list[str], **zw: Any) -> dict[str, Any]:
    event: dict[str, Any] = {"dataset": "kernel.tcp", "action": "tcp-zero-window-peer",
                             "id": f"z{n}", "type": ["connection", *types]}  # fmt: skip
    if "end" in types:
        event["duration"] = 90 * 10**9
        event["end"] = f"2026-11-20T00:00:{n:02d}Z"
    return {
        "@timestamp": f"2026-11-20T00:00:{n:02d}Z",
        "event": event,
        "source": {"ip": peer, "port": port, "as": {"number": 4808}},
        "destination": {"port": 443},
        "ktcp": {"isp": {"name": "China Unicom"}, "zero_window": {"bytes_queued": 1000 * n}},
    }


def test_an_episode_counts_once_and_its_end_gives_the_duration() -> None:
    docs = [
        _sampled(1, "202.106.38.9", 1000, ["start"]),
        _sampled(2, "202.106.38.9", 1000, ["end"]),
        _sampled(3, "122.224.31.13", 2000, ["start"]),
    ]
    rows = [row(d) for d in docs]
    report = build_report(rows, InputSummary(sources=["t"], events=3))
    held = next(f for f in report.findings if f.id == "zero-window-peers")
    assert held.statement.startswith("2 connections seen held at a zero window")
    assert "1 episode ended, the longest after 1m30s; up to 3,000 bytes were queued" in (
        held.statement
    )
    assert [(e.key, e.count) for e in report.top.peers] == [
        ("122.224.31.13", 1),
        ("202.106.38.9", 1),
    ]
    assert held.evidence.event_ids == ["z1", "z2", "z3"]
    facts = held.evidence.facts
    assert (facts["events"], facts["episodes_started"], facts["episodes_ended"]) == (3, 2, 1)
    assert (facts["peers"], facts["top_isp"], facts["top_isp_events"]) == (2, "China Unicom", 2)
