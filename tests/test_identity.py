"""event.id rules (docs/CONTRACT.md): the kernel's position, else the file's, else text + time."""

from __future__ import annotations

import json

from pipeline.chain import Chain
from pipeline.events import Event
from pipeline.records import RawLine
from pipeline.settings import ParseSettings

LINE = "TCP: request_sock_TCP: Possible SYN flooding on port 80. Sending cookies."
BOOT = "6c7c6013a26343b29e964691ff25d04c"


def ids(
    chain: Chain, data: bytes, path: str | None = None, file_id: str | None = None
) -> list[str]:
    offset = None if path is None else 0
    return [o.id for o in chain.scan_block(data, path, offset, file_id) if isinstance(o, Event)]


def one(chain: Chain, text: str) -> Event:
    outcome = chain.process(RawLine(text))
    assert isinstance(outcome, Event), outcome
    return outcome


def test_kmsg_records_of_this_machine_are_identified_by_boot_id_and_sequence() -> None:
    here = Chain(ParseSettings(boot_id=BOOT))
    record = f"4,1234,5000000,-;{LINE}\n".encode()
    # the same record read at another offset, in another file, by another process: one id
    first = ids(here, record, "/dev/kmsg", "a")
    again = ids(Chain(ParseSettings(boot_id=BOOT)), b"other line\n" + record, "/tmp/x", "b")
    assert first == again
    event = one(Chain(ParseSettings(boot_id=BOOT)), record.decode().strip())
    assert event.envelope.boot_id == BOOT and event.envelope.sequence == 1234
    assert event.id == first[0]
    # the next sequence number is another event; another boot is another event
    assert one(here, f"4,1235,5000000,-;{LINE}").id != event.id
    assert one(Chain(ParseSettings(boot_id="0" * 32)), f"4,1234,5000000,-;{LINE}").id != event.id


def test_kmsg_records_from_elsewhere_get_no_boot_id() -> None:
    event = one(Chain(), f"4,1234,5000000,-;{LINE}")
    assert event.envelope.boot_id is None


def journal(monotonic: int | None, seqnum: int | None = None, boot: str = BOOT) -> str:
    record: dict[str, object] = {
        "MESSAGE": LINE,
        "_BOOT_ID": boot,
        "_TRANSPORT": "kernel",
        "__REALTIME_TIMESTAMP": "1795000000000000",
        "__CURSOR": f"s=x;i={seqnum or 0}",
    }
    if monotonic is not None:
        record["_SOURCE_MONOTONIC_TIMESTAMP"] = str(monotonic)
    if seqnum is not None:
        record["__SEQNUM"] = str(seqnum)
        record["__SEQNUM_ID"] = "f00d"
    return json.dumps(record)


def test_a_journald_kernel_record_read_twice_keeps_its_id() -> None:
    record = journal(5_000_001)
    # read through stdin once, from a saved file at another offset later, in two processes
    once = one(Chain(), record).id
    later = ids(Chain(), b"{}\n" + record.encode() + b"\n", "/tmp/journal.json", "z")
    assert [once] == later
    # a flood: the same text stamped one microsecond later, or in another boot, is another event
    assert one(Chain(), journal(5_000_002)).id != once
    assert one(Chain(), journal(5_000_001, boot="1" * 32)).id != once


def test_a_journald_record_without_the_kernel_stamp_uses_the_journal_position() -> None:
    a = one(Chain(), journal(None, seqnum=7)).id
    assert a == one(Chain(), journal(None, seqnum=7)).id
    assert a != one(Chain(), journal(None, seqnum=8)).id


def test_rotated_names_do_not_change_ids_but_content_does() -> None:
    data = f"Nov 24 10:00:00 web1 kernel: {LINE}\n".encode() * 3
    assert ids(Chain(), data, "/var/log/kern.log", "f") == ids(
        Chain(), data, "/var/log/kern.log.1", "f"
    )
    # identical lines at different offsets stay distinct
    assert len(set(ids(Chain(), data, "/var/log/kern.log", "f"))) == 3
    # another file (other first line) at the same offsets: other ids
    assert set(ids(Chain(), data, "/var/log/kern.log", "g")).isdisjoint(
        ids(Chain(), data, "/var/log/kern.log", "f")
    )


def test_identical_text_differs_by_occurrence_and_by_uptime() -> None:
    chain = Chain()
    stamped = f"Nov 24 10:00:00 web1 kernel: [100.000001] {LINE}"
    a, b = one(chain, stamped).id, one(chain, stamped).id
    assert a != b  # the same line twice in one input: two events
    assert a == one(Chain(), stamped).id  # the input read again: the same ids
    # the same second and text but another printk stamp: another event, even in a new process
    other = one(Chain(), stamped.replace("100.000001", "100.000002")).id
    assert other not in {a, b}
