"""ElasticsearchSink in-process: both bulk helpers account for every document."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from pipeline.chain import Chain
from pipeline.drivers.inputs import read_input
from pipeline.ecs import to_document
from pipeline.events import Event
from pipeline.settings import ParseSettings
from pipeline.sinks.base import Document
from pipeline.sinks.elasticsearch import BulkHelper, open_sink

SEED = Path(__file__).resolve().parents[2] / "data" / "elasticsearch" / "seed.log"


def documents() -> list[Document]:
    chain = Chain(ParseSettings(timezone="UTC"))
    return [to_document(e) for e in read_input(chain, str(SEED)) if isinstance(e, Event)]


@pytest.mark.parametrize("helper", list(BulkHelper))
def test_both_helpers_create_then_find_everything_already_there(
    helper: BulkHelper, es_templates: str, es_client: Any, data_stream: str
) -> None:
    docs = documents()
    for expected in ("created", "already_there"):
        sink = open_sink(url=es_templates, data_stream=data_stream, helper=helper, chunk_docs=2)
        for doc in docs:
            sink.send([doc])
        delivery = sink.close()
        assert getattr(delivery, expected) == len(docs) == delivery.total
    es_client.indices.refresh(index=data_stream)
    assert es_client.count(index=data_stream)["count"] == len(docs)


def test_rejections_reach_the_handler_on_the_callers_thread(
    es_templates: str, es_client: Any, tmp_path: Path
) -> None:
    index = f"ktcp-test-sink-rejects-{tmp_path.name.lower()[-12:]}"
    es_client.indices.create(
        index=index, mappings={"properties": {"source": {"properties": {"port": {"type": "byte"}}}}}
    )
    seen: list[tuple[str, str, int]] = []
    sink = open_sink(
        url=es_templates,
        data_stream=index,
        on_reject=lambda doc, reason: seen.append(
            (doc["event"]["id"], reason, threading.get_ident())
        ),
    )
    docs = documents()
    sink.send(docs)
    delivery = sink.close()
    assert delivery.rejected == len(docs) == len(seen)  # every peer port is above 127
    assert {t for _, _, t in seen} == {threading.get_ident()}
    assert all("failed to parse field [source.port] of type [byte]" in r for _, r, _ in seen)


def test_an_unreachable_node_is_given_up_after_the_deadline() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    said: list[str] = []
    from pipeline.sinks.elasticsearch.bulk import ElasticsearchSink
    from pipeline.sinks.elasticsearch.connection import client, connection

    conn = connection(f"http://127.0.0.1:{port}")
    sink = ElasticsearchSink(client(conn), conn.url, deadline_secs=2, say=said.append)
    started = time.monotonic()
    docs = documents()
    sink.send(docs)
    sink.send(docs)  # after giving up, later documents are counted at once
    delivery = sink.close()
    assert time.monotonic() - started >= 2  # it kept trying for the whole deadline (no upper
    # bound: how long giving up takes on a loaded machine is not behaviour)
    assert delivery.not_delivered == 2 * len(docs) == delivery.total
    assert said[0].startswith(f"Elasticsearch at http://127.0.0.1:{port} is not taking documents")
    assert said[-1].startswith(f"giving up on Elasticsearch at http://127.0.0.1:{port}")


def test_a_stop_request_ends_the_retries_at_once_and_counts_the_rest() -> None:
    # Ctrl-C while Elasticsearch is down: the command asks the sink to stop; it must not keep
    # retrying until the deadline (300 s by default) before the run can end.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    said: list[str] = []
    from pipeline.sinks.elasticsearch.bulk import ElasticsearchSink
    from pipeline.sinks.elasticsearch.connection import client, connection

    conn = connection(f"http://127.0.0.1:{port}")
    stop = threading.Event()
    sink = ElasticsearchSink(
        client(conn), conn.url, deadline_secs=3600, say=said.append, stop=stop
    )
    docs = documents()
    sink.send(docs)
    stop.set()
    done = threading.Event()
    closer = threading.Thread(target=lambda: (sink.close(), done.set()), daemon=True)
    closer.start()
    assert done.wait(60), "close() kept retrying after the stop request"
    assert sink.delivery.not_delivered == len(docs) == sink.delivery.total
    assert any("asked to stop" in line for line in said)
