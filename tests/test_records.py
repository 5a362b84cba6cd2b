"""The records' fast `__init__` builds exactly what the dataclass's own `__init__` builds."""

from __future__ import annotations

import dataclasses
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pipeline.catalog import window_shrink  # noqa: E402
from pipeline.clock import TimeSource  # noqa: E402
from pipeline.events import Event  # noqa: E402
from pipeline.records import Envelope, Miss, MissKind, RawLine  # noqa: E402

FAST = (RawLine, Envelope, Miss, Event)


def _twin(cls: type[Any]) -> type[Any]:
    """The same fields as a plain frozen, slotted dataclass: the generated `__init__`."""
    spec = [(f.name, f.type, f) for f in dataclasses.fields(cls)]
    return dataclasses.make_dataclass(f"{cls.__name__}Twin", spec, frozen=True, slots=True)


def _values(obj: Any) -> tuple[Any, ...]:
    return tuple(getattr(obj, f.name) for f in dataclasses.fields(obj))


ENVELOPE_KW = {
    "name": "syslog-3164",
    "message": "TCP: drop open request from 1.2.3.4/80",
    "naive_time": datetime(1900, 11, 24, 8, 1, 46),
    "year_missing": True,
    "uptime": 29024.392017,
    "host": "web1",
    "ident": "kernel",
    "extra": {"pid": "1"},
}
CASES: list[tuple[type[Any], tuple[Any, ...], dict[str, Any]]] = [
    (RawLine, ("a line",), {}),
    (RawLine, ("a line", "/var/log/kern.log", 10, "fp"), {"boot_id": "b"}),
    (Envelope, ("bare", "text"), {}),
    (Envelope, (), ENVELOPE_KW),
    (Miss, (MissKind.NON_TCP, "why", RawLine("x")), {}),
    (Miss, (MissKind.INVALID, "why", RawLine("x")), {"message": "m"}),
]


@pytest.mark.parametrize(("cls", "args", "kwargs"), CASES)
def test_fast_init_equals_the_dataclass_init(
    cls: type[Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    fast, plain = cls(*args, **kwargs), _twin(cls)(*args, **kwargs)
    assert _values(fast) == _values(plain)
    assert fast == dataclasses.replace(fast)
    assert _hash(fast) == _hash(plain)  # the same values hashed (or the same dict refused)


def _hash(obj: Any) -> int | str:
    try:
        return hash(obj)
    except TypeError as exc:
        return str(exc)


def test_every_field_of_an_event_is_stored() -> None:
    detail = window_shrink.WindowShrink(variant="treason-uncloaked", snd_una=1, snd_nxt=2)
    values = {
        "detail": detail,
        "family": window_shrink.FAMILY,
        "envelope": Envelope("bare", "m"),
        "raw": RawLine("m"),
        "timestamp": datetime(2026, 11, 24, tzinfo=UTC),
        "time_source": TimeSource.ENVELOPE,
        "time_inferred": False,
        "id": "abc",
        "host": "web1",
        "severity": 7,
    }
    event = Event(**values)
    assert {k: getattr(event, k) for k in values} == values
    assert event.peer is None


def test_default_factories_give_each_record_its_own_value() -> None:
    a, b = Envelope("bare", "x"), Envelope("bare", "y")
    assert a.extra == {} and a.extra is not b.extra


@pytest.mark.parametrize("cls", FAST)
def test_records_stay_frozen_and_reject_bad_arguments(cls: type[Any]) -> None:
    first = dataclasses.fields(cls)[0].name
    with pytest.raises(TypeError):
        cls()  # required fields missing
    with pytest.raises(TypeError):
        cls(**{"no_such_field": 1})
    obj = cls(*[None] * sum(1 for f in dataclasses.fields(cls) if _required(f)))
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(obj, first, "changed")


def _required(f: dataclasses.Field[Any]) -> bool:
    return f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
