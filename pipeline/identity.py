"""event.id: a stable hash of the most precise position the input gives (docs/CONTRACT.md)."""

from __future__ import annotations

from hashlib import blake2b


def _digest(*parts: str) -> str:
    return blake2b("\x1f".join(parts).encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def event_id(
    *,
    host: str | None,
    boot_id: str | None,
    sequence: int | None,
    path: str | None,
    offset: int | None,
    file_id: str | None = None,
    time_key: str,
    message: str,
    occurrence: int,
) -> str:
    """1. boot id + kmsg sequence; 2. host + file + byte offset; 3. host + time + text + count.

    A file is its path and the fingerprint of its first line: a rotated-in file restarts at
    offset 0 under the same name and must not take the ids of the lines it replaced.
    """
    if boot_id and sequence is not None:
        return _digest("kmsg", boot_id, str(sequence))
    if path is not None and offset is not None:
        return _digest("file", host or "", path, file_id or "", str(offset))
    return _digest("text", host or "", time_key, message, str(occurrence))


def sample_id(kind: str, host: str | None, boot_id: str | None, *position: str) -> str:
    """A kernel-state sample's id: what was sampled, on which host and boot, and where in it
    (a zero-window episode: the connection, its first sample and start/end; counters: the
    sample time). Re-sending one sample gives the same id; two samples never share one."""
    return _digest("sample", kind, host or "", boot_id or "", *position)
