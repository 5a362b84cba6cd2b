"""The fast path gives byte-for-byte the documents of a straightforward reference path.

Fast: `Chain.scan_block` over whole file bytes (RE2 prefilter through RE2's compiled program,
the classify / timestamp / address caches warm), rendered and encoded as `ktcp parse` does.
Reference: every line on its own through `Chain.process`, every cache emptied before each line,
the prefilter's public search. Inputs: the torture corpus, every catalog and envelope fixture,
and a generated kern.log like the benchmarks'.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from generate import generate  # noqa: E402

from pipeline import catalog, chain, ecs  # noqa: E402
from pipeline.catalog.base import _parse_ip  # noqa: E402
from pipeline.chain import Chain, decode  # noqa: E402
from pipeline.enrich import EnrichSettings, build_resolver  # noqa: E402
from pipeline.events import Event  # noqa: E402
from pipeline.prefilter import _public_span, _raw_span, candidate_span  # noqa: E402
from pipeline.records import Miss, RawLine  # noqa: E402
from pipeline.settings import MAX_LINE_BYTES, ParseSettings  # noqa: E402

DATA = ROOT / "tests" / "data"
CORPUS = sorted(
    [
        *(DATA / "catalog").glob("*.log"),
        *(DATA / "envelopes").glob("*.log"),
        *(DATA / "sources").glob("*.log"),
    ]
)
READ_AT = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
FILE_ID = "fixture"

Outcome = tuple[str, bytes]  # ("event", document) or (miss kind, reason + text)


def _chain() -> Chain:
    settings = ParseSettings(timezone="Asia/Shanghai")
    return Chain(settings, enrich=build_resolver(EnrichSettings()), now=lambda: READ_AT)


def _shown(outcome: Event | Miss) -> Outcome:
    if isinstance(outcome, Event):
        return ("event", orjson.dumps(ecs.to_document(outcome)))
    return (outcome.kind.value, f"{outcome.reason}\n{outcome.raw.text}".encode())


def _clear_caches() -> None:
    catalog.classify.cache_clear()
    ecs._event_time.cache_clear()
    ecs._ip_text.cache_clear()
    _parse_ip.cache_clear()


def fast(path: Path) -> tuple[list[Outcome], int]:
    run = _chain()
    data = path.read_bytes()
    shown = [_shown(o) for o in run.scan_block(data, str(path), 0, FILE_ID)]
    return shown, run.stats.non_tcp


def reference(path: Path) -> tuple[list[Outcome], int]:
    """Every line through the one-line entry point; lines without a keyword only counted."""
    run = _chain()
    data = path.read_bytes()
    shown: list[Outcome] = []
    non_tcp = 0
    for offset, line in _lines(data):
        if _public_span(line, 0) is None:
            non_tcp += 1
            continue
        _clear_caches()
        run.clock._naive_cache.clear()
        run.clock._day_years.clear()
        if len(line) > MAX_LINE_BYTES:
            text = decode(line[:MAX_LINE_BYTES])
            shown.append(("invalid", f"line longer than {MAX_LINE_BYTES} bytes\n{text}".encode()))
            continue
        outcome = run.process(RawLine(decode(line), str(path), offset, FILE_ID))
        if isinstance(outcome, Miss) and outcome.kind.value == "non-tcp":
            non_tcp += 1
        shown.append(_shown(outcome))
    return shown, non_tcp


def _lines(data: bytes) -> Iterator[tuple[int, bytes]]:
    offset = 0
    for line in data.split(b"\n"):
        if offset >= len(data):
            break
        yield offset, line.removesuffix(b"\r")
        offset += len(line) + 1


@pytest.fixture(params=["raw", "public"])
def prefilter(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both prefilter searches the block scanner may use (RE2's program, the public API)."""
    if request.param == "public":
        monkeypatch.setattr(chain, "candidate_span", _public_span)
    return str(request.param)


@pytest.mark.parametrize("path", CORPUS, ids=[f"{p.parent.name}/{p.name}" for p in CORPUS])
def test_fast_path_documents_equal_the_reference_path(path: Path, prefilter: str) -> None:
    got, got_non_tcp = fast(path)
    want, want_non_tcp = reference(path)
    events = [o for o in got if o[0] != "non-tcp"]
    assert events == [o for o in want if o[0] != "non-tcp"]
    assert got_non_tcp == want_non_tcp


def test_fast_path_equals_reference_on_a_generated_kern_log(tmp_path: Path, prefilter: str) -> None:
    path = tmp_path / "kern.log"
    generate(path, 3000, 0.3)
    got, _ = fast(path)
    want, _ = reference(path)
    assert sum(1 for kind, _ in got if kind == "event") > 500
    assert got == want


def test_the_raw_prefilter_is_in_use_where_re2_allows_it() -> None:
    """The benchmarks' figures are for the raw path: it must not silently fall back."""
    span: Callable[[bytes, int], tuple[int, int] | None] = candidate_span
    if _raw_span() is None:
        pytest.skip("this google-re2 release does not expose its compiled program")
    assert span is not _public_span
    data = b"eth0: link up\nx PROTO=TCP\nTCP: drop open request from 1.2.3.4/80\n"
    assert span(data, 0) == _public_span(data, 0) == (26, 29)
    assert span(data, len(data) + 1) is None  # the scanner's position after a last line


def test_a_block_ending_inside_a_candidate_line_is_scanned_quietly(
    capfd: pytest.CaptureFixture[str],
) -> None:
    """A block without a final newline (a record stream, a test's join) ends on a candidate."""
    run = _chain()
    data = b"eth0: link up\nTCP: drop open request from 1.2.3.4/80"
    outcomes = list(run.scan_block(data))
    assert [type(o).__name__ for o in outcomes] == ["Event"]
    assert run.stats.lines == 2 and run.stats.balanced()
    assert capfd.readouterr().err == ""
