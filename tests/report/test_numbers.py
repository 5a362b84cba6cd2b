"""`ktcp report` numbers, exactly, on the bundled sample and on a corpus of known shape."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ktcp_report_helpers import (  # type: ignore[import-not-found]
    CORPUS_EVENTS,
    CORPUS_LINES,
    GOOGLE,
    SAMPLE,
    TELECOM,
    UNICOM_BB,
    UNICOM_BJ_1,
    UNICOM_BJ_2,
    ktcp,
    parsed_documents,
)

Run = Callable[..., dict[str, Any]]


def _top(report: dict[str, Any], name: str) -> list[tuple[str, str, int]]:
    return [(e["key"], e["label"], e["count"]) for e in report["top"][name]]


def test_sample_numbers_are_exact(run_report: Run) -> None:
    r = run_report(str(SAMPLE))
    inputs = r["inputs"]
    assert (inputs["lines"], inputs["events"], inputs["non_tcp_lines"]) == (57, 32, 23)
    assert inputs["unmatched_lines"] == 2 and inputs["invalid_lines"] == 0
    assert r["events_by_action"] == {
        "tcp-window-shrink": 10,
        "tcp-syn-flood": 4,
        "tcp-boot-info": 4,
        "tcp-orphan-sockets": 2,
        "tcp-kernel-bug": 2,
        "conntrack-table-full": 2,
        "kernel-ratelimit-suppressed": 2,
        "tcp-memory-pressure": 1,
        "tcp-drop-open-request": 1,
        "tcp-window-scale-invalid": 1,
        "tcp-md5": 1,
        "tcp-gro-suspect": 1,
        "socket-api-notice": 1,
    }
    # every family of the log is on the timeline, with its count
    assert {s["action"]: s["total"] for s in r["timeline"]["families"]} == r["events_by_action"]
    assert _top(r, "isps")[:2] == [
        ("China Unicom", "AS4808, AS4837", 6),
        ("China Telecom", "AS4134", 2),
    ]
    assert _top(r, "peers")[0] == ("202.106.38.7", "China Unicom AS4808", 3)
    assert _top(r, "local_ports")[:2] == [("80", "", 7), ("443", "", 4)]
    ws = r["window_shrink"]
    assert (ws["events"], ws["peers"], len(ws["episodes"])) == (10, 8, 8)
    assert (ws["probe_events"], ws["in_flight_events"]) == (4, 6)
    assert ws["bytes_outstanding"] == {"min": 1, "median": 13.5, "max": 12544}
    first = ws["episodes"][0]
    assert (first["peer"], first["events"], first["probe_events"]) == ("202.106.38.7", 3, 3)
    findings = {f["id"]: f for f in r["findings"]}
    assert findings["window-shrink-concentration"]["statement"] == (
        "50% of window-shrink events come from China Unicom (AS4808, AS4837); 7 peers account "
        "for 90%; on local ports 22, 80, 443 and 8080."
    )
    assert findings["ratelimit-suppressed"]["evidence"]["facts"]["suppressed"] == 981 + 3939
    assert findings["syn-flood"]["evidence"]["facts"] == {
        "events": 4,
        "listeners": 4,
        "cookies_events": 3,
        "drop_events": 1,
        "local_ports": "80, 443, 8443",
    }
    # inventory at boot is counted, but is no finding
    assert not [f for f in r["findings"] if "tcp-boot-info" in f["actions"]]


def test_corpus_numbers_match_its_known_structure(run_report: Run, corpus: Path) -> None:
    r = run_report(str(corpus))
    assert (r["inputs"]["lines"], r["inputs"]["events"]) == (CORPUS_LINES, CORPUS_EVENTS)
    assert r["events_by_action"] == {
        "tcp-window-shrink": 102,
        "conntrack-table-full": 4,
        "tcp-syn-flood": 3,
    }
    # span 5 h 3 min: 15-minute buckets are the smallest giving fewer than 60
    assert r["timeline"]["bucket_secs"] == 900
    assert r["timeline"]["start"] == "2026-11-20T00:00:00Z"
    shrink = next(s for s in r["timeline"]["families"] if s["action"] == "tcp-window-shrink")
    assert len(shrink["counts"]) == 21 and sum(shrink["counts"]) == 102
    assert shrink["counts"][:3] == [30, 10, 25]  # 40 events at 30 s split 30/10; U2 in bucket 2
    assert _top(r, "peers") == [
        (UNICOM_BJ_1, "China Unicom AS4808", 60),
        (UNICOM_BJ_2, "China Unicom AS4808", 25),
        (UNICOM_BB, "China Unicom AS4837", 10),
        (TELECOM, "China Telecom AS4134", 5),
        (GOOGLE, "Google LLC AS15169", 2),
    ]
    assert _top(r, "isps") == [
        ("China Unicom", "AS4808, AS4837", 95),
        ("China Telecom", "AS4134", 5),
        ("Google LLC", "AS15169", 2),  # not a canonical ISP: grouped by AS organisation
    ]
    assert [(e["key"], e["count"]) for e in r["top"]["as_numbers"]] == [
        ("AS4808", 85),
        ("AS4837", 10),
        ("AS4134", 5),
        ("AS15169", 2),
    ]
    assert [(e["key"], e["count"]) for e in r["top"]["countries"]] == [("CN", 100), ("US", 2)]
    ws = r["window_shrink"]
    assert (ws["events"], ws["peers"], ws["probe_events"], ws["in_flight_events"]) == (
        102, 5, 87, 15,
    )  # fmt: skip
    episodes = [
        (e["peer"], e["start"], e["end"], e["events"], e["probe_events"], e["connections"])
        for e in ws["episodes"]
    ]
    assert episodes == [  # longest first
        (UNICOM_BJ_1, "2026-11-20T00:00:00Z", "2026-11-20T00:19:30Z", 40, 40, 1),
        (UNICOM_BJ_1, "2026-11-20T02:00:00Z", "2026-11-20T02:19:00Z", 20, 20, 1),
        (UNICOM_BB, "2026-11-20T04:00:00Z", "2026-11-20T04:15:00Z", 10, 10, 1),
        (UNICOM_BJ_2, "2026-11-20T00:30:00Z", "2026-11-20T00:34:00Z", 25, 15, 1),
        (GOOGLE, "2026-11-20T05:00:00Z", "2026-11-20T05:03:20Z", 2, 2, 1),
        (TELECOM, "2026-11-20T01:00:00Z", "2026-11-20T01:01:20Z", 5, 0, 1),
    ]
    u2 = ws["episodes"][3]["bytes_outstanding"]
    assert u2 == {"min": 1, "median": 1.0, "max": 2920}
    findings = {f["id"]: f for f in r["findings"]}
    concentration = findings["window-shrink-concentration"]
    assert concentration["statement"] == (
        "93% of window-shrink events come from China Unicom (AS4808, AS4837); 3 peers account "
        "for 93%; all on local port 80."
    )
    causes = {
        c["cause"].split(" (")[0].split(",")[0]: c["assessment"] for c in concentration["causes"]
    }
    assert causes == {
        "a slow": "consistent",  # every episode is one connection
        "a middlebox": "consistent",  # 93% from one network, 5 peers
        "an attack holding connections open at zero windows": "not-supported",
        "bandwidth saturation or ISP throttling": "not-supported",
    }
    assert findings["window-shrink-probes"]["statement"].startswith(
        "87 of 102 window-shrink events (85%) had exactly one byte outstanding"
    )


def test_a_shorter_episode_gap_splits_episodes(run_report: Run, corpus: Path) -> None:
    # U3's events are 100 s apart, U1's second episode 60 s: a 90 s gap splits U3 into 10
    r = run_report(str(corpus), "--episode-gap", "90")
    peers = [e["peer"] for e in r["window_shrink"]["episodes"]]
    assert peers.count(UNICOM_BB) == 10 and peers.count(UNICOM_BJ_1) == 2


def _without_ids(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Findings less the ids they cite (stdin has no file position, so other event.ids)."""
    return [{**f, "evidence": {**f["evidence"], "event_ids": None}} for f in findings]


def _same_numbers(a: dict[str, Any], b: dict[str, Any]) -> None:
    for key in ("events_by_action", "timeline", "top", "window_shrink"):
        assert a[key] == b[key], key
    assert _without_ids(a["findings"]) == _without_ids(b["findings"])


def test_ndjson_from_parse_and_stdin_give_the_same_report(
    run_report: Run, corpus: Path, tmp_path: Path
) -> None:
    from_log = run_report(str(corpus))
    ndjson = tmp_path / "events.ndjson"
    ndjson.write_text("".join(json.dumps(d) + "\n" for d in parsed_documents(corpus)))
    from_ndjson = run_report(str(ndjson))
    _same_numbers(from_log, from_ndjson)
    assert from_ndjson["inputs"]["documents"] == CORPUS_EVENTS
    assert from_ndjson["inputs"]["sources"] == [f"{ndjson} (documents)"]
    from_stdin = run_report("-", stdin=corpus.read_bytes())
    _same_numbers(from_log, from_stdin)


def test_the_same_events_twice_are_counted_once_and_bad_lines_are_reported(
    run_report: Run, corpus: Path, tmp_path: Path
) -> None:
    docs = parsed_documents(corpus)
    ndjson = tmp_path / "events.ndjson"
    lines = [json.dumps(d) for d in docs]
    lines[5:5] = ["{not json", json.dumps({"message": "x", "event": {"dataset": "other"}})]
    ndjson.write_text("\n".join(lines) + "\n")
    r = run_report(str(ndjson), str(ndjson))
    assert r["inputs"]["events"] == CORPUS_EVENTS
    assert r["inputs"]["duplicates"] == CORPUS_EVENTS
    assert r["inputs"]["skipped_documents"] == {
        "not JSON": 2,
        "not a ktcp event (event.dataset is not 'kernel.tcp')": 2,
    }
    _same_numbers(r, run_report(str(corpus)))


def test_since_leaves_older_events_out_and_says_how_many(run_report: Run, corpus: Path) -> None:
    r = run_report(str(corpus), "--since", "2026-11-20T04:00:00Z")
    # U3 (10 from 04:00) and GOOGLE (2 from 05:00) remain
    assert r["events_by_action"] == {"tcp-window-shrink": 12}
    assert r["inputs"]["before_since"] == CORPUS_EVENTS - 12
    assert r["inputs"]["since"] == "2026-11-20T04:00:00Z"


def test_usage_errors_and_unreadable_inputs_say_what_to_do(corpus: Path, tmp_path: Path) -> None:
    bad_since = ktcp("report", str(corpus), "--since", "last tuesday")
    assert bad_since.returncode == 2
    assert b"give a duration such as 7d" in bad_since.stderr
    both = ktcp("report", str(corpus), "--elasticsearch", "http://127.0.0.1:9")
    assert both.returncode == 2 and b"not both" in both.stderr
    missing = ktcp("report", "--json", str(corpus), str(tmp_path / "nope.log"))
    assert missing.returncode == 1
    assert b"nope.log" in missing.stderr
    # the readable input is still reported
    assert json.loads(missing.stdout)["inputs"]["events"] == CORPUS_EVENTS


def test_terminal_report_answers_in_plain_words(corpus: Path) -> None:
    done = ktcp("report", str(corpus))
    assert done.returncode == 0, done.stderr
    text = done.stdout.decode()
    assert "93% of window-shrink events come from China Unicom (AS4808, AS4837)" in text
    assert "RFC 1122 §4.2.2.16" in text and "RFC 9293 §3.8.6" in text
    assert "TcpExtTCPWinProbe" in text and f"ss -tino dst {UNICOM_BJ_1}" in text
    assert "bandwidth saturation or ISP throttling" in text and "not-supported" in text
    # one sparkline row per family, as wide as the timeline
    row = next(line for line in text.splitlines() if "tcp-window-shrink" in line and "│" in line)
    assert "█" in row
