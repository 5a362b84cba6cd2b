"""The agent's resume state: one small JSON file per source kind in the state directory.

`<state dir>/<kind>.json` holds `{"kind", "position", "saved_at"}`. It is replaced atomically:
written to a temporary file, fsync'd, renamed over the old one, then the directory is fsync'd,
so after a crash or a power cut the file is either the old position or the new one, never half
of one. Positions are written only after the sink confirmed the events before them (see
`pipeline/sources/base.py`). A lock file keeps two agents from sharing one state directory.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import orjson

from pipeline import owned_dir
from pipeline.errors import UsageError
from pipeline.sources.base import Position

_KIND_RE = re.compile(r"^[a-z][a-z0-9-]*$")


class CheckpointStore:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._lock = owned_dir.lock(
            directory,
            f"cannot use the state directory {directory}",
            f"the state directory {directory} is in use by another ktcp agent; "
            "stop it or give another --state-dir",
            hint="give a writable --state-dir; under systemd, StateDirectory=ktcp creates it",
        )
        self.warnings: list[str] = []  # what load() had to set aside, for the agent's log

    def path(self, kind: str) -> Path:
        if not _KIND_RE.match(kind):
            raise ValueError(f"bad source kind {kind!r}")
        return self.directory / f"{kind}.json"

    def load(self, kind: str) -> Position:
        """The last committed position of `kind`, or None when there is none (first start).

        A file that cannot be parsed (written by something else) is renamed aside with a
        warning, and the source starts from its natural beginning: re-sending is harmless.
        """
        path = self.path(kind)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise UsageError(f"cannot read the state file {path}: {exc.strerror or exc}") from exc
        try:
            record = orjson.loads(data)
            if not isinstance(record, dict) or record.get("kind") != kind:
                raise ValueError("not a ktcp state file")
            return record.get("position")
        except ValueError as exc:
            aside = path.with_name(f"{path.name}.bad-{int(time.time())}")
            os.replace(path, aside)
            self.warnings.append(
                f"state file {path} is unreadable ({exc}); moved to {aside.name}, "
                f"starting {kind} from its beginning"
            )
            return None

    def save(self, kind: str, position: Position) -> None:
        """Replace the position of `kind` atomically and durably."""
        path = self.path(kind)
        record = {"kind": kind, "position": position, "saved_at": time.time()}
        tmp = path.with_name(f".{path.name}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                os.write(fd, orjson.dumps(record))
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, path)
            owned_dir.fsync_directory(self.directory)
        except OSError as exc:
            raise UsageError(
                f"cannot save the position in {path}: {exc.strerror or exc} "
                "(is the state directory full or read-only?)"
            ) from exc

    def close(self) -> None:
        owned_dir.unlock(self._lock)
