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


def _load_receiver() -> Any:
    spec = importlib.util.spec_from_file_location("fluentd_receiver", HERE / "receiver.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["fluentd_receiver"] = module
    spec.loader.exec_module(module)
    return module


receiver_module = _load_receiver()
ForwardReceiver = receiver_module.ForwardReceiver


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
