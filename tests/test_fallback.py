"""The fallback for lines no envelope fully claims: the kernel message is found further in.

Runs the CLI on real files: each line of `prefixes.log` gives the document subset on the same
row of `prefixes.expected.json`, or (null) no event at all.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from pipeline.ecs import flatten

DATA = Path(__file__).resolve().parent / "data" / "fallback"
ROOT = Path(__file__).resolve().parents[1]
CLI = (sys.executable, "-m", "pipeline.cli", "parse")


def _parse(path: Path, *extra: str) -> list[dict[str, Any]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [*CLI, str(path), "--output", "ndjson", "--timezone", "UTC", *extra],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        timeout=120,
    )
    return [flatten(json.loads(line)) for line in out.stdout.splitlines()]


def test_each_line_gives_the_event_its_text_says_or_none() -> None:
    lines = (DATA / "prefixes.log").read_text().splitlines()
    expected = json.loads((DATA / "prefixes.expected.json").read_text())
    assert len(lines) == len(expected)
    docs = {doc["event.original"]: doc for doc in _parse(DATA / "prefixes.log")}
    for line, want in zip(lines, expected, strict=True):
        if want is None:
            assert line not in docs, f"prose or non-TCP line gave an event: {line}"
            continue
        got = docs[line]
        assert {k: got.get(k) for k in want} == want, line


def test_nothing_is_invented_for_a_cut_stamp_or_a_relay_stamp() -> None:
    docs = {d["event.original"]: d for d in _parse(DATA / "prefixes.log")}
    cut_stamp = next(d for line, d in docs.items() if line.startswith("345.678901]"))
    assert "ktcp.kernel.uptime" not in cut_stamp  # `345.678901]` may have lost digits
    assert "host.name" not in cut_stamp
    relay = next(d for line, d in docs.items() if line.startswith("[2017/02/21"))
    assert relay["@timestamp"][5:19] == "02-21T09:38:25"  # the syslog date, not the relay's
    assert "ktcp.window.snd_nxt" not in next(
        d for line, d in docs.items() if line.endswith(":24307")
    )  # cut inside the number: dropped, never read as 24307
