"""exec-filter's msgpack loop gives what the general path gives, record for record.

Fast: `ExecFilter.feed` (one unpacker per read, records without a TCP keyword counted and
dropped or passed through without being decoded). Reference: `MsgpackRecords` splitting the
same reads into records and `ExecFilter.handle` taking each on its own (decoded to text,
`Chain.process_record`). Both see the same reads, cut at arbitrary places; their outputs
(every byte but `event.ingested`, the moment of writing), counters, Chain counters and log
lines must be the same.
"""

from __future__ import annotations

import io
import random
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgpack
import orjson
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

from generate import generate  # noqa: E402

from pipeline.chain import Chain  # noqa: E402
from pipeline.drivers.exec_filter import ExecFilter, FilterSettings, MsgpackRecords  # noqa: E402
from pipeline.settings import ParseSettings  # noqa: E402

DATA = ROOT / "tests" / "data"
READ_AT = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
TCP = b"Nov 24 15:14:57 web1 kernel: [ 1.5] TCP: drop open request from 1.2.3.4/80"
NOISE = b"Nov 24 15:14:57 web1 kernel: [ 1.6] e1000e: eth0 NIC Link is Up"


def _odd_records() -> list[Any]:
    """Records whose every detail matters to which path decides them, and how."""
    return [
        {"message": NOISE},
        {"message": NOISE.decode()},  # str instead of bin
        {"message": TCP},
        {"message": b"   "},
        {"message": b"\x1c\x1d \t"},  # blank as text, not as bytes
        {"message": b"\x1cNIC Link is Up"},
        {"message": "caf\u00e9 kernel: NIC up".encode()},  # UTF-8, not ASCII
        {"message": "\u3000\u00a0".encode()},  # blank as text: Unicode spaces
        {"message": b"\xff\xfe kernel: NIC up"},  # invalid UTF-8
        {"message": b"\xff TCP: drop open request from 1.2.3.4/80"},
        {"message": b"x PROTO=TCP SPT=1 DPT=2"},
        # 61 bytes: msgpack's length byte before the line is `=`, which a keyword search
        # over the record's bytes would take for text before TCP
        {"message": b"TCP bind hash table entries: 65536 (order: 8, 1048576 bytes)."},
        {"message": "TCP bind hash table entries: 65536 (order: 8, 1048576 bytes)."},  # str8
        {"message": b"TCP established hash table entries: 524288 (order: 10, 4194304 bytes)"},
        # 100 bytes: the length byte is `d`, as if the line went on from "drop open request"
        {"message": b"rop open request from 1.2.3.4/80" + b" " * 68},
        {"message": 5},
        {"message": None},
        {"message": [1, 2]},
        {"message": {"nested": NOISE}},
        {"log": NOISE},
        {"log": TCP},
        {"log": NOISE, "stream": b"stdout", "time": b"2026-11-24T07:14:57Z"},
        {"log": 7, "stream": b"stdout", "time": b"2026-11-24T07:14:57Z"},
        {"MESSAGE": NOISE, "_TRANSPORT": b"kernel"},
        {"MESSAGE": NOISE, "message": TCP, "PRIORITY": b"6"},
        {"msg": NOISE, "priority": 6, "sec": 1, "usec": 2},
        {"msg": NOISE, "message": TCP},
        {"message": NOISE, "fluentd_tag": b"kern.kern.info", "fluentd_time": b"1795504497"},
        {"message": TCP, "fluentd_tag": b"kern.kern.info", "fluentd_time": b"1795504497"},
        {1: b"x", "message": NOISE},
        {b"\xff": b"x", "message": NOISE},
        {"message": b"", "log": NOISE},
        {"msg": NOISE},
        {"MESSAGE": NOISE},
        {},
        [NOISE],
        42,
        msgpack.ExtType(0, b"\x00" * 8),
    ]


def _lines(tmp: Path) -> list[bytes]:
    log = tmp / "kern.log"
    generate(log, 3_000, 0.2)
    lines = log.read_bytes().splitlines()
    for name in ("nasty.log", "tcp-syn-flood.log", "tcp-window-shrink.log"):
        lines += (DATA / "catalog" / name).read_bytes().splitlines()
    lines += (DATA / "sources" / "invalid-utf8.log").read_bytes().splitlines()
    return lines


def _stream(tmp: Path) -> bytes:
    rng = random.Random(14)
    bin_packer = msgpack.Packer(use_bin_type=True)
    str_packer = msgpack.Packer(use_bin_type=False)  # every bytes value as msgpack str
    parts = []
    for line in _lines(tmp):
        packer = bin_packer if rng.random() < 0.8 else str_packer
        parts.append(packer.pack({"message": line}))
        if rng.random() < 0.02:
            parts.append(bin_packer.pack(rng.choice(_odd_records())))
        if rng.random() < 0.002:
            parts.append(b"\xc1")  # never valid msgpack: resync
    parts += [bin_packer.pack(record) for record in _odd_records()]
    parts.append(bin_packer.pack({"message": NOISE})[:-3])  # cut at the end
    return b"".join(parts)


def _reads(stream: bytes) -> list[bytes]:
    rng = random.Random(41)
    reads, at = [], 0
    while at < len(stream):
        size = rng.choice((1, 7, 300, 4096, 65536))
        reads.append(stream[at : at + size])
        at += size
    return reads


def _chain(**settings: Any) -> Chain:
    return Chain(ParseSettings(timezone="UTC", year=2026, **settings), now=lambda: READ_AT)


def _run(
    reads: list[bytes], settings: FilterSettings, parse: dict[str, Any], reference: bool
) -> tuple[list[Any], Any, Any, list[str]]:
    out, logs = io.BytesIO(), []
    chain = _chain(**parse)
    stage = ExecFilter(chain, settings, out, lambda line: logs.append(line))
    if reference:
        records = MsgpackRecords()
        for data in reads:
            stage._write([stage.handle(item) for item in records.feed(data)])
        stage._write([stage.handle(item) for item in records.finish()])
    else:
        for data in reads:
            stage.feed(data)
        stage.finish()
    return _decoded(out.getvalue(), settings.output_format), stage.stats, chain.stats, logs


def _untimed(log_line: str) -> str:
    return log_line.split(" ", 1)[1]


def _decoded(data: bytes, output_format: str) -> list[Any]:
    if output_format == "msgpack":
        unpacker = msgpack.Unpacker(raw=True, strict_map_key=False)
        unpacker.feed(data)
        items = list(unpacker)
    else:
        items = [orjson.loads(line) for line in data.splitlines()]
    for item in items:
        for key in (b"event", "event"):
            if isinstance(item, dict) and isinstance(item.get(key), dict):
                item[key].pop(b"ingested" if key == b"event" else "ingested", None)
    return items


@pytest.mark.parametrize(
    ("settings", "parse"),
    [
        (FilterSettings(), {}),
        (FilterSettings(pass_unmatched=True), {}),
        (FilterSettings(pass_unmatched=True, output_format="json"), {}),
        (FilterSettings(pass_unmatched=True, error_tag="kernel.errors", time_key=None), {}),
        (FilterSettings(pass_unmatched=True), {"record_keys": ("log", "message")}),
        (FilterSettings(pass_unmatched=True), {"envelope": "journald"}),
        (FilterSettings(pass_unmatched=True), {"envelope": "fluentd"}),
    ],
    ids=["drop", "pass", "pass-json", "error-tag", "keys", "journald", "fluentd"],
)
def test_the_msgpack_loop_matches_the_general_path_record_for_record(
    tmp_path: Path, settings: FilterSettings, parse: dict[str, Any]
) -> None:
    reads = _reads(_stream(tmp_path))
    fast = _run(reads, settings, parse, reference=False)
    slow = _run(reads, settings, parse, reference=True)
    assert fast[0] == slow[0]
    assert fast[1] == slow[1]
    assert fast[2] == slow[2]
    assert [_untimed(line) for line in fast[3]] == [_untimed(line) for line in slow[3]]
    stats = fast[1]
    if not parse:  # forcing another record kind makes these records invalid instead
        assert stats.events > 500 and stats.non_tcp > 2_000 and stats.bad >= 2
    assert stats.records == stats.events + stats.non_tcp + stats.unmatched + stats.invalid + (
        stats.bad
    )


def test_records_passed_through_are_their_own_bytes(tmp_path: Path) -> None:
    """Without an event, a record given back is the very bytes Fluentd wrote, in order."""
    packer = msgpack.Packer(use_bin_type=True)
    records = [{"message": NOISE, "n": i} for i in range(5)] + [{"message": TCP}]
    records.append({"message": b"\xff kernel: NIC up"})
    stream = b"".join(packer.pack(record) for record in records)
    out = io.BytesIO()
    stage = ExecFilter(_chain(), FilterSettings(pass_unmatched=True), out, lambda line: None)
    stage.feed(stream[:10])
    stage.feed(stream[10:])
    stage.finish()
    unpacker = msgpack.Unpacker(raw=True)
    unpacker.feed(out.getvalue())
    docs = list(unpacker)
    assert len(docs) == 7 and b"event" in docs[5]
    passed = b"".join(packer.pack(record) for record in records[:5])
    assert out.getvalue().startswith(passed)
    assert out.getvalue().endswith(packer.pack(records[6]))
    assert stage.stats.passed == 6 and stage.stats.non_tcp == 6 and stage.stats.events == 1


@pytest.mark.parametrize(
    "line",
    [
        TCP.decode(),
        NOISE.decode() + "\n",
        "[12345.678901] TCP: Treason uncloaked! Peer 202.106.38.7:57824/80 shrinks window 1:2.",
        "<4>Nov 24 15:14:57 web1 kernel: TCP: drop open request from 1.2.3.4/80",
        '{"log":"TCP: drop open request from 1.2.3.4/80\\n","stream":"stdout","time":"x"}',
    ],
)
def test_a_record_holding_only_its_line_gets_the_envelope_of_the_full_reading(
    line: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In_tail's `{"message": line}` skips the look for time, host, tag and PRI keys: the
    envelope is the same as when every one of them is looked for and found missing."""
    from pipeline import envelopes
    from pipeline.envelopes import structured

    record = {"message": line}
    quick = envelopes.from_record(record)
    monkeypatch.setattr(structured, "_META_KEYS", frozenset({"message"}))  # never disjoint
    assert envelopes.from_record(record) == quick
