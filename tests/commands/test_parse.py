"""`ktcp parse` as a user runs it: a real subprocess, real files, real pipes."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.live import Live

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "samples" / "kern.log"
SEED = (
    "TCP: Treason uncloaked! Peer 202.106.38.7:57824/80 shrinks window "
    "3573023813:3573023814. Repaired.\n"
)


def ktcp(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli", *args],
        input=stdin,
        capture_output=True,
        timeout=120,
        check=False,
        env={**os.environ, "TZ": "UTC"},
    )


def ndjson(out: bytes) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.splitlines()]


def summary_counts(stderr: bytes) -> dict[str, int]:
    counts = {}
    for line in stderr.decode().splitlines():
        text = line.strip()
        for label in ("events", "non-TCP lines", "unmatched TCP-like lines", "invalid lines"):
            if text.startswith(label + " "):
                counts[label] = int(text[len(label) :].split()[0].replace(",", ""))
        if text.startswith("ktcp: read "):
            counts["read"] = int(text.split()[2].replace(",", ""))
    return counts


def test_sample_ndjson_is_only_json_and_summary_accounts_for_every_line() -> None:
    result = ktcp("parse", str(SAMPLE), "--output", "ndjson")
    assert result.returncode == 0, result.stderr.decode()
    docs = ndjson(result.stdout)
    counts = summary_counts(result.stderr)
    assert counts["read"] == len(SAMPLE.read_bytes().splitlines())
    assert counts["events"] == len(docs) > 10
    assert counts["read"] == sum(
        counts[k] for k in ("events", "non-TCP lines", "unmatched TCP-like lines", "invalid lines")
    )
    seeds = [d for d in docs if d.get("source", {}).get("ip") == "202.106.38.7"]  # type: ignore[attr-defined]
    treason = [d for d in seeds if d["ktcp"]["variant"] == "treason-uncloaked"]  # type: ignore[index]
    assert len(treason) == 2
    assert treason[0]["event"]["id"] != treason[1]["event"]["id"]  # type: ignore[index]
    for doc in treason:
        assert (
            doc["source"] == {"ip": "202.106.38.7", "port": 57824} or doc["source"]["port"] == 57824
        )  # enrichment may add source.as / source.geo
        assert doc["destination"] == {"port": 80}
        assert doc["ktcp"]["window"]["bytes_outstanding"] == 1  # type: ignore[index]


def test_same_input_twice_gives_the_same_ids() -> None:
    first = [d["event"]["id"] for d in ndjson(ktcp("parse", str(SAMPLE), "-o", "ndjson").stdout)]  # type: ignore[index]
    second = [d["event"]["id"] for d in ndjson(ktcp("parse", str(SAMPLE), "-o", "ndjson").stdout)]  # type: ignore[index]
    assert first == second
    assert len(set(first)) == len(first)


def test_stdin_identical_lines_are_distinct_events_with_repeatable_ids() -> None:
    data = (SEED * 2).encode()
    a = ndjson(ktcp("parse", "-", "-o", "ndjson", stdin=data).stdout)
    b = ndjson(ktcp("parse", "-", "-o", "ndjson", stdin=data).stdout)
    ids = [d["event"]["id"] for d in a]  # type: ignore[index]
    assert len(ids) == 2 and ids[0] != ids[1]
    assert ids == [d["event"]["id"] for d in b]  # type: ignore[index]


def test_unreadable_file_is_one_line_error_and_other_files_still_parsed(tmp_path: Path) -> None:
    good = tmp_path / "good.log"
    good.write_text(SEED)
    result = ktcp("parse", str(tmp_path / "missing.log"), str(good), "-o", "ndjson")
    assert result.returncode == 1
    assert len(ndjson(result.stdout)) == 1
    errors = [ln for ln in result.stderr.decode().splitlines() if "missing.log" in ln]
    assert len(errors) == 1 and "No such file" in errors[0]
    assert "Traceback" not in result.stderr.decode()


def test_usage_error_exits_2() -> None:
    result = ktcp("parse", "--output", "yaml")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr.decode()


def test_gzip_input_is_read_transparently(tmp_path: Path) -> None:
    rotated = tmp_path / "kern.log.2.gz"
    rotated.write_bytes(gzip.compress(SAMPLE.read_bytes()))
    plain = ndjson(ktcp("parse", str(SAMPLE), "-o", "ndjson").stdout)
    packed = ndjson(ktcp("parse", str(rotated), "-o", "ndjson").stdout)
    assert [d["message"] for d in plain] == [d["message"] for d in packed]


def test_dead_letter_gets_unmatched_lines_with_reason(tmp_path: Path) -> None:
    letters = tmp_path / "dead.jsonl"
    source = tmp_path / "in.log"
    source.write_text(SEED + "TCP: a wording no kernel ever printed\nordinary noise\n")
    result = ktcp("parse", str(source), "-o", "ndjson", "--dead-letter", str(letters))
    assert result.returncode == 0
    rows = [json.loads(x) for x in letters.read_text().splitlines()]
    assert [r["kind"] for r in rows] == ["unmatched"]
    assert rows[0]["original"] == "TCP: a wording no kernel ever printed"
    assert rows[0]["reason"]
    assert rows[0]["path"] == str(source) and isinstance(rows[0]["offset"], int)


def test_show_unmatched_lists_catalog_gaps(tmp_path: Path) -> None:
    source = tmp_path / "in.log"
    source.write_text("TCP: a wording no kernel ever printed\n")
    result = ktcp("parse", str(source), "--show-unmatched")
    assert "TCP: a wording no kernel ever printed" in result.stderr.decode()


def test_json_output_is_one_array(tmp_path: Path) -> None:
    result = ktcp("parse", str(SAMPLE), "-o", "json")
    docs = json.loads(result.stdout)
    assert isinstance(docs, list) and len(docs) == len(
        ndjson(ktcp("parse", str(SAMPLE), "-o", "ndjson").stdout)
    )


def test_empty_json_output_is_an_empty_array(tmp_path: Path) -> None:
    empty = tmp_path / "empty.log"
    empty.write_bytes(b"")
    result = ktcp("parse", str(empty), "-o", "json")
    assert result.returncode == 0 and json.loads(result.stdout) == []


@pytest.mark.parametrize("name", ["nasty.bin"])
def test_binary_garbage_never_crashes_and_is_accounted(tmp_path: Path, name: str) -> None:
    junk = tmp_path / name
    junk.write_bytes(
        os.urandom(1 << 16) + b"\xff\xfeTCP: \x00\x01 Peer ::::/1\r\n" + b"x" * (1 << 21)
    )
    result = ktcp("parse", str(junk), "-o", "ndjson")
    assert result.returncode == 0, result.stderr.decode()
    assert "Traceback" not in result.stderr.decode()
    counts = summary_counts(result.stderr)
    assert (
        counts["read"]
        == counts["events"]
        + counts["non-TCP lines"]
        + counts["unmatched TCP-like lines"]
        + counts["invalid lines"]
    )


def test_a_rotated_in_file_under_the_same_name_does_not_reuse_old_ids(tmp_path: Path) -> None:
    # logrotate: yesterday's kern.log becomes kern.log.1.gz, a new kern.log starts at offset 0.
    log = tmp_path / "kern.log"
    log.write_text("Nov 23 10:00:00 web1 kernel: " + SEED)
    yesterday = [d["event"]["id"] for d in ndjson(ktcp("parse", str(log), "-o", "ndjson").stdout)]  # type: ignore[index]
    rotated = tmp_path / "kern.log.1.gz"
    rotated.write_bytes(gzip.compress(log.read_bytes()))
    log.write_text("Nov 24 10:00:00 web1 kernel: " + SEED)
    today = [d["event"]["id"] for d in ndjson(ktcp("parse", str(log), "-o", "ndjson").stdout)]  # type: ignore[index]
    assert len(yesterday) == len(today) == 1
    assert today != yesterday  # same path, same offset, different file: a new event
    again = [d["event"]["id"] for d in ndjson(ktcp("parse", str(log), "-o", "ndjson").stdout)]  # type: ignore[index]
    assert again == today


def test_follow_prints_new_events_as_they_are_written_and_across_rotation(tmp_path: Path) -> None:
    log = tmp_path / "kern.log"
    log.write_text("Nov 24 09:59:59 web1 kernel: " + SEED)  # before the start: not shown
    with Live(["parse", "--follow", str(log), "-o", "ndjson"]) as live:
        live.wait_for(f"following {log}")  # open, at its end, enrichment loaded
        with log.open("a") as f:
            f.write("Nov 24 10:00:00 web1 kernel: " + SEED.replace("57824", "1111"))
        first = json.loads(live.line())
        assert first["source"]["port"] == 1111
        log.rename(tmp_path / "kern.log.1")
        log.write_text("Nov 24 10:00:01 web1 kernel: " + SEED.replace("57824", "2222"))
        second = json.loads(live.line())
        assert second["source"]["port"] == 2222
        assert second["event"]["id"] != first["event"]["id"]
        _, err = live.stop()
    assert "Traceback" not in err
    assert "read 2 lines" in err  # the line before the start is not read


def test_no_file_reads_the_local_kernel_log_and_says_which() -> None:
    result = ktcp("parse", "-o", "ndjson")
    err = result.stderr.decode()
    assert "Traceback" not in err
    if result.returncode == 0:
        assert "reading the local kernel log from" in err
    else:  # a machine where no kernel log is readable says why, source by source
        assert result.returncode == 1 and "no local kernel log is readable" in err


def test_progress_bar_only_when_a_person_watches(tmp_path: Path) -> None:
    import shutil

    big = tmp_path / "kern.log"
    big.write_bytes(SAMPLE.read_bytes() * 2000)
    piped = ktcp("parse", str(big), "-o", "ndjson")
    assert b"parsing" not in piped.stderr  # stderr is a pipe: no bar, only the summary
    script = shutil.which("script")
    assert script is not None, "util-linux `script` runs ktcp on a terminal"
    typescript = tmp_path / "tty.out"
    command = f"{sys.executable} -m pipeline.cli parse {big} -o ndjson > /dev/null"
    subprocess.run(
        [script, "-qec", command, str(typescript)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        timeout=120,
        check=True,
    )
    screen = typescript.read_bytes()
    assert b"parsing" in screen and b"MB" in screen  # the bar, sized in bytes
    assert b"ktcp: read" in screen  # and the summary after it


def test_follow_reads_several_files_at_once(tmp_path: Path) -> None:
    logs = [tmp_path / "kern.log", tmp_path / "messages"]
    for log in logs:
        log.write_text("")
    with Live(["parse", "-f", *map(str, logs), "-o", "ndjson"]) as live:
        for log in logs:
            live.wait_for(f"following {log}")
        ports = []
        for log, port in ((logs[1], "3333"), (logs[0], "4444")):  # the second file first
            with log.open("a") as f:
                f.write("Nov 24 10:00:00 web1 kernel: " + SEED.replace("57824", port))
            ports.append(json.loads(live.line())["source"]["port"])
        assert ports == [3333, 4444]
        _, err = live.stop()
    assert "Traceback" not in err


def test_follow_without_files_is_a_usage_error() -> None:
    result = ktcp("parse", "--follow")
    assert result.returncode == 2 and b"--follow needs FILEs" in result.stderr


def test_stdin_events_come_out_while_stdin_stays_open() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", "parse", "-", "-o", "ndjson"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        proc.stdin.write(SEED.encode())
        proc.stdin.flush()
        doc = json.loads(proc.stdout.readline())  # before EOF: `tail -f | ktcp parse -` works
        assert doc["source"]["ip"] == "202.106.38.7"
    finally:
        proc.stdin.close()
        proc.stdout.read()
        proc.wait(timeout=30)
    assert proc.returncode == 0


def test_the_same_content_under_rotated_names_keeps_its_ids(tmp_path: Path) -> None:
    # `ktcp ship /var/log/kern.log*` after a rotation must not store every event twice.
    names = [tmp_path / "kern.log", tmp_path / "kern.log.1"]
    for name in names:
        name.write_bytes(SAMPLE.read_bytes())
    packed = tmp_path / "kern.log.2.gz"
    packed.write_bytes(gzip.compress(SAMPLE.read_bytes()))
    runs = [
        [d["event"]["id"] for d in ndjson(ktcp("parse", str(p), "-o", "ndjson").stdout)]  # type: ignore[index]
        for p in (*names, packed)
    ]
    assert runs[0] and runs[0] == runs[1] == runs[2]
    assert len(set(runs[0])) == len(runs[0])  # identical lines at different offsets stay apart


def test_two_files_with_the_same_first_line_do_not_share_ids(tmp_path: Path) -> None:
    head = "Nov 24 00:00:01 web1 kernel: Linux version 6.1.0\n"
    a, b = tmp_path / "a.log", tmp_path / "b.log"
    a.write_text(head + "Nov 24 10:00:00 web1 kernel: " + SEED)
    b.write_text(head + "Nov 24 10:00:09 web1 kernel: " + SEED)
    ids_a = [d["event"]["id"] for d in ndjson(ktcp("parse", str(a), "-o", "ndjson").stdout)]  # type: ignore[index]
    ids_b = [d["event"]["id"] for d in ndjson(ktcp("parse", str(b), "-o", "ndjson").stdout)]  # type: ignore[index]
    assert len(ids_a) == len(ids_b) == 1
    assert ids_a != ids_b


def test_a_dead_letter_file_on_a_full_disk_is_a_clear_error_not_a_traceback(
    tmp_path: Path,
) -> None:
    source = tmp_path / "in.log"
    source.write_text(SEED + "TCP: a wording no kernel ever printed\n" * 300)
    result = ktcp("parse", str(source), "-o", "ndjson", "--dead-letter", "/dev/full")
    err = result.stderr.decode()
    assert "Traceback" not in err
    assert result.returncode == 1
    assert "cannot write the dead-letter file /dev/full: No space left on device" in err
    assert "300 records not kept" in err
    assert len(ndjson(result.stdout)) == 1  # the events still come out
