"""FileSource on its own: positions by file identity, resumed by a new instance."""

from __future__ import annotations

import gzip
import threading
from pathlib import Path

from pipeline.sources.base import Batch
from pipeline.sources.blocks import fingerprint
from pipeline.sources.logfiles import FileSource


def _until_idle(source: FileSource, resume: object) -> tuple[bytes, object]:
    """Everything the source yields up to its first idle batch, and the last position."""
    stop = threading.Event()
    data, position = b"", resume
    batch: Batch
    for batch in source.batches(resume, stop):
        if batch.empty:
            break
        data += b"".join(block.data for block in batch.blocks)
        position = batch.position
    stop.set()
    return data, position


def test_positions_are_kept_by_first_line_and_a_new_source_resumes(tmp_path: Path) -> None:
    log = tmp_path / "kern.log"
    log.write_bytes(b"first line\nsecond\n")
    glob = str(tmp_path / "kern.log*")
    data, position = _until_idle(FileSource([glob], poll_secs=0.01), None)
    assert data == b"first line\nsecond\n"
    identity = fingerprint(b"first line\n")
    assert isinstance(position, dict)
    assert list(position["files"]) == [identity]
    assert position["files"][identity]["offset"] == 18
    assert position["files"][identity]["path"] == str(log)

    with log.open("ab") as out:
        out.write(b"third\n")
    log.rename(tmp_path / "kern.log.1")  # rotated before "third" was read
    with gzip.open(tmp_path / "kern.log.1.gz", "wb") as gz:
        gz.write((tmp_path / "kern.log.1").read_bytes())
    (tmp_path / "kern.log.1").unlink()
    (tmp_path / "kern.log").write_bytes(b"new file\n")

    data, _ = _until_idle(FileSource([glob], poll_secs=0.01), position)
    assert sorted(data.splitlines()) == [b"new file", b"third"]


def test_a_line_without_its_newline_waits(tmp_path: Path) -> None:
    log = tmp_path / "kern.log"
    log.write_bytes(b"whole\nhalf")
    data, position = _until_idle(FileSource([str(log)], poll_secs=0.01), None)
    assert data == b"whole\n"
    with log.open("ab") as out:
        out.write(b" done\n")
    data, _ = _until_idle(FileSource([str(log)], poll_secs=0.01), position)
    assert data == b"half done\n"
