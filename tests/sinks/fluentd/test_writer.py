"""The spool writer's messages: a group's batches merged per tag, in order, within a size."""

from __future__ import annotations

import msgpack

from pipeline.settings import FLUENTD_MERGED_MESSAGE_BYTES
from pipeline.sinks.fluentd.writer import _Handed, _messages


def _decoded(message: bytes) -> tuple[str, bytes, dict[str, object]]:
    tag, entries, option = msgpack.unpackb(message, raw=False)
    return tag, entries, option


def test_a_group_is_one_message_per_tag_with_entries_in_hand_over_order() -> None:
    first = _Handed([("t.a", b"a1", 1), ("t.b", b"b1", 2)], 3, 0)
    second = _Handed([("t.b", b"b2", 3), ("t.a", b"a2", 4), ("t.c", b"c2", 5)], 12, 0)
    messages = _messages([first, second])
    decoded = [_decoded(data) for data, _, _ in messages]
    assert [(tag, entries) for tag, entries, _ in decoded] == [
        ("t.a", b"a1a2"),
        ("t.b", b"b1b2"),
        ("t.c", b"c2"),
    ]
    assert [option["size"] for _, _, option in decoded] == [5, 5, 5]
    assert [n for _, n, _ in messages] == [5, 5, 5]
    ids = [chunk_id for _, _, chunk_id in messages]
    assert [option["chunk"] for _, _, option in decoded] == ids and len(set(ids)) == 3


def test_a_tag_starts_a_new_message_rather_than_pass_the_size_bound() -> None:
    big = b"x" * (FLUENTD_MERGED_MESSAGE_BYTES * 2 // 3)
    group = [_Handed([("t.a", big, 1)], 1, 0) for _ in range(3)]
    group.append(_Handed([("t.a", b"x" * (FLUENTD_MERGED_MESSAGE_BYTES + 1), 1)], 1, 0))
    messages = _messages(group)
    sizes = [len(_decoded(data)[1]) for data, _, _ in messages]
    assert sizes == [len(big)] * 3 + [FLUENTD_MERGED_MESSAGE_BYTES + 1]  # one batch: never split
    assert sum(n for _, n, _ in messages) == 4
