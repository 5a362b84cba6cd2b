"""`ktcp setup elasticsearch` against the real test node, which lacks ILM and match_only_text."""

from __future__ import annotations

import socket
from typing import Any

from click.testing import CliRunner

from pipeline.commands.setup import setup_command
from pipeline.errors import KtcpError
from pipeline.sinks.elasticsearch.templates import INDEX_TEMPLATE, MAPPINGS, SETTINGS


def setup(*args: str) -> Any:
    return CliRunner().invoke(setup_command, ["elasticsearch", *args])


def installed(es: Any) -> dict[str, Any]:
    return {
        "settings": es.cluster.get_component_template(name=SETTINGS).body,
        "mappings": es.cluster.get_component_template(name=MAPPINGS).body,
        "index": es.indices.get_index_template(name=INDEX_TEMPLATE).body,
    }


def test_setup_installs_what_the_node_offers_and_says_what_it_skipped(
    es_node: Any, es_client: Any, data_stream: str
) -> None:
    first = setup("--url", es_node.url)
    assert first.exit_code == 0, first.output
    for name in (SETTINGS, MAPPINGS, INDEX_TEMPLATE):
        assert any(
            line.endswith((f"{name}: created", f"{name}: left alone (already up to date)"))
            for line in first.output.splitlines()
        ), first.output
    assert "ILM policy ktcp-logs-kernel.tcp: skipped" in first.output
    assert "notice: ILM is not available" in first.output
    assert "notice: match_only_text is not available" in first.output
    assert "data streams are not available" not in first.output

    # What was substituted is what the cluster holds: message as text, no lifecycle setting.
    mappings = installed(es_client)["mappings"]["component_templates"][0]["component_template"]
    assert mappings["template"]["mappings"]["properties"]["message"] == {"type": "text"}
    settings = installed(es_client)["settings"]["component_templates"][0]["component_template"]
    assert "lifecycle" not in str(settings["template"].get("settings", {}))
    index = installed(es_client)["index"]["index_templates"][0]["index_template"]
    assert index["data_stream"] is not None and index["priority"] > 100


def test_setup_twice_changes_nothing(es_node: Any, es_client: Any) -> None:
    assert setup("--url", es_node.url).exit_code == 0
    before = installed(es_client)
    second = setup("--url", es_node.url)
    assert second.exit_code == 0, second.output
    steps = [line for line in second.output.splitlines() if line.startswith("  ") and ": " in line]
    assert len(steps) == 4  # three templates and the skipped ILM policy
    assert all(
        line.endswith(("left alone (already up to date)", "skipped (see the notice below)"))
        for line in steps
    ), second.output
    assert installed(es_client) == before


def test_setup_updates_a_template_that_differs(es_node: Any, es_client: Any) -> None:
    assert setup("--url", es_node.url).exit_code == 0
    es_client.cluster.put_component_template(
        name=SETTINGS, template={"settings": {}}, meta={"managed_by": "ktcp", "digest": "old"}
    )
    third = setup("--url", es_node.url)
    assert third.exit_code == 0, third.output
    assert f"component template {SETTINGS}: updated" in third.output
    assert f"component template {MAPPINGS}: left alone" in third.output
    assert "take the new mappings and settings at their next rollover" in third.output
    assert "updated" not in setup("--url", es_node.url).output


def test_setup_against_no_cluster_is_a_clear_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = setup("--url", f"http://admin:Hunter2-pw@127.0.0.1:{port}")
    assert isinstance(result.exception, KtcpError)
    assert str(result.exception).startswith(
        f"cannot reach Elasticsearch at http://127.0.0.1:{port}"
    )
    assert "Hunter2-pw" not in str(result.exception) + result.output


def test_setup_refuses_a_malformed_retention() -> None:
    result = setup("--url", "http://127.0.0.1:9", "--retention", "ninety days")
    assert result.exit_code == 2
    assert "'ninety days' is not like 90d" in result.output


def test_setup_with_credentials_from_the_environment(es_secure_node: Any) -> None:
    admin = es_secure_node.users["admin"]
    result = CliRunner().invoke(
        setup_command,
        ["elasticsearch", "--url", es_secure_node.url],
        env={"KTCP_ES_USER": "admin", "KTCP_ES_PASSWORD": admin},
    )
    assert result.exit_code == 0, result.output
    assert f"index template {INDEX_TEMPLATE}: created" in result.output
    assert admin not in result.output


def test_setup_says_which_credentials_problem_it_met(es_secure_node: Any) -> None:
    wrong = setup("--url", es_secure_node.url, "--user", "admin", "--password", "Wrong-pw-1")
    assert isinstance(wrong.exception, KtcpError)
    assert "did not accept the credentials (HTTP 401)" in str(wrong.exception)
    reader = es_secure_node.users["reader"]
    weak = setup("--url", es_secure_node.url, "--user", "reader", "--password", reader)
    assert isinstance(weak.exception, KtcpError)
    assert "these credentials may not" in str(weak.exception)
    assert "(HTTP 403)" in str(weak.exception)
    assert reader not in str(weak.exception) + weak.output
