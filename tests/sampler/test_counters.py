"""TcpExt counters: the watched ones from a real /proc/net/netstat, increases, resets."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pipeline.ecs import COUNTERS
from pipeline.sampler.counters import deltas, parse_netstat
from pipeline.sampler.sampler import KernelStateSampler

DATA = Path(__file__).resolve().parents[1] / "data/sampler"
T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def test_watched_counters_are_read_from_the_tcpext_lines() -> None:
    counters = parse_netstat((DATA / "netstat").read_text())
    assert set(counters) == set(COUNTERS)  # this 6.x kernel has every one of them
    assert all(v >= 0 for v in counters.values())


def test_a_counter_that_went_down_was_reset_and_counts_from_zero() -> None:
    assert deltas({"TCPWinProbe": 10}, {"TCPWinProbe": 14}) == {"TCPWinProbe": 4}
    assert deltas({"TCPWinProbe": 10}, {"TCPWinProbe": 3}) == {"TCPWinProbe": 3}
    assert deltas({}, {"TCPWinProbe": 3}) == {}  # appeared: no earlier value to compare


def _netstat(path: Path, win_probe: int) -> None:
    text = (DATA / "netstat").read_text().splitlines()
    header = text[0].split()
    values = text[1].split()
    values[header.index("TCPWinProbe")] = str(win_probe)
    path.write_text("\n".join([text[0], " ".join(values), *text[2:]]) + "\n")


def test_first_sample_sets_the_baseline_then_each_sample_reports_the_increase(
    tmp_path: Path,
) -> None:
    shutil.copy(DATA / "tcp", tmp_path / "tcp")
    sampler = KernelStateSampler(tmp_path, "web1", "b00t", None)
    _netstat(tmp_path / "netstat", 100)
    first = sampler.sample(T0)
    assert [d["event"]["action"] for d in first] == ["tcp-zero-window-peer"]

    _netstat(tmp_path / "netstat", 107)
    second = [d for d in sampler.sample(T0 + timedelta(seconds=10)) if
              d["event"]["action"] == "tcp-counters"]
    assert len(second) == 1
    assert second[0]["ktcp"]["counters"]["win_probe"] == 7
    assert second[0]["ktcp"]["counters"]["interval_secs"] == 10.0
    assert second[0]["event"]["kind"] == "metric"

    _netstat(tmp_path / "netstat", 2)  # the namespace's counters started again
    third = [d for d in sampler.sample(T0 + timedelta(seconds=20)) if
             d["event"]["action"] == "tcp-counters"]
    assert third[0]["ktcp"]["counters"]["win_probe"] == 2
    assert len({d["event"]["id"] for d in (*second, *third)}) == 2
