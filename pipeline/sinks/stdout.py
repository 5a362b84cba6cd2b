"""Documents to standard output: NDJSON (one object per line) or one JSON array."""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO

import orjson

from pipeline.sinks.base import Delivery, Document


class NdjsonSink:
    def __init__(self, out: IO[bytes], flush_each: bool = False) -> None:
        self.out = out
        self.flush_each = flush_each  # following a live log: show each batch as it comes
        self.delivery = Delivery()

    def send(self, documents: Sequence[Document]) -> None:
        self.out.write(b"".join(orjson.dumps(d) + b"\n" for d in documents))
        if self.flush_each:
            self.out.flush()
        self.delivery.created += len(documents)

    def send_rendered(self, ndjson: bytes, count: int) -> None:
        self.out.write(ndjson)
        if self.flush_each:
            self.out.flush()
        self.delivery.created += count

    def flush(self, timeout_secs: float) -> bool:
        self.out.flush()
        return True

    @property
    def healthy(self) -> bool:
        return True

    @property
    def confirmed(self) -> int:
        return self.delivery.created

    def close(self) -> Delivery:
        self.out.flush()
        return self.delivery


class JsonArraySink:
    """A single JSON array, streamed: `[`, documents separated by `,`, `]` at close."""

    def __init__(self, out: IO[bytes]) -> None:
        self.out = out
        self.delivery = Delivery()
        self._first = True
        out.write(b"[")

    def send(self, documents: Sequence[Document]) -> None:
        for d in documents:
            self.out.write(b"\n" if self._first else b",\n")
            self.out.write(orjson.dumps(d))
            self._first = False
        self.delivery.created += len(documents)

    def close(self) -> Delivery:
        self.out.write(b"\n]\n" if not self._first else b"]\n")
        self.out.flush()
        return self.delivery
