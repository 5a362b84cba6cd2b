"""`ktcp agent --source kmsg` on this machine's real /dev/kmsg: records written now come out,
and a restart delivers exactly the records written while it was down."""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

import pytest

from pipeline.sources.kmsg import BOOT_ID, DEV_KMSG, KmsgSource

LINE = "TCP: request_sock_TCP: Possible SYN flooding on port {port}. Sending cookies. {tag} n={n}"


def _write_kmsg(text: str) -> None:
    # One open per record: the kernel rate-limits writes per open file (printk_devkmsg).
    fd = os.open(DEV_KMSG, os.O_WRONLY)
    try:
        os.write(fd, f"<4>{text}\n".encode())
    finally:
        os.close(fd)


@pytest.fixture
def tag() -> str:
    try:
        _write_kmsg("ktcp test: probing whether /dev/kmsg takes records")
        KmsgSource().check()
    except OSError as exc:
        pytest.skip(
            f"cannot write {DEV_KMSG} here ({exc.strerror}): needs root outside a "
            "container that forbids it"
        )
    except Exception as exc:  # InputError: cannot read it
        pytest.skip(str(exc))
    return "ktcp-test-" + secrets.token_hex(6)


def _numbers(originals: list[str], tag: str) -> list[int]:
    return [int(m.group(1)) for o in originals if tag in o and (m := re.search(r"n=(\d+)", o))]


def test_records_come_out_once_across_a_restart(tag: str, tmp_path: Path, start_agent) -> None:
    args = ("--source", "kmsg", "--stdout", "--state-dir", str(tmp_path), "--http", "off")
    for n in range(3):
        _write_kmsg(LINE.format(port=1000 + n, tag=tag, n=n))
    first = start_agent(*args)
    first.wait_for(lambda a: len(_numbers(a.originals(), tag)) >= 3, "the first records")
    _write_kmsg(LINE.format(port=1003, tag=tag, n=3))  # written while it runs
    first.wait_for(lambda a: 3 in _numbers(a.originals(), tag), "a record written live")
    assert first.stop() == 0
    assert _numbers(first.originals(), tag) == [0, 1, 2, 3]
    boot_id = Path(BOOT_ID).read_text().strip()
    assert {d["host"]["boot"]["id"] for d in first.documents} == {boot_id}

    for n in range(4, 7):  # while it is down
        _write_kmsg(LINE.format(port=1000 + n, tag=tag, n=n))
    second = start_agent(*args)
    _write_kmsg(LINE.format(port=1007, tag=tag, n=7))  # later in sequence than all the rest
    second.wait_for(lambda a: 7 in _numbers(a.originals(), tag), "the newest record")
    assert second.stop() == 0
    assert _numbers(second.originals(), tag) == [4, 5, 6, 7]
    ids = [d["event"]["id"] for d in first.documents + second.documents if tag in d["message"]]
    assert len(set(ids)) == 8


def _oldest_sequence() -> int:
    fd = os.open(DEV_KMSG, os.O_RDONLY | os.O_NONBLOCK)
    try:
        return int(os.read(fd, 16384).split(b",")[1])
    finally:
        os.close(fd)


def test_records_the_ring_lost_while_down_are_counted(
    tag: str, tmp_path: Path, start_agent
) -> None:
    """A saved position older than the ring's oldest record: the gap is counted, not hidden."""
    import orjson

    boot_id = Path(BOOT_ID).read_text().strip()
    saved = _oldest_sequence() - 51  # as if the agent stopped 50 records before the oldest left
    (tmp_path / "kmsg.json").write_bytes(
        orjson.dumps({"kind": "kmsg", "position": {"boot_id": boot_id, "sequence": saved}})
    )
    _write_kmsg(LINE.format(port=1, tag=tag, n=0))
    agent = start_agent(
        "--source", "kmsg", "--stdout", "--state-dir", str(tmp_path), "--http", "off"
    )  # fmt: skip
    agent.wait_for(lambda a: 0 in _numbers(a.originals(), tag), "the new record")
    warning = agent.log_with("lost")
    assert warning["lost"] >= 50
    assert "overwritten" in warning["message"]
    assert agent.stop() == 0


def test_without_cap_syslog_the_error_says_what_to_do() -> None:
    if Path("/proc/sys/kernel/dmesg_restrict").read_text().strip() != "1":
        pytest.skip("kernel.dmesg_restrict is 0 here: anyone may read /dev/kmsg")
    if os.geteuid() != 0:
        pytest.skip("needs root to become an unprivileged user")
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child reports through the pipe
        try:
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            KmsgSource().check()
            message = b"opened"
        except Exception as exc:
            message = str(exc).encode()
        os.write(write_end, message)
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        message = pipe.read().decode()
    os.waitpid(child, 0)
    assert "CAP_SYSLOG" in message
    assert "kernel.dmesg_restrict = 1" in message
    assert "--source journald or file" in message
