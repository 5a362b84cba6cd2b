"""The typed event: a family model (discriminated union over the catalog) in its context."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Union

from pydantic import ConfigDict, Field, TypeAdapter

from pipeline.catalog import FAMILIES
from pipeline.catalog.base import Family, KernelMessage
from pipeline.clock import TimeSource
from pipeline.records import Envelope, PeerInfo, RawLine, fast_init

# One union over every family, discriminated by `action` (= event.action); built once.
_UNION: Any = Union[tuple(f.model for f in FAMILIES)]  # noqa: UP007 - built at run time
KernelTcpMessage: Any = Annotated[_UNION, Field(discriminator="action")]
MESSAGE_ADAPTER: TypeAdapter[Any] = TypeAdapter(
    KernelTcpMessage, config=ConfigDict(defer_build=True)
)


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
