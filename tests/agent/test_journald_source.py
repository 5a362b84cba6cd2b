"""`ktcp agent --source journald` on real journal files: follow, stop, append, restart, and exactly
the new entries come out, with the same event.ids `ktcp parse` gives for the same records."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[2]
BOOT_A = "1a" * 16
BOOT_B = "1b" * 16
SYN = "TCP: request_sock_TCP: Possible SYN flooding on port {port}. Sending cookies."


def entries(journal: Any, boot: str, ports: range) -> list[Any]:
    return [journal.entry(SYN.format(port=p), boot, 7_000_000 + p * 1000) for p in ports]


def ports(documents: list[dict[str, Any]]) -> list[int]:
    return [int(d["destination"]["port"]) for d in documents]


def on_journal(source: str, journal: Any, state: Path, *, enrich: bool = False) -> list[str]:
    """The agent's arguments for reading `journal` with --source `source`, to stdout."""
    args = ["--source", source, "--journal-directory", str(journal.directory), "--stdout"]
    args += ["--state-dir", str(state), "--http", "off"]
    return args if enrich else [*args, "--no-enrich"]


def parse_ids(directory: Path) -> set[str]:
    """event.ids of `journalctl -o json | ktcp parse -`: what any other reader would assign."""
    records = subprocess.run(
        ["journalctl", "--directory", str(directory), "_TRANSPORT=kernel", "-o", "json"],
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout
    env = {**os.environ, "PYTHONPATH": str(ROOT), "KTCP_ENRICH": "0"}
    parsed = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "parse", "-", "-o", "ndjson"],
        input=records,
        capture_output=True,
        check=True,
        timeout=120,
        env=env,
    ).stdout
    return {orjson.loads(line)["event"]["id"] for line in parsed.splitlines()}


def test_follow_stop_append_restart_gives_exactly_the_new_entries(
    journal: Any, tmp_path: Path, start_agent: Any
) -> None:
    journal.append(entries(journal, BOOT_A, range(1000, 1004)))
    args = on_journal("journald", journal, tmp_path / "state")

    first = start_agent(*args)
    first.wait_docs(4)
    journal.append(entries(journal, BOOT_A, range(1004, 1006)))  # while it follows
    first.wait_docs(6)
    assert first.stop() == 0
    assert ports(first.documents) == list(range(1000, 1006))
    chosen = next(e for e in first.logs if e.get("source") == "journald")
    assert "journalctl -k" in chosen["message"]

    # Down: the old boot logs two more, the machine reboots, the new boot logs three.
    journal.append(entries(journal, BOOT_A, range(1006, 1008)))
    journal.append(entries(journal, BOOT_B, range(2000, 2003)))
    second = start_agent(*args)
    second.wait_docs(5)
    journal.append(entries(journal, BOOT_B, range(2003, 2004)))
    second.wait_docs(6)
    assert second.stop() == 0
    assert ports(second.documents) == [1006, 1007, 2000, 2001, 2002, 2003], "none again, none lost"

    documents = first.documents + second.documents
    assert {d["host"]["boot"]["id"] for d in documents} == {BOOT_A, BOOT_B}
    ids = {d["event"]["id"] for d in documents}
    assert len(ids) == 12
    assert ids == parse_ids(journal.directory)


def test_auto_takes_a_journal_directory_and_says_why(
    journal: Any, tmp_path: Path, start_agent: Any
) -> None:
    journal.append(entries(journal, BOOT_A, range(1000, 1001)))
    agent = start_agent(*on_journal("auto", journal, tmp_path))
    agent.wait_docs(1)
    assert agent.stop() == 0
    chosen = next(e for e in agent.logs if e.get("source") == "journald")
    assert chosen["reason"] == "a journal with kernel entries"


def test_a_missing_journalctl_stops_the_agent_with_what_to_do(
    journal: Any, tmp_path: Path, start_agent: Any
) -> None:
    journal.append(entries(journal, BOOT_A, range(1000, 1001)))
    agent = start_agent(
        *on_journal("journald", journal, tmp_path, enrich=True),
        env={"PATH": str(tmp_path)},  # no journalctl on it
    )
    status = agent.proc.wait(60)
    agent.stop()
    text = " ".join(str(e.get("message", e)) for e in agent.logs)
    assert status != 0
    assert "journalctl not found" in text and "--source kmsg" in text


def test_a_killed_agent_leaves_no_journalctl_behind(
    journal: Any, tmp_path: Path, start_agent: Any
) -> None:
    import psutil

    journal.append(entries(journal, BOOT_A, range(1000, 1001)))
    agent = start_agent(*on_journal("journald", journal, tmp_path))
    agent.wait_docs(1)
    children = [c for c in psutil.Process(agent.proc.pid).children() if c.name() == "journalctl"]
    assert len(children) == 1, "following through one journalctl"
    agent.kill()  # SIGKILL: no chance to stop its child itself
    _, alive = psutil.wait_procs(children, timeout=30)
    assert alive == [], "journalctl --follow ends when the agent's end of its stdout closes"
