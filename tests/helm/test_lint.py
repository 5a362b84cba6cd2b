"""helm lint --strict over the values matrix, and the values schema turning bad values away."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import CHART, CI_VALUES, ci_id, run, tool, values_of


@pytest.mark.parametrize("values", [None, *CI_VALUES], ids=ci_id)
def test_helm_lint_strict_passes(values: Path | None) -> None:
    argv: list[Any] = [tool("helm"), "lint", "--strict", CHART]
    if values is not None:
        argv += ["-f", values]
    done = run(argv)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "[WARNING]" not in done.stdout and "[ERROR]" not in done.stdout, done.stdout


def test_the_ci_matrix_covers_every_scenario() -> None:
    scenarios = [values_of(p) for p in CI_VALUES]
    assert {v["agent"]["source"] for v in scenarios} == {"auto", "journald", "kmsg", "file"}
    assert {"elasticsearch", "fluentd"} <= {v["output"]["type"] for v in scenarios}
    auth = [
        v["output"]["elasticsearch"]["auth"] for v in scenarios if v["output"]["type"] != "stdout"
    ]
    assert any(a["existingSecret"] for a in auth) and any(
        a["method"] != "none" and not a["existingSecret"] for a in auth
    ), "an existing Secret and a Secret the chart creates"
    assert {v["aggregator"]["enabled"] for v in scenarios} == {True, False}
    assert {v["setup"]["enabled"] for v in scenarios} == {True, False}
    defaults = values_of(None)
    assert any(v["tolerations"] != defaults["tolerations"] for v in scenarios)
    assert any(v["resources"] != defaults["resources"] for v in scenarios)
    assert any(v["agent"]["sampler"]["interval"] and v["agent"]["hostNetwork"] for v in scenarios)
    assert any(v["agent"]["kernelDebug"]["enabled"] for v in scenarios)


# Each of these must be turned away by values.schema.json, naming the offending value.
BAD_VALUES = {
    "unknown-source": ({"agent": {"source": "syslog"}}, "/agent/source"),
    "port-as-string": ({"agent": {"http": {"port": "9477"}}}, "/agent/http/port"),
    "port-out-of-range": ({"agent": {"http": {"port": 70000}}}, "/agent/http/port"),
    "unknown-agent-key": ({"agent": {"sorce": "kmsg"}}, "sorce"),
    "unknown-top-level-key": ({"daemonset": {"enabled": True}}, "daemonset"),
    "verify-as-string": ({"output": {"elasticsearch": {"tls": {"verify": "no"}}}}, "/verify"),
    "unknown-output": ({"output": {"type": "kafka"}}, "/output/type"),
    "tolerations-not-a-list": ({"tolerations": "all"}, "/tolerations"),
    "relative-path": ({"agent": {"paths": ["kern.log"]}}, "/agent/paths/0"),
    "unknown-auth-method": (
        {"output": {"elasticsearch": {"auth": {"method": "token"}}}},
        "/auth/method",
    ),
    "replicas-zero": ({"aggregator": {"replicas": 0}}, "/aggregator/replicas"),
    "image-repository-number": ({"image": {"repository": 5}}, "/image/repository"),
    "host-network-as-string": ({"agent": {"hostNetwork": "true"}}, "/agent/hostNetwork"),
    "interval-as-string": ({"agent": {"sampler": {"interval": "10"}}}, "/sampler/interval"),
    "interval-negative": ({"agent": {"sampler": {"interval": -5}}}, "/sampler/interval"),
    "unknown-sampler-key": ({"agent": {"sampler": {"intervalSeconds": 10}}}, "intervalSeconds"),
    "kernel-debug-as-string": (
        {"agent": {"kernelDebug": {"enabled": "yes"}}},
        "/agent/kernelDebug/enabled",
    ),
    "unknown-kernel-debug-key": ({"agent": {"kernelDebug": {"control": "/x"}}}, "control"),
}


@pytest.mark.parametrize("command", ["lint", "template"])
@pytest.mark.parametrize("case", sorted(BAD_VALUES))
def test_schema_rejects_wrong_types_and_unknown_keys(
    case: str, command: str, tmp_path: Path
) -> None:
    values, where = BAD_VALUES[case]
    path = tmp_path / f"{case}.yaml"
    path.write_text(yaml.safe_dump(values))
    argv: list[Any] = [tool("helm"), command, *(["--strict"] if command == "lint" else ["ktcp"])]
    done = run([*argv, CHART, "-f", path])
    assert done.returncode != 0, f"{case} was accepted by helm {command}"
    output = done.stdout + done.stderr
    assert "schema" in output and where in output, output


@pytest.mark.parametrize(
    ("sets", "says"),
    [
        (["output.elasticsearch.auth.method=apiKey"], "auth.existingSecret"),
        (
            ["output.elasticsearch.auth.method=basic", "output.elasticsearch.auth.username=u"],
            "password",
        ),
        (["output.type=fluentd"], "aggregator.enabled=true"),
        (["aggregator.enabled=true"], "output.type=fluentd"),
        (["agent.source=file", "agent.paths=null"], "agent.paths"),
        (["agent.source=file", "agent.paths={/srv/log/kern.log}"], "extraVolumeMounts"),
        (
            ["output.type=fluentd", "aggregator.enabled=true", "output.fluentd.tls.enabled=true"],
            "output.fluentd.host",
        ),
        (["agent.sampler.interval=10"], "agent.hostNetwork=true"),
        (["agent.kernelDebug.debugfs=true"], "agent.kernelDebug.enabled=true"),
        (
            [
                "agent.kernelDebug.enabled=true",
                "updateStrategy.rollingUpdate.maxSurge=1",
                "updateStrategy.rollingUpdate.maxUnavailable=0",
            ],
            "maxSurge",
        ),
    ],
    ids=[
        "api-key-missing",
        "password-missing",
        "fluentd-without-host",
        "aggregator-unused",
        "file-without-paths",
        "file-outside-mounts",
        "aggregator-with-tls",
        "sampler-without-host-network",
        "debugfs-without-kernel-debug",
        "kernel-debug-with-surge",
    ],
)
def test_inconsistent_values_fail_with_what_to_set(sets: list[str], says: str) -> None:
    argv: list[Any] = [tool("helm"), "template", "ktcp", CHART]
    for assignment in sets:
        argv += ["--set", assignment]
    done = run(argv)
    assert done.returncode != 0
    assert says in done.stderr, done.stderr


def test_packaged_chart_carries_the_example_fluentd_config(tmp_path: Path) -> None:
    # files/forward.conf links to examples/fluentd/forward.conf; the package holds its text.
    done = run([tool("helm"), "package", CHART, "-d", tmp_path])
    assert done.returncode == 0, done.stderr
    (package,) = tmp_path.glob("ktcp-*.tgz")
    sets = ["--set", "output.type=fluentd", "--set", "aggregator.enabled=true"]
    from_package = run([tool("helm"), "template", "ktcp", package, *sets])
    from_tree = run([tool("helm"), "template", "ktcp", CHART, *sets])
    assert from_package.returncode == 0, from_package.stderr
    assert from_package.stdout == from_tree.stdout
    assert "write_operation create" in from_package.stdout
