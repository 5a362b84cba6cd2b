"""The agent's checkpoint store: atomic, per source kind, one agent per state directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import UsageError
from pipeline.sources.checkpoint import CheckpointStore


def test_positions_survive_a_new_store_and_leave_no_temporary_file(tmp_path: Path) -> None:
    store = CheckpointStore(tmp_path)
    assert store.load("kmsg") is None
    store.save("kmsg", {"boot_id": "b", "sequence": 41})
    store.save("kmsg", {"boot_id": "b", "sequence": 42})
    store.save("file", {"files": {}})
    store.close()
    again = CheckpointStore(tmp_path)
    assert again.load("kmsg") == {"boot_id": "b", "sequence": 42}
    assert again.load("file") == {"files": {}}
    assert sorted(p.name for p in tmp_path.iterdir()) == [".lock", "file.json", "kmsg.json"]


def test_a_second_agent_on_the_same_state_directory_is_refused(tmp_path: Path) -> None:
    first = CheckpointStore(tmp_path)
    with pytest.raises(UsageError, match="in use by another ktcp agent"):
        CheckpointStore(tmp_path)
    first.close()


def test_an_unreadable_state_file_is_set_aside_with_a_warning(tmp_path: Path) -> None:
    (tmp_path / "kmsg.json").write_text("{half")
    store = CheckpointStore(tmp_path)
    assert store.load("kmsg") is None
    assert "unreadable" in store.warnings[0]
    assert any(p.name.startswith("kmsg.json.bad-") for p in tmp_path.iterdir())
