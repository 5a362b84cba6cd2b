"""SIGKILL the agent at random points under a steady input, five times and more: the set of
event ids in the real Elasticsearch node equals what `ktcp parse` gives for the same input."""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

pytestmark = pytest.mark.timeout(600)

KILLS = 6
LINES = 4000  # half of them TCP events
PER_SECOND = 200


def _offset(state: Path) -> int:
    """Where the saved position says the next run starts (0 when none is saved yet)."""
    try:
        files = orjson.loads((state / "file.json").read_bytes())["position"]["files"]
    except FileNotFoundError:
        return 0
    return max((entry["offset"] for entry in files.values()), default=0)


def test_sigkill_at_random_points_loses_nothing_and_resends_little(
    tmp_path: Path,
    es_templates: str,
    es_client: Any,
    data_stream: str,
    start_agent,
    steady_writer,
    expected_ids,
    ids_in,
) -> None:
    log = tmp_path / "kern.log"
    log.touch()
    state = tmp_path / "state"
    args = (
        "--source", "file", "--path", str(log), "--elasticsearch", es_templates,
        "--data-stream", data_stream, "--state-dir", str(state), "--http", "off", "--no-enrich",
    )  # fmt: skip
    rng = random.Random()
    writer = steady_writer(log, LINES, PER_SECOND)
    resent = 0
    for _ in range(KILLS):
        agent = start_agent(*args)
        agent.log_with("sink")  # "started": the loop runs
        time.sleep(rng.uniform(0.5, 4.0))  # a random point in the stream, not a readiness wait
        agent.kill()
        # What is in Elasticsearch beyond the saved position will be sent again.
        if es_client.indices.exists(index=data_stream):
            es_client.indices.refresh(index=data_stream)
            beyond = {"range": {"log.offset": {"gte": _offset(state)}}}
            resent += int(es_client.count(index=data_stream, query=beyond)["count"])
    assert writer.done.wait(LINES / PER_SECOND + 60), "the writer did not finish"

    want = expected_ids(log)
    assert len(want) == LINES // 2
    final = start_agent(*args)
    final.log_with("sink")
    deadline = time.monotonic() + 120
    while True:
        have = (
            ids_in(es_client, data_stream) if es_client.indices.exists(index=data_stream) else set()
        )
        if len(have) >= len(want) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert final.stop() == 0, final.logs
    have = ids_in(es_client, data_stream)
    assert have == want, f"{len(want - have)} missing, {len(have - want)} unexpected"
    summary = final.log_with("exit_status")
    print(
        f"\n{KILLS} SIGKILLs: {resent} of {len(want)} events sent again "
        f"({100 * resent / len(want):.1f}%); last run: {summary}"
    )
    # Each kill re-sends what Elasticsearch took but the agent had not yet seen confirmed:
    # about one bulk request's worth, far less than the whole input.
    assert resent < len(want)
