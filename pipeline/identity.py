"""event.id: a stable hash of the most precise position the input gives (docs/CONTRACT.md).

1. The kernel's own position of the record:
   a. boot id + kmsg sequence number (/dev/kmsg read on this machine, which knows its boot id);
   b. boot id + the kernel's monotonic stamp + text (a journald kernel record: `_BOOT_ID` and
      `_SOURCE_MONOTONIC_TIMESTAMP`, the microseconds the kernel stamped the record with);
   c. the journal's own position + text (`__SEQNUM_ID` and `__SEQNUM`), for a journald record
      without the kernel's stamp.
2. The position in a file: a fingerprint of the file's first line + byte offset + the line. Not the
   path, so `kern.log`, `kern.log.1` and `kern.log.2.gz` with the same content give the same ids.
3. Else host + the most precise time the line carries (envelope clock and printk `[uptime]` in
   microseconds) + text + how many times that exact key was seen before in this process.
"""

from __future__ import annotations

from hashlib import blake2b

from pipeline.records import Envelope, RawLine

Position = tuple[str, ...]


def _digest(*parts: str) -> str:
    return blake2b("\x1f".join(parts).encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def usec(seconds: float) -> str:
    """Seconds as whole microseconds (printk and journald stamps have microsecond precision)."""
    return str(round(seconds * 1_000_000))


def position(env: Envelope, raw: RawLine) -> Position | None:
    """Rules 1 and 2: where the record sits, when the input says; None means rule 3 applies."""
    if env.boot_id and env.sequence is not None:
        return ("kmsg", env.boot_id, str(env.sequence))
    if env.boot_id and env.uptime is not None:
        return ("boot", env.boot_id, usec(env.uptime), env.message)
    if env.record_id:
        return ("journal", env.record_id, env.message)
    if raw.path is not None and raw.offset is not None:
        return ("file", raw.file_id or "", str(raw.offset), raw.text)
    return None


def time_key(env: Envelope) -> str:
    """Rule 3's time: every clock the envelope carries, as text (never the time of reading).

    The printk `[uptime]` has microsecond precision where syslog time has seconds: two lines of
    a flood in the same second differ by it even in different processes.
    """
    moment = env.wall_time or env.naive_time
    wall = moment.isoformat() if moment is not None else ""
    uptime = usec(env.uptime) if env.uptime is not None else ""
    cursor = env.extra.get("cursor", "")
    return f"{wall}|{uptime}|{cursor}"


def event_id(
    *,
    host: str | None,
    at: Position | None,
    time_key: str = "",
    message: str = "",
    occurrence: int = 0,
) -> str:
    """The id of an event at position `at` (rules 1-2), else of its text and time (rule 3)."""
    if at is not None:
        if at[0] == "file":
            return _digest(*at[:1], host or "", *at[1:])
        return _digest(*at)
    return _digest("text", host or "", time_key, message, str(occurrence))


def sample_id(kind: str, host: str | None, boot_id: str | None, *position: str) -> str:
    """A kernel-state sample's id: what was sampled, on which host and boot, and where in it
    (a zero-window episode: the connection, its first sample and start/end; counters: the
    sample time). Re-sending one sample gives the same id; two samples never share one."""
    return _digest("sample", kind, host or "", boot_id or "", *position)
