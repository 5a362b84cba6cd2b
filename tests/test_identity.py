"""event.id rules: kmsg position beats file position beats text + occurrence."""

from __future__ import annotations

from pipeline.identity import event_id

BASE = dict(
    host="web1",
    boot_id=None,
    sequence=None,
    path=None,
    offset=None,
    time_key="",
    message="m",
    occurrence=1,
)


def test_kmsg_position_identifies_regardless_of_file_or_text() -> None:
    a = event_id(**{**BASE, "boot_id": "b", "sequence": 7, "path": "/a", "offset": 1})  # type: ignore[arg-type]
    b = event_id(**{**BASE, "boot_id": "b", "sequence": 7, "message": "other"})  # type: ignore[arg-type]
    assert a == b
    assert a != event_id(**{**BASE, "boot_id": "b", "sequence": 8})  # type: ignore[arg-type]


def test_file_offset_identifies_when_no_kmsg_position() -> None:
    a = event_id(**{**BASE, "path": "/var/log/kern.log", "offset": 10})  # type: ignore[arg-type]
    assert a == event_id(**{**BASE, "path": "/var/log/kern.log", "offset": 10, "occurrence": 5})  # type: ignore[arg-type]
    assert a != event_id(**{**BASE, "path": "/var/log/kern.log", "offset": 11})  # type: ignore[arg-type]
    assert a != event_id(**{**BASE, "path": "/var/log/kern.log", "offset": 10, "host": "web2"})  # type: ignore[arg-type]


def test_identical_text_differs_by_occurrence() -> None:
    assert event_id(**BASE) != event_id(**{**BASE, "occurrence": 2})  # type: ignore[arg-type]
    assert event_id(**BASE) == event_id(**BASE)  # type: ignore[arg-type]
