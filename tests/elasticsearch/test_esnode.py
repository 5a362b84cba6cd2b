"""The test node's launcher: a node that cannot start says why, and leaves nothing running."""

from __future__ import annotations

import sys

import pytest

esnode = sys.modules["ktcp_esnode"]  # loaded by tests/conftest.py


def test_a_node_that_cannot_start_fails_fast_with_its_log() -> None:
    node = esnode.Node()
    try:
        with (node.base / "config" / "elasticsearch.yml").open("a") as config:
            config.write("ktcp.no_such_setting: 1\n")
        with pytest.raises(esnode.NodeError) as caught:
            node.start(timeout_secs=120)
        message = str(caught.value)
        assert "exited with status" in message
        assert "unknown setting [ktcp.no_such_setting]" in message
    finally:
        node.remove()
    assert node.alive_pids() == []
    assert not node.base.exists()
