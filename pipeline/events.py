"""The typed event: a family model (discriminated union over the catalog) in its context."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Annotated, Any, Union

from pipeline.clock import TimeSource
from pipeline.records import Envelope, PeerInfo, RawLine, fast_init

if TYPE_CHECKING:
    from pydantic import TypeAdapter

    from pipeline.catalog.base import Family, KernelMessage

    MESSAGE_ADAPTER: TypeAdapter[Any]
    KernelTcpMessage: Any


@cache
def _message_adapter() -> tuple[Any, TypeAdapter[Any]]:
    """One union over every family, discriminated by `action` (= event.action); built once, on
    first use (`ktcp schemas`): rendering events never needs it, and it loads every family."""
    from pydantic import ConfigDict, Field, TypeAdapter

    from pipeline.catalog import FAMILIES

    union: Any = Union[tuple(f.model for f in FAMILIES)]  # noqa: UP007 - built at run time
    message: Any = Annotated[union, Field(discriminator="action")]
    return message, TypeAdapter(message, config=ConfigDict(defer_build=True))


def __getattr__(name: str) -> Any:
    if name == "KernelTcpMessage":
        return _message_adapter()[0]
    if name == "MESSAGE_ADAPTER":
        return _message_adapter()[1]
    raise AttributeError(f"module 'pipeline.events' has no attribute {name!r}")


@fast_init
@dataclass(frozen=True, slots=True)
class Event:
    """One kernel TCP message with everything the contract says about it, before rendering."""

    detail: KernelMessage
    family: Family
    envelope: Envelope
    raw: RawLine
    timestamp: datetime  # UTC
    time_source: TimeSource
    time_inferred: bool
    id: str
    host: str | None
    severity: int | None
    peer: PeerInfo | None = None  # filled by enrichment
    truncated: bool = False  # the message was cut at its tail: only its complete fields are set
