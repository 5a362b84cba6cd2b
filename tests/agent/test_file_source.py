"""`ktcp agent --source file`: rename rotation, copytruncate and .gz rotated files, with a
restart in the middle of each; every line comes out exactly once (with --stdout)."""

from __future__ import annotations

import gzip
import re
import shutil
from collections import Counter
from pathlib import Path

LINE = (
    "Dec  1 02:00:{sec:02d} node1 kernel: [ {n}.000001] TCP: request_sock_TCP: Possible SYN "
    "flooding on port {port}. Sending cookies.  Check SNMP counters. line={n}\n"
)


def _append(path: Path, numbers: range, prefix: str = "line") -> None:
    with path.open("a") as out:
        for n in numbers:
            out.write(LINE.format(sec=n % 60, n=n, port=2000 + n).replace("line=", f"{prefix}="))


def _lines(originals: list[str], prefix: str = "line") -> list[int]:
    return [int(m.group(1)) for o in originals if (m := re.search(rf"{prefix}=(\d+)$", o))]


def _sentinel(logs: Path, run: int) -> None:
    """A file sorting after every other: once its line is out, the scan before it is too."""
    _append(logs / f"kern.log.~sentinel{run}", range(run, run + 1), prefix="sentinel")


def _until_sentinel(agent, run: int) -> None:
    agent.wait_for(lambda a: run in _lines(a.originals(), "sentinel"), f"sentinel {run}")


def test_rotation_copytruncate_and_gz_with_restarts_deliver_every_line_once(
    tmp_path: Path, start_agent
) -> None:
    logs = tmp_path / "log"
    logs.mkdir()
    kern = logs / "kern.log"
    args = (
        "--source", "file", "--path", str(logs / "kern.log*"), "--stdout",
        "--state-dir", str(tmp_path / "state"), "--http", "off",
    )  # fmt: skip
    delivered: list[int] = []

    # Run 1: a file read from its start, then renamed away while a new one begins.
    _append(kern, range(0, 10))
    run = start_agent(*args)
    run.wait_for(lambda a: len(_lines(a.originals())) >= 10, "lines 0-9")
    _append(kern, range(10, 12))
    kern.rename(logs / "kern.log.1")
    _append(kern, range(12, 15))
    run.wait_for(lambda a: len(_lines(a.originals())) >= 15, "lines 0-14 across a rename")
    assert run.stop() == 0
    delivered += _lines(run.originals())

    # Down: lines appended, then the file rotated and compressed before they were read.
    _append(kern, range(15, 17))
    with (logs / "kern.log.1").open("rb") as plain, gzip.open(logs / "kern.log.2.gz", "wb") as gz:
        shutil.copyfileobj(plain, gz)
    (logs / "kern.log.1").unlink()
    kern.rename(logs / "kern.log.1")
    with (logs / "kern.log.1").open("rb") as plain, gzip.open(logs / "kern.log.1.gz", "wb") as gz:
        shutil.copyfileobj(plain, gz)
    (logs / "kern.log.1").unlink()
    _append(kern, range(17, 20))

    # Run 2: the .gz tail and the new file; then copytruncate while running.
    run = start_agent(*args)
    _sentinel(logs, 2)
    _until_sentinel(run, 2)
    _append(kern, range(20, 22))
    run.wait_for(lambda a: 21 in _lines(a.originals()), "line 21")
    shutil.copyfile(kern, logs / "kern.log.1")  # copytruncate: copy, then truncate in place
    with kern.open("r+") as f:
        f.truncate(0)
    _append(kern, range(22, 24))
    run.wait_for(lambda a: 23 in _lines(a.originals()), "line 23 after copytruncate")
    assert run.stop() == 0
    delivered += _lines(run.originals())

    # Down: lines appended, then copytruncate before they were read.
    _append(kern, range(24, 26))
    (logs / "kern.log.1").rename(logs / "kern.log.3")
    shutil.copyfile(kern, logs / "kern.log.1")
    with kern.open("r+") as f:
        f.truncate(0)
    _append(kern, range(26, 28))

    run = start_agent(*args)
    _sentinel(logs, 3)
    _until_sentinel(run, 3)
    assert run.stop() == 0
    delivered += _lines(run.originals())

    counts = Counter(delivered)
    assert sorted(counts) == list(range(28)), "every line delivered"
    assert [n for n, c in counts.items() if c > 1] == [], "no line delivered twice"


def test_a_file_that_appears_later_is_read_from_its_start(tmp_path: Path, start_agent) -> None:
    kern = tmp_path / "kern.log"
    agent = start_agent(
        "--source", "file", "--path", str(kern), "--stdout",
        "--state-dir", str(tmp_path / "state"), "--http", "off",
    )  # fmt: skip
    agent.wait_for(
        lambda a: any("no file matches" in str(e.get("message")) for e in a.logs),
        "the warning that nothing matches",
    )
    _append(kern, range(0, 3))
    agent.wait_for(lambda a: len(_lines(a.originals())) >= 3, "lines 0-2")
    assert agent.stop() == 0
    assert _lines(agent.originals()) == [0, 1, 2]
