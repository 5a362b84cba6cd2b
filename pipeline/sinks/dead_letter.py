"""The dead-letter file: one JSON object per line for every input that produced no event."""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any

import orjson

from pipeline.errors import UsageError
from pipeline.records import Miss
from pipeline.sinks.base import Document


class DeadLetterFile:
    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._out: IO[bytes] = path.open("ab")
        except OSError as exc:
            raise UsageError(
                f"cannot write the dead-letter file {path}: {exc.strerror or exc}"
            ) from exc
        self.count = 0

    def _write(self, record: dict[str, Any]) -> None:
        self._out.write(orjson.dumps(record) + b"\n")
        self.count += 1

    def miss(self, miss: Miss) -> None:
        record: dict[str, Any] = {"kind": miss.kind.value, "reason": miss.reason}
        record["original"] = miss.raw.text
        if miss.raw.path is not None:
            record["path"] = miss.raw.path
        if miss.raw.offset is not None:
            record["offset"] = miss.raw.offset
        self._write(record)

    def rejected(self, document: Document, reason: str) -> None:
        self._write({"kind": "rejected", "reason": reason, "document": document})

    def reopen(self) -> None:
        """Open the path again (after logrotate moved the file away; SIGHUP in the agent)."""
        try:
            fresh: IO[bytes] = self.path.open("ab")
        except OSError as exc:
            raise UsageError(
                f"cannot write the dead-letter file {self.path}: {exc.strerror or exc}"
            ) from exc
        self._out.close()
        self._out = fresh

    def flush(self) -> None:
        self._out.flush()

    def close(self) -> None:
        self._out.close()
