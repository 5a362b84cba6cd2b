"""Reading log files: whole lines with offsets, gzip by magic bytes, odd bytes, tail -F."""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.chain import Chain
from pipeline.errors import InputError
from pipeline.events import Event
from pipeline.records import Miss
from pipeline.sources.blocks import Block
from pipeline.sources.files import follow_file, follow_files, read_file

DATA = Path(__file__).parent.parent / "data" / "sources"
WAIT_SECS = 60.0  # a bound for a hung follower, not a performance target


def run(path: Path, block_bytes: int = 1 << 20) -> tuple[Chain, list[Event | Miss]]:
    chain = Chain()
    outcomes = [
        o
        for b in read_file(str(path), block_bytes)
        for o in chain.scan_block(b.data, b.path, b.offset)
    ]
    return chain, outcomes


def test_blocks_hold_whole_lines_and_offsets_point_at_line_starts() -> None:
    path = DATA / "kern.log"
    raw = path.read_bytes()
    blocks = list(read_file(str(path), block_bytes=50))
    assert b"".join(b.data for b in blocks) == raw
    assert all(b.data.endswith(b"\n") for b in blocks)
    assert [b.offset for b in blocks] == [raw.index(b.data) for b in blocks]
    assert {b.path for b in blocks} == {str(path.resolve())}


def test_events_carry_file_path_and_byte_offset() -> None:
    chain, outcomes = run(DATA / "kern.log", block_bytes=64)
    raw = (DATA / "kern.log").read_bytes()
    events = [o for o in outcomes if isinstance(o, Event)]
    assert [e.raw.offset for e in events] == [raw.index(e.raw.text.encode()) for e in events]
    assert chain.stats.lines == 4 and chain.stats.balanced()


def test_gzip_is_found_by_magic_bytes_not_name() -> None:
    plain, compressed = run(DATA / "kern.log"), run(DATA / "kern.log.1")
    assert (DATA / "kern.log.1").read_bytes()[:2] == b"\x1f\x8b"
    assert [o.raw.offset for o in compressed[1]] == [o.raw.offset for o in plain[1]]
    assert compressed[0].stats.event_count == 2


def test_truncated_gzip_is_an_input_error_naming_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "kern.log.2"
    broken.write_bytes((DATA / "kern.log.1").read_bytes()[:-12])
    with pytest.raises(InputError, match=r"kern\.log\.2"):
        list(read_file(str(broken)))


def test_unreadable_file_error_names_the_file_and_the_reason(tmp_path: Path) -> None:
    with pytest.raises(InputError) as missing:
        read_file(str(tmp_path / "nope.log"))
    assert str(missing.value) == f"cannot read {tmp_path / 'nope.log'}: No such file or directory"
    with pytest.raises(InputError, match="Is a directory"):
        read_file(str(tmp_path))


def test_crlf_line_endings_are_stripped() -> None:
    _, outcomes = run(DATA / "crlf.log")
    (event,) = [o for o in outcomes if isinstance(o, Event)]
    assert event.envelope.message.endswith("Repaired.")
    assert event.host == "web1"


def test_invalid_utf8_is_kept_visible_and_the_line_still_parses() -> None:
    chain, outcomes = run(DATA / "invalid-utf8.log")
    (event,) = [o for o in outcomes if isinstance(o, Event)]
    assert event.host == "web\\xff\\xfe1"
    assert chain.stats.lines == 2 and chain.stats.balanced()


def test_nul_bytes_left_by_a_crash_do_not_hide_the_next_line() -> None:
    chain, outcomes = run(DATA / "nul.log")
    (event,) = [o for o in outcomes if isinstance(o, Event)]
    assert event.envelope.name == "syslog-3164" and event.host == "web1"
    assert chain.stats.lines == 2 and chain.stats.balanced()


def test_empty_file_gives_no_blocks() -> None:
    assert list(read_file(str(DATA / "empty.log"))) == []


def test_last_line_without_newline_is_still_read(tmp_path: Path) -> None:
    path = tmp_path / "k.log"
    path.write_bytes(b"a\nb")
    assert [b.data for b in read_file(str(path))] == [b"a\n", b"b"]


# -- follow mode --------------------------------------------------------------------------------


class Follower:
    """Runs follow_file in a thread and collects its lines, for bounded waits in tests."""

    def __init__(self, path: Path, from_start: bool = False) -> None:
        self.stop = threading.Event()
        self.blocks: list[Block] = []
        self.opened = threading.Event()  # the file is open and positioned
        self.missing = threading.Event()  # the file was found absent
        self._iter: Iterator[Block] = follow_file(
            str(path),
            from_start=from_start,
            stop=self.stop,
            poll_secs=0.02,
            on_open=lambda _: self.opened.set(),
            on_missing=lambda _: self.missing.set(),
        )
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        for block in self._iter:
            self.blocks.append(block)

    def lines(self) -> list[bytes]:
        return [line for b in list(self.blocks) for line in b.data.splitlines()]

    def wait_for(self, count: int) -> list[bytes]:
        deadline = time.monotonic() + WAIT_SECS
        while len(self.lines()) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.lines()

    def wait_opened(self) -> None:
        assert self.opened.wait(WAIT_SECS), "the follower never opened the file"

    def close(self) -> None:
        self.stop.set()
        self.thread.join(WAIT_SECS)
        assert not self.thread.is_alive()


def append(path: Path, data: bytes) -> None:
    with path.open("ab") as out:
        out.write(data)


def test_follow_starts_at_the_end_and_emits_new_lines(tmp_path: Path) -> None:
    path = tmp_path / "kern.log"
    path.write_bytes(b"old\n")
    follower = Follower(path)
    try:
        follower.wait_opened()
        append(path, b"new 1\nnew")
        assert follower.wait_for(1) == [b"new 1"]
        append(path, b" 2\n")
        assert follower.wait_for(2) == [b"new 1", b"new 2"]
        assert [b.offset for b in follower.blocks] == [4, 10]
    finally:
        follower.close()


def test_follow_from_start_reads_existing_lines_first(tmp_path: Path) -> None:
    path = tmp_path / "kern.log"
    path.write_bytes(b"old\n")
    follower = Follower(path, from_start=True)
    try:
        assert follower.wait_for(1) == [b"old"]
    finally:
        follower.close()


def test_follow_survives_rename_rotation(tmp_path: Path) -> None:
    path = tmp_path / "kern.log"
    path.write_bytes(b"")
    follower = Follower(path)
    try:
        follower.wait_opened()
        append(path, b"before\n")
        assert follower.wait_for(1) == [b"before"]
        os.rename(path, tmp_path / "kern.log.1")
        append(tmp_path / "kern.log.1", b"late write to the old file\n")
        path.write_bytes(b"after 1\nafter 2\n")
        lines = follower.wait_for(4)
        assert lines == [b"before", b"late write to the old file", b"after 1", b"after 2"]
        assert follower.blocks[-1].offset == 0
    finally:
        follower.close()


def test_follow_survives_copytruncate(tmp_path: Path) -> None:
    path = tmp_path / "kern.log"
    path.write_bytes(b"")
    follower = Follower(path)
    try:
        follower.wait_opened()
        append(path, b"line one, quite long\n")
        assert follower.wait_for(1) == [b"line one, quite long"]
        shutil.copy(path, tmp_path / "kern.log.1")
        with path.open("r+b") as f:
            f.truncate(0)
        append(path, b"two\n")  # shorter than what was read: the shrink shows either way
        assert follower.wait_for(2) == [b"line one, quite long", b"two"]
        assert follower.blocks[-1].offset == 0
    finally:
        follower.close()


def test_follow_waits_for_a_file_that_does_not_exist_yet(tmp_path: Path) -> None:
    path = tmp_path / "later.log"
    follower = Follower(path)
    try:
        assert follower.missing.wait(WAIT_SECS)
        path.write_bytes(b"first\n")
        assert follower.wait_for(1) == [b"first"]
    finally:
        follower.close()


def test_follow_stops_promptly_on_the_stop_event(tmp_path: Path) -> None:
    path = tmp_path / "kern.log"
    path.write_bytes(b"")
    follower = Follower(path)
    follower.wait_opened()
    follower.close()  # joins the thread (bounded) and checks it ended


def test_a_follower_that_fails_ends_the_follow_with_an_error_naming_its_file(
    tmp_path: Path,
) -> None:
    # /proc/self/mem opens but every read at offset 0 fails with EIO: a file that cannot be
    # read any more. The other follower keeps waiting; the reader must not wait with it.
    good = tmp_path / "kern.log"
    good.write_bytes(b"")
    outcome: list[BaseException | None] = []
    stop = threading.Event()

    def read_all() -> None:
        try:
            for _ in follow_files([str(good), "/proc/self/mem"], from_start=True, stop=stop):
                pass
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    reader = threading.Thread(target=read_all, daemon=True)
    reader.start()
    reader.join(WAIT_SECS)
    stop.set()  # lets a hung reader go after the assertion fails
    assert outcome, "the reader still waits for a dead follower"
    assert isinstance(outcome[0], InputError)
    assert "/proc/self/mem" in str(outcome[0])
