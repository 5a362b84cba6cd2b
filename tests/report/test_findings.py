"""Findings built from documents of known shape: what each cause assessment rests on, and the
host's sysctls read only when the events come from this machine."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pipeline.report.build import build_report
from pipeline.report.model import InputSummary, Report
from pipeline.report.rows import row

T0 = datetime(2026, 11, 20, tzinfo=UTC)


def shrink(n: int, peer: str, port: int, *, secs: float = 0, out: int = 1, host: str = "web1",
           isp: str = "China Unicom", asn: int | None = 4808) -> dict[str, Any]:  # fmt: skip
    source: dict[str, Any] = {"ip": peer, "port": port}
    if asn is not None:
        source["as"] = {"number": asn, "organization": {"name": isp}}
    return {
        "@timestamp": (T0 + timedelta(seconds=secs)).isoformat(),
        "event": {"dataset": "kernel.tcp", "action": "tcp-window-shrink", "id": f"e{n}"},
        "host": {"name": host},
        "source": source,
        "destination": {"port": 443},
        "ktcp": {"isp": {"name": isp}, "window": {"bytes_outstanding": out}},
    }


def report(docs: list[dict[str, Any]], **kwargs: Any) -> Report:
    rows = [row(d) for d in docs]
    return build_report(rows, InputSummary(sources=["test"], events=len(rows)), **kwargs)


def causes(r: Report) -> dict[str, str]:
    finding = next(f for f in r.findings if f.id == "window-shrink-concentration")
    return {c.cause.split(" (")[0].split(",")[0]: c.assessment for c in finding.causes}


def test_one_peer_holding_many_connections_at_zero_window_is_called_sockstress_like() -> None:
    docs = [shrink(i, "203.0.113.9", 50000 + i % 6, secs=i * 5) for i in range(30)]
    r = report(docs)
    assessed = causes(r)
    assert assessed["an attack holding connections open at zero windows"] == "consistent"
    assert assessed["a slow"] == "cannot-tell"  # many connections, not one stuck client
    finding = next(f for f in r.findings if f.id == "window-shrink-concentration")
    attack = next(c for c in finding.causes if c.cause.startswith("an attack"))
    assert "203.0.113.9 held 6 connections" in attack.reason


def test_events_spread_over_many_networks_do_not_support_a_middlebox() -> None:
    networks = [("China Unicom", 4808), ("China Telecom", 4134), ("GOOGLE", 15169),
                ("Andrews & Arnold Ltd", 20712)]  # fmt: skip
    docs = [
        shrink(i, f"198.51.100.{i}", 40000, secs=i * 600, isp=isp, asn=asn)
        for i, (isp, asn) in enumerate(networks * 2)
    ]
    assessed = causes(report(docs))
    assert assessed["a middlebox"] == "not-supported"
    assert assessed["bandwidth saturation or ISP throttling"] == "not-supported"


def test_sysctls_are_read_only_for_events_of_this_machine(tmp_path: Path) -> None:
    (tmp_path / "net/ipv4").mkdir(parents=True)
    (tmp_path / "net/ipv4/tcp_retries2").write_text("15\n")
    (tmp_path / "net/ipv4/tcp_wmem").write_text("4096\t16384\t4194304\n")
    here = socket.gethostname()

    def values(r: Report) -> dict[str, str | None]:
        finding = next(f for f in r.findings if f.id == "window-shrink-concentration")
        return {s.name: s.value for s in finding.sysctls}

    ours = report([shrink(1, "203.0.113.9", 1, host=here)], proc_sys=tmp_path)
    assert ours.host.sysctls_read
    assert values(ours) == {
        "net.ipv4.tcp_retries2": "15",
        "net.ipv4.tcp_orphan_retries": "absent",
        "net.ipv4.tcp_wmem": "4096 16384 4194304",
    }
    theirs = report([shrink(1, "203.0.113.9", 1, host="elsewhere")], proc_sys=tmp_path)
    assert not theirs.host.sysctls_read and "elsewhere" in theirs.host.note
    assert set(values(theirs).values()) == {None}
    off = report([shrink(1, "203.0.113.9", 1, host=here)], proc_sys=tmp_path, host_values=False)
    assert set(values(off).values()) == {None}


def test_the_real_proc_sys_is_read_when_the_report_runs_on_the_machine_itself() -> None:
    r = report([shrink(1, "203.0.113.9", 1, host=socket.gethostname())])
    finding = next(f for f in r.findings if f.id == "window-shrink-concentration")
    retries = next(s for s in finding.sysctls if s.name == "net.ipv4.tcp_retries2")
    expected = Path("/proc/sys/net/ipv4/tcp_retries2").read_text().strip()
    assert retries.value == expected


def test_a_family_no_finder_knows_still_gets_a_finding() -> None:
    doc = shrink(1, "203.0.113.9", 1)
    doc["event"]["action"] = "tcp-something-new"
    r = report([doc])
    other = next(f for f in r.findings if f.actions == ["tcp-something-new"])
    assert other.id == "other-tcp-something-new" and other.evidence.event_ids == ["e1"]


def test_no_window_shrink_lines_says_why_that_is_not_health() -> None:
    doc = shrink(1, "203.0.113.9", 1)
    doc["event"]["action"] = "tcp-syn-flood"
    r = report([doc])
    absent = next(f for f in r.findings if f.id == "window-shrink-absent")
    assert "debug level" in absent.statement and "TcpExtTCPWinProbe" in absent.checks[0]
