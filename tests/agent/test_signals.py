"""Signals: SIGTERM with an unreachable destination exits 0 within its deadline and saves no
position it cannot vouch for; SIGHUP reopens the dead-letter file; `auto` says what it chose."""

from __future__ import annotations

import signal
import socket
import time
from pathlib import Path

import pytest

SYN = (
    "Dec  1 02:00:00 node1 kernel: [ 9.{n:06d}] TCP: request_sock_TCP: Possible SYN flooding "
    "on port {n}. Sending cookies.  Check SNMP counters.\n"
)
UNMATCHED = "Dec  1 02:00:00 node1 kernel: [ 9.{n:06d}] TCP: a wording no catalog knows {n}\n"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(condition, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_sigterm_with_the_destination_down_exits_0_and_the_next_run_sends_it_all(
    tmp_path: Path, start_agent
) -> None:
    log = tmp_path / "kern.log"
    log.write_text("".join(SYN.format(n=n) for n in range(20)))
    state = tmp_path / "state"
    down = start_agent(
        "--source", "file", "--path", str(log), "--state-dir", str(state), "--http", "off",
        "--elasticsearch", f"http://127.0.0.1:{_closed_port()}",
        env={"KTCP_STOP_TIMEOUT_SECS": "2"},
    )  # fmt: skip
    down.wait_for(
        lambda a: any("not taking documents" in str(e.get("message")) for e in a.logs),
        "the sink to report the destination down",
    )
    started = time.monotonic()
    assert down.stop() == 0
    assert time.monotonic() - started < 30
    assert any("did not confirm" in str(e.get("message")) for e in down.logs)
    assert not (state / "file.json").exists(), "no position saved for unconfirmed events"

    after = start_agent(
        "--source", "file", "--path", str(log), "--state-dir", str(state), "--http", "off",
        "--stdout",
    )  # fmt: skip
    after.wait_docs(20)
    assert after.stop() == 0
    assert len(after.documents) == 20


def test_sighup_reopens_the_dead_letter_file(tmp_path: Path, start_agent) -> None:
    log = tmp_path / "kern.log"
    log.write_text(UNMATCHED.format(n=1))
    letters = tmp_path / "dead-letter.ndjson"
    agent = start_agent(
        "--source", "file", "--path", str(log), "--state-dir", str(tmp_path / "state"),
        "--http", "off", "--stdout", "--dead-letter", str(letters),
    )  # fmt: skip
    _wait(lambda: letters.exists() and letters.read_text().count("\n") == 1, "the first miss")
    letters.rename(tmp_path / "dead-letter.ndjson.1")  # what logrotate does
    agent.proc.send_signal(signal.SIGHUP)
    agent.wait_for(lambda a: any("reopened" in str(e.get("message")) for e in a.logs), "the reopen")
    with log.open("a") as out:
        out.write(UNMATCHED.format(n=2))
    _wait(lambda: letters.exists() and "no catalog knows 2" in letters.read_text(), "2nd miss")
    assert agent.stop() == 0
    assert "knows 1" in (tmp_path / "dead-letter.ndjson.1").read_text()
    assert "knows 1" not in letters.read_text()


def test_auto_says_which_source_it_chose_and_why(tmp_path: Path, start_agent) -> None:
    log = tmp_path / "kern.log"
    log.write_text(SYN.format(n=1))
    agent = start_agent(
        "--path", str(log), "--state-dir", str(tmp_path / "state"), "--http", "off", "--stdout"
    )
    chosen = agent.log_with("reason")
    assert chosen["source"] == "file"
    assert chosen["reason"] == "--path given"
    agent.wait_docs(1)
    assert agent.stop() == 0


def test_a_dead_letter_file_that_cannot_be_written_stops_the_agent_before_saving(
    tmp_path: Path, start_agent
) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    log = tmp_path / "kern.log"
    log.write_text(UNMATCHED.format(n=1) + SYN.format(n=2))
    state = tmp_path / "state"
    agent = start_agent(
        "--source", "file", "--path", str(log), "--state-dir", str(state), "--http", "off",
        "--stdout", "--dead-letter", "/dev/full",
    )  # fmt: skip
    status = agent.proc.wait(60)
    agent.stop()
    assert status == 1
    assert any("/dev/full" in str(e.get("message")) for e in agent.logs)
    assert not (state / "file.json").exists(), "the lost miss is read again after a fix"
