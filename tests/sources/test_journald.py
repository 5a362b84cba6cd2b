"""The journald source on real journal files (systemd-journal-remote) read by the real journalctl:
kernel entries only, resumed after the saved cursor, across a reboot, and clear errors."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from pipeline.chain import Chain
from pipeline.errors import InputError
from pipeline.events import Event
from pipeline.settings import ParseSettings
from pipeline.sources.base import Batch
from pipeline.sources.journald import JournaldSource, journal_unusable

BOOT_A = "0a" * 16
BOOT_B = "0b" * 16
SYN = "TCP: request_sock_TCP: Possible SYN flooding on port {port}. Sending cookies."


def kernel_entries(journal: Any, boot: str, first: int, count: int) -> list[Any]:
    return [
        journal.entry(SYN.format(port=first + n), boot, 5_000_000 + (first + n) * 1000)
        for n in range(count)
    ]


def read(
    source: JournaldSource, resume: Any, count: int, *, then: Any = None
) -> tuple[list[str], Any, list[str]]:
    """MESSAGEs of the first `count` entries read (calling `then()` once the first are in), the
    position after them, and the warnings; then the source is stopped."""
    stop = threading.Event()
    batches: Iterator[Batch] = source.batches(resume, stop)
    messages: list[str] = []
    warnings: list[str] = []
    position = resume
    idle = 0
    try:
        for batch in batches:
            warnings += batch.warnings
            for raw in batch.lines:
                messages.append(orjson.loads(raw.text)["MESSAGE"])
            if batch.position is not None:
                position = batch.position
            if then is not None and messages:
                then()
                then = None
            if len(messages) >= count:
                break
            idle = idle + 1 if batch.empty else 0
            assert idle < 30, f"nothing more after {messages}"
    finally:
        stop.set()
        batches.close()  # type: ignore[attr-defined]
    return messages, position, warnings


def test_first_start_reads_this_boots_kernel_entries_only(journal: Any) -> None:
    journal.append(kernel_entries(journal, BOOT_A, 0, 2))
    journal.append(kernel_entries(journal, BOOT_B, 100, 3))  # the newest boot: "this boot"
    journal.append([journal.entry("sshd: not the kernel", BOOT_B, 9, transport="syslog")])
    messages, position, _ = read(JournaldSource(journal.directory), None, 3)
    assert messages == [SYN.format(port=100 + n) for n in range(3)]
    assert isinstance(position["cursor"], str) and f"b={BOOT_B}" in position["cursor"]


def test_resume_gives_exactly_the_entries_after_the_cursor_even_across_a_reboot(
    journal: Any,
) -> None:
    journal.append(kernel_entries(journal, BOOT_A, 0, 5))
    source = JournaldSource(journal.directory)
    first, position, _ = read(source, None, 5)
    assert len(first) == 5

    # While the agent is down: the old boot writes two more entries, then the machine reboots.
    journal.append(kernel_entries(journal, BOOT_A, 5, 2))
    journal.append(kernel_entries(journal, BOOT_B, 100, 3))
    again, _, _ = read(source, position, 5)
    expected = [SYN.format(port=p) for p in (5, 6, 100, 101, 102)]
    assert again == expected, "the old boot's tail and the new boot, nothing twice"


def test_entries_appended_while_following_come_out(journal: Any) -> None:
    journal.append(kernel_entries(journal, BOOT_A, 0, 1))
    source = JournaldSource(journal.directory)
    messages, _, _ = read(
        source, None, 4, then=lambda: journal.append(kernel_entries(journal, BOOT_A, 1, 3))
    )
    assert messages == [SYN.format(port=n) for n in range(4)]


def test_an_empty_journal_is_followed_until_entries_come(journal: Any) -> None:
    journal.append([journal.entry("systemd: not the kernel", BOOT_A, 1, transport="syslog")])
    source = JournaldSource(journal.directory)
    stop = threading.Event()
    batches = source.batches(None, stop)
    assert next(batches).empty  # nothing yet, and no error: it follows
    journal.append(kernel_entries(journal, BOOT_A, 0, 1))
    got: list[str] = []
    for batch in batches:
        got += [orjson.loads(raw.text)["MESSAGE"] for raw in batch.lines]
        if got:
            break
    stop.set()
    batches.close()
    assert got == [SYN.format(port=0)]


def test_records_give_stable_identities_from_boot_id_and_kernel_stamp(journal: Any) -> None:
    journal.append(kernel_entries(journal, BOOT_A, 0, 3))
    stop = threading.Event()
    batches = JournaldSource(journal.directory).batches(None, stop)
    lines = next(batches).lines
    stop.set()
    batches.close()
    ids = []
    for _ in range(2):  # two runs, as two agent processes would
        chain = Chain(ParseSettings(timezone="UTC"))
        events = [chain.process(raw) for raw in lines]
        assert all(isinstance(e, Event) for e in events)
        ids.append([e.id for e in events if isinstance(e, Event)])
    assert ids[0] == ids[1] and len(set(ids[0])) == 3


def test_a_cursor_journalctl_rejects_restarts_from_this_boot_with_a_warning(
    journal: Any,
) -> None:
    journal.append(kernel_entries(journal, BOOT_A, 0, 2))
    messages, _, warnings = read(JournaldSource(journal.directory), {"cursor": "garbage"}, 2)
    assert len(messages) == 2
    assert any("rejected the saved cursor" in w for w in warnings)


# -- what cannot be read ---------------------------------------------------------------------------


def test_journalctl_missing_is_a_clear_error(tmp_path: Path) -> None:
    source = JournaldSource(tmp_path, journalctl="ktcp-no-such-journalctl")
    with pytest.raises(InputError, match="not found: install systemd's journalctl"):
        source.check()
    assert "not found" in (journal_unusable(None, "ktcp-no-such-journalctl") or "")


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda d: d / "missing", "does not exist"),
        (lambda d: d, "holds no journal files"),
    ],
)
def test_a_directory_without_a_journal_is_a_clear_error(
    tmp_path: Path, make: Any, says: str
) -> None:
    directory = make(tmp_path)
    with pytest.raises(InputError, match=says):
        JournaldSource(directory).check()
    assert says in (journal_unusable(directory) or "")


def test_a_journal_with_kernel_entries_is_usable(journal: Any) -> None:
    journal.append(kernel_entries(journal, BOOT_A, 0, 1))
    assert journal_unusable(journal.directory) is None


def fake_journalctl(tmp_path: Path, follow_status: int, catch_up_status: int = 0) -> str:
    """A stand-in that prints one entry, then exits as told (catch-up run, or --follow run)."""
    script = tmp_path / "journalctl"
    entry = orjson.dumps(
        {
            "__CURSOR": "s=1;i=1",
            "__REALTIME_TIMESTAMP": "1796000000000000",
            "_BOOT_ID": BOOT_A,
            "_SOURCE_MONOTONIC_TIMESTAMP": "5000000",
            "MESSAGE": SYN.format(port=1),
        }
    ).decode()
    script.write_text(
        "#!/bin/sh\n"
        'case " $* " in *" --follow "*) status=' + str(follow_status) + " ;; *) status="
        + str(catch_up_status) + " ;; esac\n"
        f"echo '{entry}'\n"
        'echo "Failed to read journal: Input/output error" >&2\n'
        "exit $status\n"
    )
    script.chmod(0o755)
    return str(script)


def test_journalctl_exiting_while_following_is_an_error_after_what_it_gave(
    tmp_path: Path,
) -> None:
    source = JournaldSource(None, journalctl=fake_journalctl(tmp_path, follow_status=1))
    stop = threading.Event()
    got: list[Batch] = []
    with pytest.raises(InputError, match=r"stopped following .* Input/output error"):
        for batch in source.batches(None, stop):
            got.append(batch)
    assert sum(len(b.lines) for b in got) == 2  # the catch-up entry and the follow entry
    assert [b.position for b in got if b.position] == [{"cursor": "s=1;i=1"}] * 2


def test_journalctl_failing_to_read_is_an_error_with_its_message(tmp_path: Path) -> None:
    script = fake_journalctl(tmp_path, follow_status=0, catch_up_status=1)
    with pytest.raises(InputError, match=r"exit status 1\): .*Input/output error"):
        list(JournaldSource(None, journalctl=script).batches(None, threading.Event()))



def test_a_hosts_journal_mounted_in_a_container_is_found_without_a_directory_flag(
    journal: Any, tmp_path: Path
) -> None:
    """journalctl alone reads only the journal of /etc/machine-id; a container has another id
    (or none), so the host's journal directory is named explicitly."""
    host_id, container_id = "ab" * 16, "cd" * 16
    persistent, runtime = tmp_path / "var-log-journal", tmp_path / "run-log-journal"
    host = type(journal)(persistent / host_id, journal.binary)
    host.append(kernel_entries(host, BOOT_A, 0, 2))
    machine_id = tmp_path / "machine-id"
    journals = (str(persistent), str(runtime))

    machine_id.write_text(container_id + "\n")
    def source() -> JournaldSource:
        return JournaldSource(None, system_journals=journals, machine_id_file=str(machine_id))

    in_container = source()
    assert in_container.directory == persistent
    in_container.check()
    messages, _, _ = read(in_container, None, 2)
    assert messages == [SYN.format(port=n) for n in range(2)]

    machine_id.unlink()  # no machine id at all (a slim image)
    assert source().directory == persistent

    machine_id.write_text(host_id + "\n")  # on the host itself: journalctl's own default
    assert source().directory is None
