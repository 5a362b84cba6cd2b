"""The Elasticsearch a benchmark ships to: the URL given, or a test node started (and removed)
for the run; ktcp's templates installed either way."""

from __future__ import annotations

import importlib.util
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def load_esnode() -> Any:
    """tests/elasticsearch/esnode.py, loaded by path (it must not shadow the client package)."""
    spec = importlib.util.spec_from_file_location(
        "ktcp_esnode", ROOT / "tests/elasticsearch/esnode.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@contextmanager
def elasticsearch_with_templates(url: str | None) -> Iterator[str]:
    """Yield a URL whose cluster has ktcp's templates; a node started here is removed after."""
    from pipeline.sinks.elasticsearch.capabilities import detect
    from pipeline.sinks.elasticsearch.connection import client, connection
    from pipeline.sinks.elasticsearch.install import install
    from pipeline.sinks.elasticsearch.templates import render

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # still stop the node
    node = None
    if not url:
        node = load_esnode().Node()
        node.start()
        url = node.url
    try:
        es = client(connection(url))
        install(es, render(detect(es)))
        es.close()
        yield url
    finally:
        if node is not None:
            node.remove()
