"""Re-cutting arbitrary chunks into blocks of whole lines."""

from __future__ import annotations

from pipeline.sources.blocks import MAX_PENDING_BYTES, complete_lines


def test_chunks_are_recut_at_newlines_with_running_offsets() -> None:
    blocks = list(complete_lines([b"ab", b"c\nde", b"f\ng\n", b"tail"], "/x", 0))
    assert [(b.data, b.offset) for b in blocks] == [
        (b"abc\n", 0),
        (b"def\ng\n", 4),
        (b"tail", 10),
    ]


def test_a_line_longer_than_the_bound_is_handed_on_rather_than_held() -> None:
    huge = b"x" * (MAX_PENDING_BYTES + 1)
    blocks = list(complete_lines([huge, b"end\n"]))
    assert [len(b.data) for b in blocks] == [len(huge), 4]
