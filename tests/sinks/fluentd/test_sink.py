"""The forwarder against a real socket server speaking in_forward's recorded protocol.

At-least-once: every event arrives under its own event.id (a resent one carries the same id),
a document counts as created only after its message's ack, and the spool empties.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from pipeline.clock import epoch_parts
from pipeline.sinks.fluentd import FluentdSink, open_sink

ReceiverFactory = Callable[..., Any]
Docs = Callable[[int], list[dict[str, Any]]]
Port = Callable[[], int]

BATCH = 100
WAIT_SECS = 120.0  # a bound for a hung process, not a performance target


def ship(sink: FluentdSink, docs: list[dict[str, Any]]) -> Any:
    for i in range(0, len(docs), BATCH):
        sink.send(docs[i : i + BATCH])
    return sink.close()


def spooled(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".fwd"))


def open_test_sink(address: str, spool: Path, **kwargs: Any) -> FluentdSink:
    kwargs.setdefault("deadline_secs", 20.0)
    warnings: list[str] = []
    sink = open_sink(
        address=address,
        tag_prefix="kernel.tcp",
        spool=spool,
        warn=warnings.append,
        **kwargs,
    )
    sink.warnings = warnings  # type: ignore[attr-defined]
    return sink


def assert_all_arrived(received: list[Any], docs: list[dict[str, Any]]) -> None:
    sent_ids = {d["event"]["id"]: d for d in docs}
    got = Counter(r.record["event"]["id"] for r in received)
    assert set(got) == set(sent_ids), "every event arrives, none invented"
    for r in received:  # a resent copy is the same event: same id, same record
        assert r.record == sent_ids[r.record["event"]["id"]]


def test_every_event_is_acknowledged_tagged_by_action_and_the_spool_empties(
    receiver: ReceiverFactory, tmp_path: Path, make_docs: Docs, unused_port: Port
) -> None:
    r = receiver().start()
    docs = make_docs(100)
    delivery = ship(open_test_sink(r.address, tmp_path), docs)
    assert delivery.created == len(docs) and delivery.complete
    events = r.events()
    assert len(events) == len(docs)  # nothing resent on a healthy connection
    assert_all_arrived(events, docs)
    assert r.modes == {"packed"}
    assert all(e.tag == f"kernel.tcp.{e.record['event']['action']}" for e in events)
    first = events[0]
    moment = datetime.fromisoformat(first.record["@timestamp"])
    assert (first.seconds, first.nanos) == epoch_parts(moment)
    assert spooled(tmp_path) == []


def test_receiver_down_at_start_events_wait_in_the_spool_and_drain_when_it_comes_up(
    receiver: ReceiverFactory, tmp_path: Path, make_docs: Docs, unused_port: Port
) -> None:
    port = unused_port()
    r = receiver(port=port)
    sink = open_test_sink(f"127.0.0.1:{port}", tmp_path)
    docs = make_docs(30)
    for i in range(0, len(docs), BATCH):
        sink.send(docs[i : i + BATCH])  # never blocks while Fluentd is away
    assert sink.flush(WAIT_SECS) and sink.confirmed == len(docs)  # all on disk: settled
    assert sum(int(n.split("-")[1]) for n in spooled(tmp_path)) == len(docs)
    assert any("unreachable" in w for w in sink.warnings)  # type: ignore[attr-defined]
    threading.Timer(0.5, r.start).start()
    delivery = sink.close()
    assert delivery.created == len(docs)
    assert_all_arrived(r.events(), docs)
    assert spooled(tmp_path) == []


def test_receiver_killed_mid_stream_and_restarted_loses_nothing(
    receiver: ReceiverFactory, tmp_path: Path, make_docs: Docs, unused_port: Port
) -> None:
    r = receiver(crash_after_messages=4).start()

    def restart() -> None:
        if r.wait_crashed(WAIT_SECS):
            r.start()

    threading.Thread(target=restart, daemon=True).start()
    docs = make_docs(200)
    delivery = ship(open_test_sink(r.address, tmp_path), docs)
    assert r.connections >= 2, "the receiver did go down and come back"
    assert delivery.created == len(docs) and delivery.not_delivered == 0
    assert_all_arrived(r.events(), docs)
    assert spooled(tmp_path) == []


def test_a_slow_acknowledger_gets_everything_once(
    receiver: ReceiverFactory, tmp_path: Path, make_docs: Docs, unused_port: Port
) -> None:
    r = receiver(ack_delay_secs=0.05).start()
    docs = make_docs(10)
    delivery = ship(open_test_sink(r.address, tmp_path, window_chunks=2), docs)
    assert delivery.created == len(docs)
    assert len(r.events()) == len(docs)
    assert_all_arrived(r.events(), docs)


def test_an_ack_that_never_comes_means_resend_on_a_new_connection(
    receiver: ReceiverFactory, tmp_path: Path, make_docs: Docs, unused_port: Port
) -> None:
    r = receiver(unanswered_messages=1).start()
    docs = make_docs(10)
    delivery = ship(open_test_sink(r.address, tmp_path, ack_timeout_secs=0.5), docs)
    assert delivery.created == len(docs)
    assert r.connections == 2
    assert len(r.events()) > len(docs), "the unanswered message came twice: at-least-once"
    assert_all_arrived(r.events(), docs)


def test_unix_socket(receiver: ReceiverFactory, tmp_path: Path, make_docs: Docs) -> None:
    r = receiver(unix_path=str(tmp_path / "forward.sock")).start()
    docs = make_docs(5)
    delivery = ship(open_test_sink(f"unix:{r.unix_path}", tmp_path / "spool"), docs)
    assert delivery.created == len(docs)
    assert_all_arrived(r.events(), docs)


def test_ipv6_loopback(receiver: ReceiverFactory, tmp_path: Path, make_docs: Docs) -> None:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        pytest.fail("this machine has no IPv6 loopback; the [v6]:PORT form cannot be tested")
    r = receiver(host="::1").start()
    docs = make_docs(5)
    delivery = ship(open_test_sink(f"[::1]:{r.port}", tmp_path), docs)
    assert delivery.created == len(docs)


def test_unsent_events_survive_the_run_and_go_first_in_the_next(
    receiver: ReceiverFactory, tmp_path: Path, make_docs: Docs, unused_port: Port
) -> None:
    port = unused_port()
    old, new = make_docs(20), make_docs(30)[200:]
    first = open_test_sink(f"127.0.0.1:{port}", tmp_path, deadline_secs=0.5)
    delivery = ship(first, old)
    assert (delivery.created, delivery.not_delivered) == (0, len(old))
    assert not delivery.complete
    assert sum(int(n.split("-")[1]) for n in spooled(tmp_path)) == len(old)
    assert any("a later run with this spool" in w for w in first.warnings)  # type: ignore[attr-defined]

    r = receiver(port=port).start()
    second = open_test_sink(r.address, tmp_path)
    delivery = ship(second, new)
    assert delivery.created == len(new)  # this run's own events; the earlier ones are reported
    assert any("earlier run" in w for w in second.warnings)  # type: ignore[attr-defined]
    ids = [e.record["event"]["id"] for e in r.events()]
    assert set(ids[: len(old)]) == {d["event"]["id"] for d in old}, "the spool drains first"
    assert_all_arrived(r.events(), old + new)
    assert spooled(tmp_path) == []


def test_a_full_spool_warns_and_counts_what_it_could_not_keep(
    tmp_path: Path, make_docs: Docs, unused_port: Port
) -> None:
    docs = make_docs(40)
    sink = open_test_sink(
        f"127.0.0.1:{unused_port()}", tmp_path, deadline_secs=0.3, spool_max_bytes=300_000
    )
    delivery = ship(sink, docs)
    kept = sum(int(name.split("-")[1]) for name in spooled(tmp_path))
    assert 0 < kept < len(docs)
    assert delivery.not_delivered == len(docs) and delivery.created == 0
    assert sum(1 for w in sink.warnings if "is full" in w) >= 1  # type: ignore[attr-defined]
    assert sum(os.path.getsize(tmp_path / n) for n in spooled(tmp_path)) <= 300_000


def test_two_runs_cannot_drain_one_spool(tmp_path: Path, unused_port: Port) -> None:
    from pipeline.errors import UsageError

    first = open_test_sink(f"127.0.0.1:{unused_port()}", tmp_path, deadline_secs=0.2)
    with pytest.raises(UsageError, match="in use"):
        open_test_sink(f"127.0.0.1:{unused_port()}", tmp_path)
    first.close()


KTCP = [sys.executable, "-c", "from pipeline.cli import main; main()"]
KERN_LOG = Path(__file__).parent.parent.parent / "data" / "fluentd" / "kern.log"


def test_sigterm_keeps_unsent_events_and_the_next_run_sends_them_first(
    receiver: ReceiverFactory, tmp_path: Path, unused_port: Port, make_docs: Docs
) -> None:
    total = 60 * len(make_docs(1))  # 50 copies of kern.log, then 10 more
    port, spool = unused_port(), tmp_path / "spool"
    ship_args = ["ship", "--fluentd", f"127.0.0.1:{port}", "--spool", str(spool)]
    ship_args += ["--timezone", "UTC", "--year", "2026", "-"]
    lines = KERN_LOG.read_bytes()
    proc = subprocess.Popen(
        [*KTCP, *ship_args], stdin=subprocess.PIPE, stderr=subprocess.PIPE, env=_env()
    )
    assert proc.stdin is not None
    proc.stdin.write(lines * 50)  # over 500 events: full batches, spooled and sent
    proc.stdin.flush()
    deadline = time.monotonic() + WAIT_SECS
    while not (spool.exists() and spooled(spool)) and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.stdin.write(lines * 10)  # more, with stdin still open
    proc.stdin.flush()
    # Signal once every event read is spooled (the batch is flushed at each block read).
    deadline = time.monotonic() + WAIT_SECS
    while sum(int(n.split("-")[1]) for n in spooled(spool)) < total:
        assert time.monotonic() < deadline, "the events read never all reached the spool"
        time.sleep(0.05)  # polling the spool directory
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=WAIT_SECS)
    assert proc.returncode == 1, err.decode()
    assert sum(int(n.split("-")[1]) for n in spooled(spool)) == total
    assert f"not delivered {total:,}".encode() in err

    r = receiver(port=port).start()
    again = subprocess.run(
        [*KTCP, *ship_args], input=b"", capture_output=True, timeout=60, env=_env()
    )
    assert again.returncode == 0, again.stderr.decode()
    assert f"delivered {total:,} events of an earlier run".encode() in again.stderr
    assert len({e.record["event"]["id"] for e in r.events()}) == total
    assert spooled(spool) == []


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONUNBUFFERED", None)
    env["KTCP_ENRICH"] = "0"
    return env


def test_a_spool_that_cannot_be_written_is_a_clear_warning_and_counted(
    tmp_path: Path, make_docs: Docs, unused_port: Port
) -> None:
    spool = tmp_path / "spool"
    sink = open_test_sink(f"127.0.0.1:{unused_port()}", spool, deadline_secs=0.3)
    shutil.rmtree(spool)  # the directory is gone (a cleanup job, a full or read-only disk)
    lost = make_docs(1)
    kept = make_docs(2)[len(lost) :]
    sink.send(lost)  # no traceback: the sink never raises OSError
    sink.send(lost)  # said once, counted every time
    assert sink.flush(WAIT_SECS) and sink.confirmed == 2 * len(lost)  # settled: not delivered
    spool.mkdir()  # the disk is back: the next batch is kept again
    sink.send(kept)
    delivery = sink.close()
    assert delivery.not_delivered == 2 * len(lost) + len(kept) and delivery.created == 0
    assert sum(int(name.split("-")[1]) for name in spooled(spool)) == len(kept)
    warnings = sink.warnings  # type: ignore[attr-defined]
    problems = [w for w in warnings if "cannot write the spool" in w]
    assert len(problems) == 1 and "No such file or directory" in problems[0]
    assert any("can be written again" in w for w in warnings)


def test_a_vanished_spool_file_is_reported_as_such_not_as_fluentd_unreachable(
    receiver: ReceiverFactory, tmp_path: Path, make_docs: Docs, unused_port: Port
) -> None:
    port = unused_port()
    old = make_docs(2)
    new = make_docs(4)[len(old) :]
    ship(open_test_sink(f"127.0.0.1:{port}", tmp_path, deadline_secs=0.3), old)
    left = spooled(tmp_path)
    assert left
    r = receiver(port=port).start()
    second = open_test_sink(r.address, tmp_path, deadline_secs=30.0)
    (tmp_path / left[0]).unlink()  # gone between the scan and the send
    delivery = ship(second, new)
    assert delivery.created == len(new) and delivery.complete
    warnings = second.warnings  # type: ignore[attr-defined]
    assert any(left[0] in w and "cannot be read" in w for w in warnings)
    assert not any("unreachable" in w for w in warnings)
    assert spooled(tmp_path) == []


def test_a_batch_is_settled_once_on_disk_at_two_fsyncs_whatever_its_tags(
    tmp_path: Path, make_docs: Docs, unused_port: Port, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A crash must not lose what the sink confirmed: a batch's one file and the directory
    # entry are fsync'ed (a rename alone can be lost with the page cache) before it counts,
    # once per batch, not once per tag (each fsync costs milliseconds on a real disk).
    synced: list[str] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    docs = make_docs(3)
    tags = {d["event"]["action"] for d in docs}
    assert len(tags) > 2, "the batch spans several tags"
    sink = open_test_sink(f"127.0.0.1:{unused_port()}", tmp_path, deadline_secs=0.2)
    monkeypatch.setattr(os, "fsync", fsync)
    sink.send(docs)
    assert sink.flush(WAIT_SECS) and sink.confirmed == len(docs)
    [name] = spooled(tmp_path)
    assert synced == [str(tmp_path / name) + ".tmp", str(tmp_path)]  # data, then the rename
    assert int(name.split("-")[1]) == len(docs)
    monkeypatch.undo()
    assert sink.close().not_delivered == len(docs)


def test_batches_handed_over_during_an_fsync_share_the_next_one_and_wait_for_it(
    receiver: ReceiverFactory,
    tmp_path: Path,
    make_docs: Docs,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Group commit: while the first batch's file is being synced, the next batches are packed
    # and handed over; they go to disk together, in one file with one fsync (plus the
    # directory's), as one message per tag. Until its fsync returned, a batch is neither sent
    # nor confirmed.
    r = receiver().start()
    docs = make_docs(4)
    size = len(docs) // 4
    synced: list[str] = []
    entered, release = threading.Event(), threading.Event()
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        if len(synced) == 1:
            entered.set()
            assert release.wait(WAIT_SECS)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    sink = open_test_sink(r.address, tmp_path / "spool")
    sink.send(docs[:size])
    assert entered.wait(WAIT_SECS), "the first batch is being synced"
    for i in range(1, 4):
        sink.send(docs[i * size : (i + 1) * size])
    assert not sink.flush(0.05) and sink.confirmed == 0
    assert r.event_count == 0, "nothing goes out before it is on disk"
    release.set()
    assert sink.flush(WAIT_SECS) and sink.confirmed == len(docs)
    files = [path for path in synced if path.endswith(".tmp")]
    assert len(files) == 2 and len(synced) == 4  # two files, each with its directory fsync
    assert int(Path(files[1]).name.split("-")[1]) == len(docs) - size  # three batches in one
    delivery = sink.close()
    monkeypatch.undo()
    assert delivery.created == len(docs) and delivery.complete
    assert_all_arrived(r.events(), docs)
    assert spooled(tmp_path / "spool") == []
    tags_first = {d["event"]["action"] for d in docs[:size]}
    tags_rest = {d["event"]["action"] for d in docs[size:]}
    assert len(r.chunks) == len(tags_first) + len(tags_rest) < 4 * len(tags_first)


def test_a_batch_file_goes_with_its_last_ack_and_a_restart_resends_what_is_left(
    tmp_path: Path,
) -> None:
    from pipeline.sinks.fluentd.protocol import packed_forward
    from pipeline.sinks.fluentd.spool import Spool

    messages = [(packed_forward(f"t.{i}", b"", 1 + i, f"c{i}"), 1 + i, f"c{i}") for i in range(3)]
    spool = Spool(tmp_path)
    first, second, _ = spool.add_batch(messages)
    spool.remove(second)  # acknowledged out of order: the file still holds two unacked
    assert spooled(tmp_path) == [first.path.name]
    spool.close()

    again = Spool(tmp_path)  # a restart: every message of the file is sent again, in order
    earlier = again.earlier()
    assert [(c.chunk_id, c.count, c.earlier) for c in earlier] == [
        ("c0", 1, True),
        ("c1", 2, True),
        ("c2", 3, True),
    ]
    assert [c.read() for c in earlier] == [m for m, _, _ in messages]  # byte-identical
    for chunk in earlier:
        assert spooled(tmp_path)
        again.remove(chunk)
    assert spooled(tmp_path) == [] and again.bytes_used == 0
    again.close()


def test_a_damaged_spool_file_is_reported_and_not_sent(tmp_path: Path) -> None:
    from pipeline.sinks.fluentd.spool import Spool

    (tmp_path / "000000000001-5-abc.fwd").write_bytes(b"\x93\xa1t")  # cut short
    spool = Spool(tmp_path)
    assert spool.earlier() == []
    assert spool.unreadable == ["000000000001-5-abc.fwd (not forward messages)"]
    spool.close()


def test_the_forward_sink_uses_no_client_library_internals() -> None:
    # fluent-logger's FluentSender was extended by overriding private methods, which any of its
    # releases may change; ktcp owns the socket instead, and must not come to depend on it.
    probe = "import sys, pipeline.sinks.fluentd; print('fluent' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, timeout=60)
    assert done.stdout.strip() == b"False", done.stderr.decode()
