"""Session-wide fixtures. The Elasticsearch node starts only when a test asks for `es_node`.

With KTCP_TEST_ES_URL set, the tests use that cluster instead of starting one (tests that
must kill and restart a node then start a private one).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

TESTS = Path(__file__).resolve().parent
# The unpacked Elasticsearch distribution holds no tests; do not walk it.
collect_ignore_glob = ["elasticsearch/work/*", "elasticsearch/target/*"]


def _load(name: str, path: str) -> ModuleType:
    # Loaded by path: tests/elasticsearch must never be importable as `elasticsearch`, which
    # would shadow the client.
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, TESTS / path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


esnode = _load("ktcp_esnode", "elasticsearch/esnode.py")
journal_files = _load("ktcp_journal_files", "journal_files.py")


@dataclass
class EsTarget:
    url: str
    node: Any | None  # esnode.Node when the tests started it, None for KTCP_TEST_ES_URL


@pytest.fixture(scope="session")
def es_node() -> Iterator[EsTarget]:
    external = os.environ.get("KTCP_TEST_ES_URL")
    if external:
        yield EsTarget(external.rstrip("/"), None)
        return
    try:
        node = esnode.Node()
    except esnode.NodeError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        node.start()
    except esnode.NodeError as exc:
        node.remove()
        pytest.fail(str(exc), pytrace=False)
    try:
        yield EsTarget(node.url, node)
    finally:
        node.remove()
        left = node.alive_pids()
        assert not left, f"Elasticsearch processes left behind: {left}"


@pytest.fixture
def es_client(es_node: EsTarget) -> Iterator[Any]:
    from elasticsearch import Elasticsearch

    client = Elasticsearch(es_node.url, request_timeout=30, max_retries=0)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def data_stream() -> str:
    """A data stream of its own for each test (this node cannot delete data streams)."""
    return f"logs-kernel.tcp-t{uuid.uuid4().hex[:12]}"


def install_templates(url: str) -> None:
    """What `ktcp setup elasticsearch` installs, for tests that only need it done."""
    from pipeline.sinks.elasticsearch.capabilities import detect
    from pipeline.sinks.elasticsearch.connection import client, connection
    from pipeline.sinks.elasticsearch.install import install
    from pipeline.sinks.elasticsearch.templates import render

    es = client(connection(url))
    try:
        install(es, render(detect(es)))
    finally:
        es.close()


@pytest.fixture(scope="session")
def es_templates(es_node: EsTarget) -> str:
    """The node's URL, with ktcp's templates installed."""
    install_templates(es_node.url)
    return es_node.url


@pytest.fixture
def killable_node(es_node: EsTarget) -> Iterator[Any]:
    """A node this test may SIGKILL and restart: the session's, or (KTCP_TEST_ES_URL) its own."""
    if es_node.node is not None:
        yield es_node.node
        if not es_node.node.healthy():  # a test that failed mid-restart: give the rest a node
            es_node.node.stop()
            es_node.node.start()
        return
    node = esnode.Node()
    try:
        node.start()
        install_templates(node.url)
        yield node
    finally:
        node.remove()
        assert not node.alive_pids()


@pytest.fixture(scope="session")
def es_secure_node() -> Iterator[Any]:
    """A node of its own with security on and file-realm users `admin` and `reader`."""
    node = esnode.Node(secure=True)
    try:
        node.start()
    except esnode.NodeError as exc:
        node.remove()
        pytest.fail(str(exc), pytrace=False)
    try:
        yield node
    finally:
        node.remove()
        left = node.alive_pids()
        assert not left, f"Elasticsearch processes left behind: {left}"


@pytest.fixture
def journal(tmp_path: Path) -> Any:
    """An empty journal directory whose `append` writes real journal files."""
    binary = journal_files.journal_remote()
    if binary is None or shutil.which("journalctl") is None:
        reason = "needs journalctl and systemd-journal-remote (apt-get install it)"
        if os.environ.get("KTCP_REQUIRE_TOOLS"):  # CI installs them: missing is a failure there
            pytest.fail(reason)
        pytest.skip(reason)
    return journal_files.Journal(tmp_path / "journal", binary)
