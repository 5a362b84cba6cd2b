"""Fixtures of the Fluentd sink tests: a forward-protocol receiver and real ECS documents."""

from __future__ import annotations

import importlib.util
import socket
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pipeline.chain import Chain
from pipeline.ecs import to_document
from pipeline.events import Event
from pipeline.settings import ParseSettings

HERE = Path(__file__).parent
KERN_LOG = HERE.parent.parent / "data" / "fluentd" / "kern.log"


def _load(name: str, file: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, HERE / file)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


receiver_module = _load("fluentd_receiver", "receiver.py")
ForwardReceiver = receiver_module.ForwardReceiver
certs = _load("fluentd_test_certs", "certs.py")


def documents(copies: int) -> list[dict[str, Any]]:
    """ECS documents of kern.log read `copies` times as stdin (distinct ids: identity rule 3)."""
    chain = Chain(ParseSettings(timezone="UTC", year=2026))
    data = KERN_LOG.read_bytes() * copies
    return [to_document(o) for o in chain.scan_block(data) if isinstance(o, Event)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def receiver() -> Iterator[Any]:
    made: list[Any] = []

    def make(**kwargs: Any) -> Any:
        r = ForwardReceiver(**kwargs)
        made.append(r)
        return r

    yield make
    for r in made:
        r.stop()


@pytest.fixture
def make_docs() -> Callable[[int], list[dict[str, Any]]]:
    return documents


@pytest.fixture
def unused_port() -> Callable[[], int]:
    return free_port


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A CA, a server certificate for localhost/127.0.0.1, one for another name, one from a CA
    nobody trusts, and a client certificate."""
    directory = tmp_path_factory.mktemp("pki")
    ca = certs.TestCA(directory)
    rogue = certs.TestCA(directory, "rogue CA")
    return {
        "ca": ca.cert,
        "server": ca.issue("fluentd", ["localhost", "127.0.0.1"]),
        "other_name": ca.issue("aggregator", ["aggregator.example"]),
        "untrusted": rogue.issue("impostor", ["localhost", "127.0.0.1"]),
        "client": ca.issue("ktcp-agent", ["ktcp-agent"], client=True),
    }
