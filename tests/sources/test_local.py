"""Choosing the local kernel log, and saying why each skipped source was skipped."""

from __future__ import annotations

import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline.errors import InputError
from pipeline.sources.local import boot_time, open_local_log

DATA = Path(__file__).parent.parent / "data" / "sources"


def script(tmp_path: Path, name: str, body: str) -> str:
    path = tmp_path / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def test_journald_is_preferred_when_it_has_kernel_entries(tmp_path: Path) -> None:
    record = '{"MESSAGE":"TCP: x","_BOOT_ID":"b","__REALTIME_TIMESTAMP":"1"}'
    journalctl = script(tmp_path, "journalctl", f"echo '{record}'\n")
    log = open_local_log(journalctl=(journalctl,), files=(str(DATA / "kern.log"),))
    assert log.name == "journald"
    assert b"".join(b.data for b in log.blocks) == record.encode() + b"\n"


def test_a_kernel_log_file_is_used_when_journald_is_not_there(tmp_path: Path) -> None:
    log = open_local_log(
        journalctl=(str(tmp_path / "no-journalctl"),),
        files=(str(tmp_path / "kern.log"), str(DATA / "kern.log")),
    )
    assert log.name == str(DATA / "kern.log")
    assert log.passed_over[0].startswith("journald: ")
    assert log.passed_over[1] == f"{tmp_path / 'kern.log'}: No such file or directory"
    assert b"".join(b.data for b in log.blocks) == (DATA / "kern.log").read_bytes()


def test_dmesg_is_the_last_resort(tmp_path: Path) -> None:
    dmesg = script(tmp_path, "dmesg", "echo '[1.000000] TCP: x'\n")
    log = open_local_log(journalctl=("/nonexistent/journalctl",), files=(), dmesg=[(dmesg,)])
    assert log.name == dmesg
    assert [b.data for b in log.blocks] == [b"[1.000000] TCP: x\n"]


def test_when_nothing_is_readable_the_error_gives_each_reason(tmp_path: Path) -> None:
    empty_journal = script(tmp_path, "journalctl", "exit 0\n")
    denied = script(
        tmp_path, "dmesg", "echo 'dmesg: read kernel buffer failed: denied' >&2; exit 1\n"
    )
    with pytest.raises(InputError) as error:
        open_local_log(
            journalctl=(empty_journal,),
            files=(str(DATA / "empty.log"),),
            dmesg=[(denied,), ("/nonexistent/dmesg",)],
        )
    message = str(error.value)
    assert message.startswith("no local kernel log is readable: journald: no kernel entries")
    assert f"{DATA / 'empty.log'}: empty" in message
    assert f"{denied}: dmesg: read kernel buffer failed: denied" in message
    assert "/nonexistent/dmesg: not found" in message


def test_a_journalctl_that_fails_midway_is_an_input_error(tmp_path: Path) -> None:
    body = 'echo \'{"MESSAGE":"x","_BOOT_ID":"b"}\'\ncase "$*" in *--lines=1*) exit 0;; esac\n'
    body += "echo 'journal corrupted' >&2; exit 1\n"
    journalctl = script(tmp_path, "journalctl", body)
    log = open_local_log(journalctl=(journalctl,))
    with pytest.raises(InputError, match="journal corrupted"):
        list(log.blocks)


def test_boot_time_comes_from_proc_stat_btime(tmp_path: Path) -> None:
    stat_file = tmp_path / "stat"
    stat_file.write_text("cpu  1 2 3\nbtime 1795504497\nprocesses 9\n")
    assert boot_time(str(stat_file)) == datetime(2026, 11, 24, 7, 14, 57, tzinfo=UTC)
    assert boot_time(str(tmp_path / "missing")) is None
