"""The agent's /healthz, /readyz and /metrics answer, and the metrics count what was delivered."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

SYN = (
    "Dec  1 02:00:00 node1 kernel: [ 9.{n:06d}] TCP: request_sock_TCP: Possible SYN flooding "
    "on port {n}. Sending cookies.  Check SNMP counters.\n"
)
NOISE = "Dec  1 02:00:00 node1 kernel: [ 9.000001] usb 1-1: new high-speed USB device\n"
UNMATCHED = "Dec  1 02:00:00 node1 kernel: [ 9.000002] TCP: a wording no catalog entry knows\n"


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_health_ready_and_metrics_match_the_delivery(tmp_path: Path, start_agent) -> None:
    log = tmp_path / "kern.log"
    with log.open("w") as out:
        for n in range(40):
            out.write(SYN.format(n=n))
            out.write(NOISE)
        out.write(UNMATCHED)
    agent = start_agent(
        "--source", "file", "--path", str(log), "--stdout",
        "--state-dir", str(tmp_path / "state"), "--http", "127.0.0.1:0",
    )  # fmt: skip
    base = agent.http
    agent.wait_docs(40)
    assert _get(base + "/healthz") == (200, "ok\n")
    assert _get(base + "/readyz") == (200, "ok\n")

    want = {
        ("ktcp_lines_read_total", (("source", "file"),)): 81.0,
        ("ktcp_events_total", (("family", "tcp-syn-flood"),)): 40.0,
        ("ktcp_delivered_total", (("outcome", "created"),)): 40.0,
        ("ktcp_dead_lettered_total", (("kind", "unmatched"),)): 1.0,
    }
    deadline = time.monotonic() + 30
    while True:
        status, text = _get(base + "/metrics")
        assert status == 200
        samples = _samples(text)
        got = {key: samples.get(key) for key in want}
        if got == want or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert got == want
    assert ("ktcp_source_lag_seconds", (("source", "file"),)) in samples
    assert ("ktcp_kmsg_lost_records_total", ()) in samples
    assert ("ktcp_spool_bytes", ()) in samples
    assert ("ktcp_retried_total", ()) in samples
    assert _get(base + "/nothing")[0] == 404
    assert agent.stop() == 0
    assert agent.log_with("exit_status")["events"] == 40
