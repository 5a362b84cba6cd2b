"""What `ktcp agent` drives: resumable sources that hand out batches with an opaque position.

The contract, for every source kind (kmsg, journald, file) and any other producer:

- `ResumableSource.batches(resume, stop)` yields `Batch`es in order, for ever, until `stop` is
  set. `resume` is the position the agent last committed for this source's `kind` (None on a
  first start); the source continues right after it.
- A batch carries what was read (`blocks` of whole file lines, or single `lines` such as kmsg or
  journald records, or ready `documents` from a producer that is not a log) and `position`: a
  small JSON value (dict, list, str, int) meaning "everything up to and including this batch".
  Only the source understands it; the agent stores it as it is.
- The agent parses the batch, sends its documents to the sink, waits until the sink has
  confirmed every one of them (a bulk response, a Fluentd ack, a durable spool write), and only
  then commits `position` to the checkpoint store (`pipeline/sources/checkpoint.py`: one small
  file per source kind in the state directory, written atomically). A source never decides when
  data is safe: a crash re-reads from the last committed position (at-least-once; re-sent
  events keep their `event.id`, so they are harmless).
- While the sink is down the agent stops pulling batches (back-pressure): the generator simply
  is not resumed, so a source must not read ahead without bound. It should return to the agent
  at least every `IDLE_SECS` even when nothing arrived (yield an empty batch), so `stop` and
  health are seen promptly.
- `warnings` carries sentences for the agent's log (a source has no logger of its own).
- `lost` counts records the source knows it can never deliver (a kmsg ring overrun); `lag_secs`
  is how far the newest record read is behind now, when the source can tell.
- A source raises `InputError` with a sentence saying what to do when it cannot go on (no
  permission, the journal directory is gone); the agent reports it and exits non-zero.

Several sources (a log source and, later, a sampler) may feed one agent: each keeps its own
`kind` and so its own checkpoint.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from pipeline.records import RawLine
from pipeline.sources.blocks import Block

# A JSON value: what a source needs to resume. Stored as it is, compared by nobody.
Position = Any

IDLE_SECS = 1.0  # a source yields (possibly an empty batch) at least this often


@dataclass(frozen=True, slots=True)
class Batch:
    """What a source read since its previous batch, and the position right after it."""

    position: Position = None  # None: nothing to commit (an idle tick, a producer without state)
    blocks: Sequence[Block] = ()  # whole lines of files: the chain's fast path
    lines: Sequence[RawLine] = ()  # single records (kmsg, journald)
    documents: Sequence[dict[str, Any]] = field(default=())  # finished documents (samplers)
    lost: int = 0  # records the source knows were lost before this batch (kmsg overrun)
    lag_secs: float | None = None  # how old the newest record read is, when known
    warnings: Sequence[str] = ()  # things the agent should log (a damaged rotated file, ...)

    @property
    def empty(self) -> bool:
        return not (self.blocks or self.lines or self.documents)


class ResumableSource(Protocol):
    """A source `ktcp agent` can follow for ever and resume after a restart."""

    kind: str  # "kmsg", "journald", "file": names the checkpoint file and the metrics label

    def describe(self) -> str:
        """What is read, for the log at start: "/dev/kmsg", "journalctl -k (/var/log/journal)"."""
        ...

    def batches(self, resume: Position, stop: threading.Event) -> Iterator[Batch]:
        """Batches in order from `resume` (None: from the source's natural start) until `stop`."""
        ...
