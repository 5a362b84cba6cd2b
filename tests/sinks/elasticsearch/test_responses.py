"""Every bulk answer ends in one verdict: created, already there, retry, rejected or refused."""

from __future__ import annotations

import json
from pathlib import Path

from elastic_transport import ApiResponseMeta, HttpHeaders
from elasticsearch import ApiError

from pipeline.sinks.elasticsearch.responses import Verdict, judge

DATA = Path(__file__).resolve().parents[2] / "data" / "elasticsearch"


def _items(name: str) -> list[dict]:
    return json.loads((DATA / name).read_text())["items"]


def _pairs(name: str) -> list[tuple[bool, dict]]:
    return [(200 <= next(iter(i.values()))["status"] < 300, i) for i in _items(name)]


def test_created_conflict_and_mapping_errors_from_a_real_bulk_answer() -> None:
    answers = [judge(ok, item) for ok, item in _pairs("bulk-response.json")]
    assert [a.verdict for a in answers] == [
        Verdict.CREATED,
        Verdict.ALREADY_THERE,
        Verdict.REJECTED,
        Verdict.REJECTED,
    ]
    assert answers[2].reason == (
        "document_parsing_exception: [1:53] failed to parse field [source.ip] of type [ip] in "
        "document with id '2'. Preview of field's value: 'bogus'; caused by "
        "illegal_argument_exception: 'bogus' is not an IP string literal."
    )
    assert "out of range of int" in answers[3].reason


def test_busy_nodes_are_retried_and_a_missing_privilege_refuses_everything() -> None:
    answers = [judge(ok, item) for ok, item in _pairs("bulk-response-busy.json")]
    assert [a.verdict for a in answers] == [Verdict.RETRY, Verdict.RETRY, Verdict.REFUSED]
    assert [a.status for a in answers] == [429, 503, 403]
    assert "security_exception" in answers[2].reason


def _request_failure(status: int) -> dict:
    # The helpers' shape for a request that failed as a whole: the error on every item.
    meta = ApiResponseMeta(status, "1.1", HttpHeaders(), 0.01, None)  # type: ignore[arg-type]
    error = ApiError("failed", meta, {})
    return {"create": {"_id": "x", "status": status, "error": str(error), "exception": error}}


def test_a_whole_request_answered_busy_is_retried() -> None:
    for status in (429, 502, 503, 504):
        assert judge(False, _request_failure(status)).verdict is Verdict.RETRY


def test_a_whole_request_refused_otherwise_is_not_blamed_on_the_document() -> None:
    for status in (400, 401, 404, 413):
        answer = judge(False, _request_failure(status))
        assert answer.verdict is Verdict.REFUSED
        assert answer.reason.startswith(f"HTTP {status}")
