"""Which source the agent follows: the one asked for, or for `auto` the best one found.

`auto` prefers the journal (it outlives the kernel's ring buffer while the agent is down), then
/dev/kmsg, then the kernel log files, and says which it chose and why the others were passed
over.

The journald source is `pipeline/sources/journald.py`: `JournaldSource(directory)` (kind
"journald") and `journal_unusable(directory)` (None when a journal with kernel entries of this
boot can be read, else the reason).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.agent.settings import AgentSettings
from pipeline.errors import InputError
from pipeline.settings import DEFAULT_FILE_GLOBS
from pipeline.sources.base import ResumableSource
from pipeline.sources.journald import JournaldSource, journal_unusable
from pipeline.sources.kmsg import KmsgSource
from pipeline.sources.logfiles import FileSource


@dataclass(frozen=True)
class Choice:
    source: ResumableSource
    reason: str  # why this source: "asked for" or, for auto, what was found and passed over


def choose_source(settings: AgentSettings) -> Choice:
    kind = settings.source
    if kind == "journald":
        return Choice(_journald(settings.journal_directory), "asked for (--source journald)")
    if kind == "kmsg":
        return Choice(_kmsg(), "asked for (--source kmsg)")
    if kind == "file":
        return Choice(_files(settings), "asked for (--source file)")
    return _auto(settings)


def _auto(settings: AgentSettings) -> Choice:
    passed: list[str] = []
    if settings.path:  # globs given: the files are what the user means
        return Choice(_files(settings), "--path given")
    why = journal_unusable(settings.journal_directory)
    if why is None:
        return Choice(_journald(settings.journal_directory), "a journal with kernel entries")
    where = settings.journal_directory or "the system journal"
    passed.append(f"journald ({where}): {why}")
    why = _kmsg_unusable()
    if why is None:
        return Choice(_kmsg(), "no journal (" + "; ".join(passed) + ")")
    passed.append(f"/dev/kmsg: {why}")
    return Choice(_files(settings), "; ".join(passed))


def _journald(directory: Path | None) -> ResumableSource:
    source = JournaldSource(directory)
    source.check()
    return source


def _kmsg_unusable() -> str | None:
    try:
        KmsgSource().check()
    except InputError as exc:
        return str(exc)
    return None


def _kmsg() -> ResumableSource:
    source = KmsgSource()
    source.check()
    return source


def _files(settings: AgentSettings) -> ResumableSource:
    return FileSource(settings.path or DEFAULT_FILE_GLOBS, start_at=settings.file_start)
