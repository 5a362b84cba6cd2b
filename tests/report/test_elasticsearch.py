"""`ktcp report --elasticsearch URL --since 7d` against a real node: the shipped corpus gives
the same report as the file it was shipped from."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from ktcp_report_helpers import (  # type: ignore[import-not-found]
    CORPUS_EVENTS,
    ktcp,
    write_corpus,
)

from pipeline.report.sources import Collector, read_elasticsearch

pytestmark = pytest.mark.timeout(600)
Run = Callable[..., dict[str, Any]]


def test_the_data_stream_gives_the_same_report_as_the_shipped_file(
    es_templates: str, es_client: Any, data_stream: str, tmp_path: Path, run_report: Run
) -> None:
    path = tmp_path / "kern.log"
    t0 = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=2)
    write_corpus(path, t0)
    shipped = ktcp("ship", "--elasticsearch", es_templates, "--data-stream", data_stream, str(path))
    assert shipped.returncode == 0, shipped.stderr.decode()
    es_client.indices.refresh(index=data_stream)  # searchable now, not at the next refresh

    es = ("--elasticsearch", es_templates, "--data-stream", data_stream)
    from_es = run_report(*es, "--since", "7d")
    from_file = run_report(str(path))
    assert from_es["inputs"]["documents"] == from_es["inputs"]["events"] == CORPUS_EVENTS
    for key in ("events_by_action", "timeline", "top", "window_shrink", "findings"):
        assert from_es[key] == from_file[key], key
    assert from_es["inputs"]["sources"] == [f"{es_templates} {data_stream}"]

    # paging: a page far smaller than the stream still reads every document exactly once
    collector = Collector()
    read_elasticsearch(es_client, data_stream, t0 - timedelta(days=1), collector, page=7)
    assert len(collector.rows) == collector.documents == CORPUS_EVENTS
    assert collector.duplicates == 0

    # --since is applied by the cluster: nothing in the last day
    recent = run_report(*es, "--since", "1d")
    assert recent["inputs"]["events"] == 0 and recent["findings"][0]["id"] == "window-shrink-absent"


def test_a_missing_data_stream_is_an_error_that_says_what_to_do(es_node: Any) -> None:
    done = ktcp("report", "--elasticsearch", es_node.url, "--data-stream", "logs-kernel.tcp-none")
    assert done.returncode == 1
    assert b"no data stream 'logs-kernel.tcp-none'" in done.stderr
    assert b"ktcp ship --elasticsearch" in done.stderr


def test_an_unreachable_cluster_is_an_error_not_an_empty_report() -> None:
    done = ktcp("report", "--elasticsearch", "http://127.0.0.1:9")
    assert done.returncode == 1
    assert b"cannot reach Elasticsearch" in done.stderr
