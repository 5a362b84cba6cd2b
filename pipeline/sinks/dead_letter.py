"""The dead-letter file: one JSON object per line for every input that produced no event."""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any

import orjson

from pipeline.errors import UsageError
from pipeline.records import Miss
from pipeline.sinks.base import Document

FLUSH_RECORDS = 256  # records between flushes: a failure is found (and counted) early


class DeadLetterFile:
    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._out: IO[bytes] = path.open("ab")
        except OSError as exc:
            raise UsageError(
                f"cannot write the dead-letter file {path}: {exc.strerror or exc}"
            ) from exc
        self.count = 0  # records written
        self.lost = 0  # records that could not be written (a full disk, an I/O error)
        self._unflushed = 0  # records in the write buffer: lost with it if a flush fails
        self._failure: str | None = None

    @property
    def error(self) -> str | None:
        """What went wrong writing the file, and how much it cost; None while all is well."""
        if self._failure is None:
            return None
        return (
            f"cannot write the dead-letter file {self.path}: {self._failure}; "
            f"{self.lost:,} records not kept (free space, or give another --dead-letter FILE)"
        )

    def _write(self, record: dict[str, Any]) -> None:
        if self._failure is not None:
            self.lost += 1
            return
        try:
            self._out.write(orjson.dumps(record) + b"\n")
        except OSError as exc:
            self._failed(exc, 1)
            return
        self.count += 1
        self._unflushed += 1
        if self._unflushed >= FLUSH_RECORDS:
            self.flush()

    def _failed(self, exc: OSError, records: int) -> None:
        """Count this record and every buffered one as lost; write nothing more."""
        self._failure = exc.strerror or str(exc)
        self.lost += records + self._unflushed
        self.count -= self._unflushed
        self._unflushed = 0

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
        self.close()
        self._out = fresh
        self._failure = None  # a fresh file: write again (what was lost stays counted)

    def flush(self) -> None:
        if self._failure is not None:
            return
        try:
            self._out.flush()
        except OSError as exc:
            self._failed(exc, 0)
        else:
            self._unflushed = 0

    def close(self) -> None:
        self.flush()
        try:
            self._out.close()
        except OSError as exc:  # the buffer was given up already: nothing more is lost
            if self._failure is None:
                self._failure = exc.strerror or str(exc)
