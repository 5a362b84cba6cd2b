"""What one bulk item's answer means for its document: created, already there, retry, ...

Answers come from the client's bulk helpers, which report a request that failed as a whole
(an `ApiError`) by repeating the error for every item in it, with the exception attached.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

# Busy or restarting: the same request may well succeed later.
RETRY_STATUSES = frozenset({429, 502, 503, 504})
# Not the document's fault: the credentials, privileges or URL are wrong for every document.
REFUSED_STATUSES = frozenset({401, 403})


class Verdict(Enum):
    CREATED = "created"
    ALREADY_THERE = "already there"
    RETRY = "retry"
    REJECTED = "rejected"  # this document, for good (mapping error, ...)
    REFUSED = "refused"  # every document: stop trying, count them not delivered


@dataclass(frozen=True)
class Answer:
    verdict: Verdict
    status: int | None
    reason: str = ""


def judge(ok: bool, item: dict[str, Any]) -> Answer:
    """The verdict on one `(ok, {op_type: info})` pair yielded by streaming/parallel_bulk."""
    info: dict[str, Any] = next(iter(item.values()), {})
    status = info.get("status")
    status = status if isinstance(status, int) else None
    if ok:
        return Answer(Verdict.CREATED, status)
    if status == 409:
        return Answer(Verdict.ALREADY_THERE, status)
    reason = describe_error(info.get("error"))
    if status in RETRY_STATUSES:
        return Answer(Verdict.RETRY, status, reason)
    if status in REFUSED_STATUSES or "exception" in info:
        # a whole request refused (bad URL, oversized request, ...) says nothing about this doc
        return Answer(Verdict.REFUSED, status, f"HTTP {status}: {reason}")
    return Answer(Verdict.REJECTED, status, reason)


def describe_error(error: Any) -> str:
    """Elasticsearch's own words: `type: reason; caused by type: reason`."""
    if not isinstance(error, dict):
        return str(error)
    parts: list[str] = []
    while isinstance(error, dict) and len(parts) < 4:
        parts.append(f"{error.get('type', 'error')}: {error.get('reason', '')}".rstrip(": "))
        error = error.get("caused_by")
    return "; caused by ".join(parts)
