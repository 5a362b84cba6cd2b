"""`ktcp exec-filter` run as a subprocess over pipes, exactly as Fluentd's exec_filter drives it.

Without PYTHONUNBUFFERED (it would hide a missing flush); output read as it arrives, with
bounded waits; documents compared with `ktcp parse --output ndjson` of the same records.
"""

from __future__ import annotations

import io
import os
import random
import select
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import msgpack
import orjson
import pytest

DATA = Path(__file__).parent.parent / "data" / "fluentd"
FILTER = [sys.executable, "-m", "pipeline.cli", "exec-filter"]
PARSE = [sys.executable, "-c", "from pipeline.cli import main; main()", "parse", "-o", "ndjson"]
PINNED = ["--timezone", "UTC", "--year", "2026"]
VOLATILE = ("ktcp_time",)
WAIT_SECS = 120.0  # a bound for a hung child, not a performance target


def env(tmp_path: Path) -> dict[str, str]:
    out = dict(os.environ)
    out.pop("PYTHONUNBUFFERED", None)
    out["KTCP_ENRICH"] = "0"
    out["KTCP_LOG_FILE"] = str(tmp_path / "exec-filter.log")
    return out


def start(tmp_path: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [*FILTER, *PINNED, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env(tmp_path),
    )


def read_records(proc: subprocess.Popen[bytes], want: int, timeout: float = WAIT_SECS) -> list[Any]:
    """Decode msgpack records from the child's stdout as they arrive, without closing stdin."""
    assert proc.stdout is not None
    unpacker = msgpack.Unpacker(raw=False)
    out: list[Any] = []
    deadline = time.monotonic() + timeout
    while len(out) < want and time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], 0.1)
        if ready:
            data = os.read(proc.stdout.fileno(), 65536)
            if not data:
                break
            unpacker.feed(data)
            out.extend(unpacker)
    return out


def comparable(doc: dict[str, Any]) -> dict[str, Any]:
    """All but the volatile keys and event.original (the kernel line here, the JSON line that
    `ktcp parse` read there)."""
    doc = {k: v for k, v in doc.items() if k not in VOLATILE}
    doc["event"] = {k: v for k, v in doc["event"].items() if k not in ("ingested", "original")}
    return doc


def parse_output(tmp_path: Path, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What `ktcp parse` makes of the same records, one JSON line each."""
    lines = b"".join(orjson.dumps(r) + b"\n" for r in records)
    done = subprocess.run(
        [*PARSE, *PINNED, "-"],
        input=lines,
        capture_output=True,
        env=env(tmp_path),
        timeout=WAIT_SECS,
    )
    assert done.returncode == 0, done.stderr.decode()
    return [orjson.loads(line) for line in done.stdout.splitlines()]


def in_tail_records() -> list[dict[str, Any]]:
    """The fixture's records as text (its values are msgpack bin, as in_tail sends them)."""
    with open(DATA / "in_tail.msgpack", "rb") as stream:
        return [{"message": r["message"].decode()} for r in msgpack.Unpacker(stream)]


def tcp_record() -> dict[str, Any]:
    """One window-shrink record (peer 100.64.7.12, host web1)."""
    return next(r for r in in_tail_records() if "Peer 100.64.7.12:" in r["message"])


@pytest.fixture(scope="module")
def per_copy(tmp_path_factory: pytest.TempPathFactory) -> int:
    """Events `ktcp parse` finds in one copy of the fixture (the catalog grows; count, not fix)."""
    found = len(parse_output(tmp_path_factory.mktemp("parse"), in_tail_records()))
    assert found > 0
    return found


def test_in_tail_records_give_exactly_what_ktcp_parse_gives(tmp_path: Path) -> None:
    data = (DATA / "in_tail.msgpack").read_bytes()  # values as msgpack bin, as in_tail sends
    done = subprocess.run(
        [*FILTER, *PINNED], input=data, capture_output=True, env=env(tmp_path), timeout=WAIT_SECS
    )
    assert done.returncode == 0
    docs = list(msgpack.Unpacker(io.BytesIO(done.stdout), raw=False))
    expected = [comparable(d) for d in parse_output(tmp_path, in_tail_records())]
    assert expected and [comparable(d) for d in docs] == expected
    # event.original is the kernel line the record carried, not the whole record
    lines = {r["message"] for r in in_tail_records()}
    assert all(d["event"]["original"] in lines for d in docs)


def test_time_key_holds_the_kernel_time_as_sec_dot_nsec_for_parse_time_type_float(
    tmp_path: Path,
) -> None:
    data = (DATA / "in_tail.msgpack").read_bytes()
    done = subprocess.run(
        [*FILTER, *PINNED], input=data, capture_output=True, env=env(tmp_path), timeout=WAIT_SECS
    )
    for doc in msgpack.Unpacker(io.BytesIO(done.stdout), raw=False):
        seconds, nanos = doc["ktcp_time"].split(".")
        assert len(nanos) == 9
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(int(seconds)))
        assert doc["@timestamp"] == f"{stamp}.{nanos[:6]}Z"


def test_every_record_comes_out_while_stdin_stays_open_even_split_across_writes(
    tmp_path: Path, per_copy: int
) -> None:
    data = (DATA / "in_tail.msgpack").read_bytes() * 20
    proc = start(tmp_path)
    assert proc.stdin is not None

    def feed() -> None:  # Fluentd writes and reads on separate threads; so must we
        assert proc.stdin is not None
        rng = random.Random(5)
        pos = 0
        while pos < len(data):  # cut anywhere, records split across writes
            step = rng.randint(1, 700)
            proc.stdin.write(data[pos : pos + step])
            proc.stdin.flush()
            pos += step

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    docs = read_records(proc, 20 * per_copy)  # stdin still open: only a flush gets them out
    assert len(docs) == 20 * per_copy
    assert len({d["event"]["id"] for d in docs}) == 20 * per_copy
    writer.join(timeout=WAIT_SECS)
    proc.stdin.close()
    assert proc.wait(timeout=WAIT_SECS) == 0


def test_one_record_in_one_document_out_at_once(tmp_path: Path) -> None:
    record = tcp_record()
    proc = start(tmp_path)
    assert proc.stdin is not None
    proc.stdin.write(msgpack.packb(record))
    proc.stdin.flush()
    docs = read_records(proc, 1)  # stdin stays open: the document comes out on its own
    assert len(docs) == 1
    proc.kill()
    proc.wait(timeout=WAIT_SECS)


def test_a_large_batch_in_one_write(tmp_path: Path, per_copy: int) -> None:
    data = (DATA / "in_tail.msgpack").read_bytes() * 2000  # 114,000 records in one write
    done = subprocess.run(
        [*FILTER, *PINNED], input=data, capture_output=True, env=env(tmp_path), timeout=120
    )
    assert done.returncode == 0
    docs = list(msgpack.Unpacker(io.BytesIO(done.stdout), raw=False))
    assert len(docs) == 2000 * per_copy
    assert len({d["event"]["id"] for d in docs}) == 2000 * per_copy


def test_bad_records_between_good_ones_are_counted_logged_and_skipped(tmp_path: Path) -> None:
    data = (DATA / "mixed.msgpack").read_bytes()
    done = subprocess.run(
        [*FILTER, *PINNED], input=data, capture_output=True, env=env(tmp_path), timeout=WAIT_SECS
    )
    assert done.returncode == 0
    docs = list(msgpack.Unpacker(io.BytesIO(done.stdout), raw=False))
    assert len(docs) == 4
    assert all(d["event"]["action"] == "tcp-window-shrink" for d in docs)
    log = (tmp_path / "exec-filter.log").read_text()
    assert log.count("bad record #") == 2
    assert "4 events" in log and "2 bad records" in log
    assert done.stderr.decode().count("bad record #") == 2


def test_pass_unmatched_returns_non_tcp_records_byte_for_byte(
    tmp_path: Path, per_copy: int
) -> None:
    with open(DATA / "in_tail.msgpack", "rb") as stream:
        records = list(msgpack.Unpacker(stream))  # values as bytes: they were msgpack bin
    done = subprocess.run(
        [*FILTER, *PINNED, "--pass-unmatched", "--time-key", ""],
        input=(DATA / "in_tail.msgpack").read_bytes(),
        capture_output=True,
        env=env(tmp_path),
        timeout=WAIT_SECS,
    )
    out = list(msgpack.Unpacker(io.BytesIO(done.stdout), raw=False))
    assert len(out) == len(records)
    passed = [o for o in out if "event" not in o]
    assert len(passed) == len(records) - per_copy
    assert all(o in records for o in passed)
    raw_in = (DATA / "in_tail.msgpack").read_bytes()
    first_raw = msgpack.packb(records[0], use_bin_type=True)
    # the first record is non-TCP: it comes back as it went in, its value still msgpack bin
    assert raw_in.startswith(first_raw) and done.stdout.startswith(first_raw)  # bin stays bin


@pytest.mark.parametrize("output_format", ["json", "msgpack"])
def test_json_records_in_either_format_out(tmp_path: Path, output_format: str) -> None:
    records = in_tail_records()
    lines = b"".join(orjson.dumps(r) + b"\n" for r in records)
    done = subprocess.run(
        [*FILTER, *PINNED, "--format", "json", "--output-format", output_format],
        input=lines,
        capture_output=True,
        env=env(tmp_path),
        timeout=WAIT_SECS,
    )
    assert done.returncode == 0
    if output_format == "json":
        assert done.stdout.endswith(b"\n")
        docs = [orjson.loads(line) for line in done.stdout.splitlines()]
    else:
        docs = list(msgpack.Unpacker(io.BytesIO(done.stdout), raw=False))
    assert [comparable(d) for d in docs] == [comparable(d) for d in parse_output(tmp_path, records)]


def test_json_output_is_one_flushed_line_per_record_while_stdin_is_open(tmp_path: Path) -> None:
    proc = start(tmp_path, "--format", "json")
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(orjson.dumps(tcp_record()) + b"\n")
    proc.stdin.flush()
    ready, _, _ = select.select([proc.stdout], [], [], 5)
    assert ready
    line = proc.stdout.readline()
    assert orjson.loads(line)["event"]["action"] == "tcp-window-shrink"
    proc.kill()
    proc.wait(timeout=WAIT_SECS)


def test_broken_json_lines_do_not_stop_the_stream(tmp_path: Path) -> None:
    good = orjson.dumps(tcp_record())
    lines = good + b"\n{not json\n[1,2]\n\n" + good.replace(b"web1", b"web2") + b"\n"
    done = subprocess.run(
        [*FILTER, *PINNED, "--format", "json"],
        input=lines,
        capture_output=True,
        env=env(tmp_path),
        timeout=WAIT_SECS,
    )
    docs = [orjson.loads(line) for line in done.stdout.splitlines()]
    assert [d["host"]["name"] for d in docs] == ["web1", "web2"]
    assert (tmp_path / "exec-filter.log").read_text().count("bad record #") == 2


def test_the_kernel_line_key_can_be_named(tmp_path: Path) -> None:
    record = {"kernel_line": tcp_record()["message"], "fluentd_tag": "kern"}
    done = subprocess.run(
        [*FILTER, *PINNED, "--key", "kernel_line"],
        input=msgpack.packb(record),
        capture_output=True,
        env=env(tmp_path),
        timeout=WAIT_SECS,
    )
    docs = list(msgpack.Unpacker(io.BytesIO(done.stdout), raw=False))
    assert len(docs) == 1 and docs[0]["source"]["ip"] == "100.64.7.12"


def test_error_records_carry_a_tag_fluentd_can_route(tmp_path: Path) -> None:
    done = subprocess.run(
        [*FILTER, *PINNED, "--error-tag", "ktcp.error"],
        input=(DATA / "mixed.msgpack").read_bytes(),
        capture_output=True,
        env=env(tmp_path),
        timeout=WAIT_SECS,
    )
    out = list(msgpack.Unpacker(io.BytesIO(done.stdout), raw=False))
    errors = [o for o in out if "error" in o]
    assert {o["ktcp_tag"] for o in errors} == {"ktcp.error"}
    assert sorted(o["error"]["kind"] for o in errors) == ["bad", "bad", "invalid", "invalid"]
    assert len(out) - len(errors) == 4


def test_eof_flushes_and_exits_promptly_counting_a_cut_record(
    tmp_path: Path, per_copy: int
) -> None:
    data = (DATA / "in_tail.msgpack").read_bytes()
    proc = start(tmp_path)
    out, _ = proc.communicate(data + data[:20], timeout=WAIT_SECS)
    assert proc.returncode == 0
    assert len(list(msgpack.Unpacker(io.BytesIO(out)))) == per_copy
    assert "input ended inside a msgpack record" in (tmp_path / "exec-filter.log").read_text()


def test_sigterm_mid_stream_exits_cleanly_after_well_formed_output(
    tmp_path: Path, per_copy: int
) -> None:
    data = (DATA / "in_tail.msgpack").read_bytes()
    proc = start(tmp_path)
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(data * 3)
    proc.stdin.flush()
    assert len(read_records(proc, 3 * per_copy)) == 3 * per_copy
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=WAIT_SECS) == 0
    assert proc.stdout.read() == b""  # nothing half-written after the last whole record
    assert f"{3 * per_copy} events" in (tmp_path / "exec-filter.log").read_text()


def test_a_respawned_child_does_not_reuse_ids_of_a_flood_in_the_same_second(
    tmp_path: Path,
) -> None:
    # Fluentd respawns a killed child: its occurrence counts start again. Two flood lines of the
    # same second and text differ only by their printk stamp; each child sees one of them.
    line = (
        "Nov 24 15:14:57 web1 kernel: [5000.{usec}] nf_conntrack: nf_conntrack: "
        "table full, dropping packet"
    )
    ids = []
    for usec in ("000001", "000002"):
        done = subprocess.run(
            [*FILTER, *PINNED],
            input=msgpack.packb({"message": line.format(usec=usec)}),
            capture_output=True,
            env=env(tmp_path),
            timeout=WAIT_SECS,
        )
        docs = list(msgpack.Unpacker(io.BytesIO(done.stdout), raw=False))
        assert len(docs) == 1, done.stderr.decode()
        ids.append(docs[0]["event"]["id"])
    assert ids[0] != ids[1]


ODD_RECORDS = [
    {"foo": 1},
    {"message": 12345},
    {"message": ""},
    {"message": {"text": "TCP: Treason uncloaked!"}},
    {"message": ["TCP: Treason uncloaked!", "more"]},
]


@pytest.mark.parametrize("input_format", ["msgpack", "json"])
def test_every_record_without_a_kernel_line_is_counted_logged_and_routed_alike(
    tmp_path: Path, input_format: str
) -> None:
    records = [tcp_record(), *ODD_RECORDS]
    if input_format == "msgpack":
        data = b"".join(msgpack.packb(r) for r in records)
    else:
        data = b"".join(orjson.dumps(r) + b"\n" for r in records)
    args = ["--format", input_format, "--output-format", "msgpack", "--error-tag", "ktcp.error"]
    done = subprocess.run(
        [*FILTER, *PINNED, *args],
        input=data,
        capture_output=True,
        env=env(tmp_path),
        timeout=60,
    )
    assert done.returncode == 0, done.stderr.decode()
    out = list(msgpack.Unpacker(io.BytesIO(done.stdout), raw=False))
    errors = [o for o in out if "error" in o]
    assert len(out) - len(errors) == 1  # the one event
    assert [o["error"]["kind"] for o in errors] == ["invalid"] * len(ODD_RECORDS)
    assert [o["record"] for o in errors] == ODD_RECORDS  # each tells which record it was
    log = (tmp_path / "exec-filter.log").read_text()
    assert log.count("invalid record #") == len(ODD_RECORDS)
    for reason in ("no text under message", "holds a number", "is empty", "holds a map"):
        assert reason in log
    assert "holds a list" in log
    assert f"{len(records)} records" in log and f"{len(ODD_RECORDS)} invalid" in log


def test_event_original_is_the_kernel_line_not_the_record(tmp_path: Path) -> None:
    record = {**tcp_record(), "fluentd_tag": "kern", "host": "web1"}
    done = subprocess.run(
        [*FILTER, *PINNED], input=msgpack.packb(record), capture_output=True, env=env(tmp_path)
    )
    docs = list(msgpack.Unpacker(io.BytesIO(done.stdout), raw=False))
    assert len(docs) == 1 and docs[0]["event"]["original"] == record["message"]


def test_a_log_file_on_a_full_disk_does_not_end_the_child(tmp_path: Path) -> None:
    # A dead child makes Fluentd lose the records in flight; a full disk must not kill it.
    records = [{"foo": 1}, tcp_record(), {"message": 12345}, tcp_record()]
    done = subprocess.run(
        [*FILTER, *PINNED, "--log-file", "/dev/full"],
        input=b"".join(msgpack.packb(r) for r in records),
        capture_output=True,
        env={**env(tmp_path), "KTCP_LOG_FILE": "/dev/full"},
        timeout=60,
    )
    assert done.returncode == 0 and b"Traceback" not in done.stderr
    assert len(list(msgpack.Unpacker(io.BytesIO(done.stdout)))) == 2
    assert done.stderr.count(b"invalid record #") == 2  # stderr still says it
