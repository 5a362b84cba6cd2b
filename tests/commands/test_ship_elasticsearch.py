"""`ktcp ship --elasticsearch`, run as a user runs it, against a real Elasticsearch node."""

from __future__ import annotations

import ipaddress
import json
import os
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "samples" / "kern.log"
SEED = ROOT / "tests" / "data" / "elasticsearch" / "seed.log"
# The lead's sample when it exists; until then the seed lines in dmesg/syslog envelopes.
INPUT = SAMPLE if SAMPLE.exists() else SEED
KTCP = shutil.which("ktcp") or "ktcp"
LARGE_EVENTS = 60_000  # enough for a ship to be caught mid-way by a node kill
SHIP_TIMEOUT_SECS = 240

pytestmark = pytest.mark.timeout(300)


def ktcp(*args: str, timeout: float = SHIP_TIMEOUT_SECS) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [KTCP, *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def ship(url: str, stream: str, path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return ktcp("ship", "--elasticsearch", url, "--data-stream", stream, str(path), *extra)


def parsed(path: Path) -> list[dict[str, Any]]:
    """The documents `ktcp parse` makes of `path`: what shipping must deliver."""
    done = ktcp("parse", "--output", "ndjson", str(path))
    assert done.returncode == 0, done.stderr
    return [orjson.loads(line) for line in done.stdout.splitlines()]


def delivery(stderr: str) -> dict[str, int]:
    match = re.search(
        r"delivery: created ([\d,]+), already there ([\d,]+), rejected ([\d,]+), "
        r"not delivered ([\d,]+)",
        stderr,
    )
    assert match, stderr
    keys = ("created", "already_there", "rejected", "not_delivered")
    return {k: int(v.replace(",", "")) for k, v in zip(keys, match.groups(), strict=True)}


def count(es: Any, index: str) -> int:
    es.indices.refresh(index=index)
    return int(es.count(index=index)["count"])


def large_log(tmp_path: Path, events_wanted: int) -> tuple[Path, int]:
    """INPUT repeated until it holds about `events_wanted` events (distinct by offset)."""
    per_copy = len(parsed(INPUT))
    copies = max(1, events_wanted // per_copy)
    path = tmp_path / "large-kern.log"
    data = INPUT.read_bytes()
    with path.open("wb") as out:
        for _ in range(copies):
            out.write(data)
    return path, per_copy * copies


def test_ship_indexes_every_event_and_a_second_ship_adds_nothing(
    es_templates: str, es_client: Any, data_stream: str
) -> None:
    expected = len(parsed(INPUT))
    first = ship(es_templates, data_stream, INPUT)
    assert first.returncode == 0, first.stderr
    assert delivery(first.stderr) == {
        "created": expected,
        "already_there": 0,
        "rejected": 0,
        "not_delivered": 0,
    }
    assert count(es_client, data_stream) == expected
    assert "warning" not in first.stderr

    again = ship(es_templates, data_stream, INPUT)
    assert again.returncode == 0, again.stderr
    assert delivery(again.stderr)["already_there"] == expected
    assert delivery(again.stderr)["created"] == 0
    assert count(es_client, data_stream) == expected


def test_source_ip_is_an_ip_and_a_cidr_query_finds_the_china_unicom_peers(
    es_templates: str, es_client: Any, data_stream: str
) -> None:
    unicom = ipaddress.ip_network("202.106.0.0/16")
    docs = parsed(INPUT)
    expected = sorted(
        d["event"]["id"]
        for d in docs
        if "ip" in d.get("source", {}) and ipaddress.ip_address(d["source"]["ip"]) in unicom
    )
    assert expected, "the input must hold peers in 202.106.0.0/16"
    done = ship(es_templates, data_stream, INPUT)
    assert done.returncode == 0, done.stderr

    mapping = es_client.indices.get_field_mapping(index=data_stream, fields="source.ip")
    assert [m["mappings"]["source.ip"]["mapping"]["ip"]["type"] for m in mapping.values()] == ["ip"]
    es_client.indices.refresh(index=data_stream)
    found = es_client.search(
        index=data_stream,
        query={"term": {"source.ip": "202.106.0.0/16"}},
        size=10_000,
        source=["source.ip", "ktcp.isp.name"],
    )
    hits = found["hits"]["hits"]
    assert sorted(h["_id"] for h in hits) == expected
    assert {ipaddress.ip_address(h["_source"]["source"]["ip"]) in unicom for h in hits} == {True}
    assert {h["_source"]["ktcp"]["isp"]["name"] for h in hits} == {"China Unicom"}
    # ... and the enrichment's ISP name is a keyword to filter on, alongside the CIDR.
    both = es_client.count(
        index=data_stream,
        query={
            "bool": {
                "filter": [
                    {"term": {"source.ip": "202.106.0.0/16"}},
                    {"term": {"ktcp.isp.name": "China Unicom"}},
                ]
            }
        },
    )
    assert both["count"] == len(expected)


def test_lines_read_by_the_fallback_are_indexed_and_their_new_fields_can_be_queried(
    es_templates: str, es_client: Any, data_stream: str
) -> None:
    pasted = ROOT / "tests" / "data" / "fallback" / "prefixes.log"
    expected = parsed(pasted)
    done = ship(es_templates, data_stream, pasted)
    assert done.returncode == 0, done.stderr
    assert delivery(done.stderr)["created"] == len(expected)
    assert delivery(done.stderr)["rejected"] == 0
    es_client.indices.refresh(index=data_stream)
    truncated = es_client.count(index=data_stream, query={"term": {"ktcp.truncated": True}})
    assert truncated["count"] == sum(1 for d in expected if d["ktcp"].get("truncated"))
    repeated = es_client.search(
        index=data_stream, query={"range": {"ktcp.repeat.count": {"gte": 2}}}, size=100
    )["hits"]["hits"]
    assert sorted(h["_source"]["ktcp"]["repeat"]["count"] for h in repeated) == [3, 5]
    prefixed = es_client.count(
        index=data_stream, query={"term": {"ktcp.envelope": "unknown-prefix"}}
    )
    unknown = [d for d in expected if d["ktcp"]["envelope"] == "unknown-prefix"]
    assert prefixed["count"] == len(unknown) > 0


def test_shipping_where_no_template_applies_warns_that_addresses_will_not_be_ips(
    es_templates: str, es_client: Any, tmp_path: Path
) -> None:
    target = f"ktcp-untemplated-{tmp_path.name.lower()[-12:]}"
    done = ship(es_templates, target, INPUT)
    assert done.returncode == 0, done.stderr  # shipped all the same
    assert f"warning: {target} does not map source.ip, not as ip" in done.stderr
    assert "run `ktcp setup elasticsearch` first" in done.stderr
    again = ship(es_templates, target, INPUT)  # now the index exists, with guessed types
    assert f"warning: {target} maps source.ip as text, not as ip" in again.stderr


def test_a_node_killed_mid_ship_and_restarted_loses_and_duplicates_nothing(
    killable_node: Any, data_stream: str, tmp_path: Path
) -> None:
    from elasticsearch import Elasticsearch

    node = killable_node
    path, expected = large_log(tmp_path, LARGE_EVENTS)
    errors = tmp_path / "ship.stderr"
    es_client = Elasticsearch(node.url, request_timeout=30, max_retries=0)
    try:
        with errors.open("w") as stderr_file:
            proc = subprocess.Popen(
                [
                    KTCP,
                    "ship",
                    "--elasticsearch",
                    node.url,
                    "--data-stream",
                    data_stream,
                    "--deadline-secs",
                    "120",
                    str(path),
                ],
                stdout=subprocess.DEVNULL,
                stderr=stderr_file,
            )
        try:
            # Wait until a good part, but not all, is in; then crash the JVM.
            so_far = 0
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and proc.poll() is None:
                if es_client.indices.exists(index=data_stream):
                    so_far = count(es_client, data_stream)
                if so_far >= expected // 6:
                    break
                time.sleep(0.3)
            assert proc.poll() is None, "the ship finished before the node could be killed"
            assert 0 < so_far < expected
            node.kill()
            # Restart only once the ship has met the dead port and says it is retrying.
            deadline = time.monotonic() + 120
            while "retrying" not in errors.read_text() and time.monotonic() < deadline:
                assert proc.poll() is None, "the ship gave up instead of retrying"
                time.sleep(0.1)  # polling the ship's stderr file, not waiting for time to pass
            node.start()
            proc.wait(SHIP_TIMEOUT_SECS)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
        stderr = errors.read_text()
        assert proc.returncode == 0, stderr
        result = delivery(stderr)
        assert result["created"] + result["already_there"] == expected
        assert result["rejected"] == result["not_delivered"] == 0
        assert "retrying" in stderr and "again" in stderr
        assert count(es_client, data_stream) == expected
        # One backing index, so _id (= event.id) uniqueness rules out duplicates.
        streams = es_client.indices.resolve_index(name=data_stream)["data_streams"]
        assert len(streams[0]["backing_indices"]) == 1
    finally:
        es_client.close()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_node_down_for_the_whole_deadline_leaves_every_event_not_delivered(
    tmp_path: Path,
) -> None:
    expected = len(parsed(INPUT))
    url = f"http://127.0.0.1:{_closed_port()}"
    done = ktcp(  # its timeout is far below the default deadline: --deadline-secs is obeyed
        "ship",
        "--elasticsearch",
        url,
        "--deadline-secs",
        "3",
        "--api-key",
        "S3CRET-KEY",
        str(INPUT),
    )
    assert done.returncode == 1
    assert delivery(done.stderr) == {
        "created": 0,
        "already_there": 0,
        "rejected": 0,
        "not_delivered": expected,
    }
    assert f"giving up on Elasticsearch at {url}" in done.stderr
    assert "connection refused" in done.stderr
    assert "S3CRET-KEY" not in done.stderr + done.stdout


def ship_as(node: Any, user: str, password: str, stream: str) -> subprocess.CompletedProcess[str]:
    # the password through the environment, as the README recommends
    return subprocess.run(
        [KTCP, "ship", "--elasticsearch", node.url, "--data-stream", stream, str(INPUT)],
        capture_output=True,
        text=True,
        timeout=SHIP_TIMEOUT_SECS,
        env={**os.environ, "KTCP_ES_USER": user, "KTCP_ES_PASSWORD": password},
        check=False,
    )


def test_a_secured_cluster_takes_the_right_credentials_and_never_sees_them_printed(
    es_secure_node: Any, data_stream: str
) -> None:
    expected = len(parsed(INPUT))
    admin = es_secure_node.users["admin"]
    done = ship_as(es_secure_node, "admin", admin, data_stream)
    assert done.returncode == 0, done.stderr
    assert delivery(done.stderr)["created"] == expected

    in_url = es_secure_node.url.replace("http://", f"http://admin:{admin}@")
    again = ship(in_url, data_stream, INPUT)
    assert again.returncode == 0, again.stderr
    assert delivery(again.stderr)["already_there"] == expected
    for output in (done.stdout, done.stderr, again.stdout, again.stderr):
        assert admin not in output


def test_wrong_credentials_stop_the_ship_with_everything_not_delivered(
    es_secure_node: Any, data_stream: str
) -> None:
    expected = len(parsed(INPUT))
    done = ship_as(es_secure_node, "admin", "Wrong-Pa55word", data_stream)
    assert done.returncode == 1
    assert "the credentials were not accepted" in done.stderr
    assert delivery(done.stderr)["not_delivered"] == expected
    assert "Wrong-Pa55word" not in done.stderr + done.stdout


def test_a_user_who_may_not_write_gets_a_privilege_hint_not_dead_letters(
    es_secure_node: Any, data_stream: str, tmp_path: Path
) -> None:
    expected = len(parsed(INPUT))
    reader = es_secure_node.users["reader"]
    done = ship_as(es_secure_node, "reader", reader, data_stream)
    assert done.returncode == 1
    assert f"these credentials may not write to {data_stream}" in done.stderr
    assert delivery(done.stderr) == {
        "created": 0,
        "already_there": 0,
        "rejected": 0,
        "not_delivered": expected,
    }
    assert reader not in done.stderr + done.stdout


def test_a_document_the_mapping_rejects_goes_to_the_dead_letter_file_with_the_reason(
    es_templates: str, es_client: Any, tmp_path: Path
) -> None:
    # A test-only index whose mapping types ktcp.window.snd_una as a 32-bit integer: sequence
    # numbers above 2^31-1 are refused by Elasticsearch, the others go in.
    index = f"ktcp-test-rejects-{tmp_path.name.lower()[-20:]}"
    mappings = es_client.cluster.get_component_template(name="ktcp@mappings")[
        "component_templates"
    ][0]["component_template"]["template"]["mappings"]
    mappings["properties"]["ktcp"]["properties"]["window"]["properties"]["snd_una"] = {
        "type": "integer"
    }
    es_client.indices.create(index=index, mappings=mappings)
    docs = parsed(INPUT)
    too_big = sorted(
        d["event"]["id"]
        for d in docs
        if d.get("ktcp", {}).get("window", {}).get("snd_una", 0) > 2**31 - 1
    )
    assert too_big and len(too_big) < len(docs)
    letters = tmp_path / "dead.jsonl"

    done = ship(es_templates, index, INPUT, "--dead-letter", str(letters))

    assert done.returncode == 1
    result = delivery(done.stderr)
    assert result["rejected"] == len(too_big)
    assert result["created"] == len(docs) - len(too_big)
    assert result["not_delivered"] == 0
    rejected = [
        r for r in map(json.loads, letters.read_text().splitlines()) if r["kind"] == "rejected"
    ]
    assert sorted(r["document"]["event"]["id"] for r in rejected) == too_big
    for record in rejected:
        assert "failed to parse field [ktcp.window.snd_una] of type [integer]" in record["reason"]
        assert "out of range" in record["reason"]
    assert count(es_client, index) == len(docs) - len(too_big)
