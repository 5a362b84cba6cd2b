"""The chart's agent command line is one `ktcp agent` accepts.

The image cannot be built here, so each ci values file's DaemonSet is rendered and its
container's command, arguments and environment are run on this machine with --check-config:
the chart can never pass a flag, a value or a KTCP_* variable the agent rejects.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from .conftest import CI_VALUES, REPO, ci_id, find, render, run, values_of

NODE_NAME = "node-7.example.internal"
_REFERENCE = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")


def container_environment(container: dict[str, Any]) -> dict[str, str]:
    """What the kubelet would set: literal values, the node name, and Secret keys (stand-ins)."""
    env: dict[str, str] = {}
    for item in container.get("env", []):
        if "value" in item:
            env[item["name"]] = item["value"]
            continue
        source = item["valueFrom"]
        if "fieldRef" in source:
            assert source["fieldRef"]["fieldPath"] == "spec.nodeName"
            env[item["name"]] = NODE_NAME
        else:
            key = source["secretKeyRef"]["key"]
            env[item["name"]] = f"secret-{key}"
    assert not container.get("envFrom"), "envFrom cannot be resolved here"
    return env


def expand(arg: str, env: dict[str, str]) -> str:
    """Kubernetes' $(VAR) expansion of command and args (unknown references stay as written)."""
    return _REFERENCE.sub(lambda m: env.get(m[1], m[0]), arg)


def mounted_files(
    docs: list[dict[str, Any]], spec: dict[str, Any], container: dict[str, Any], into: Path
) -> dict[str, str]:
    """Stand-ins for the files the pod gets from ConfigMaps and Secrets: {pod path: local path}.

    ConfigMap files get their rendered content; Secret files (certificates) a placeholder.
    """
    volumes = {v["name"]: v for v in spec["volumes"]}
    config_maps = {d["metadata"]["name"]: d for d in docs if d["kind"] == "ConfigMap"}
    files: dict[str, str] = {}
    for mount in container["volumeMounts"]:
        volume = volumes[mount["name"]]
        if "configMap" in volume:
            data = config_maps[volume["configMap"]["name"]]["data"]
        elif "secret" in volume:
            data = {}  # keys unknown until the Secret exists; any name under the mount
        else:
            continue
        directory = into / mount["name"]
        directory.mkdir()
        for key, text in data.items():
            (directory / key).write_text(text)
        files[mount["mountPath"]] = str(directory)
    return files


def localise(arg: str, files: dict[str, str]) -> str:
    for pod_dir, local_dir in files.items():
        if arg.startswith(pod_dir + "/"):
            local = Path(local_dir) / arg.removeprefix(pod_dir + "/")
            if not local.exists():
                local.write_text("stand-in for a file of a mounted Secret\n")
            return str(local)
    return arg


@pytest.mark.parametrize("values", [None, *CI_VALUES], ids=ci_id)
def test_agent_accepts_the_rendered_command_line(values: Path | None, tmp_path: Path) -> None:
    docs = render(values)
    spec = find(docs, "DaemonSet")["spec"]["template"]["spec"]
    (container,) = spec["containers"]
    env = container_environment(container)
    files = mounted_files(docs, spec, container, tmp_path)
    command = [expand(a, env) for a in container["command"]]
    args = [localise(expand(a, env), files) for a in container["args"]]
    assert command[0] == "ktcp", "the image's entrypoint is the ktcp console script"
    if "--enable-kernel-debug" in args:
        # The node's dynamic debug control file: a stand-in here, where the kernel has none.
        control = tmp_path / "dynamic_debug_control"
        control.write_text("")
        args += ["--kernel-debug-control", str(control)]
    machine = {k: v for k, v in os.environ.items() if not k.startswith("KTCP_")}
    machine["PYTHONPATH"] = str(REPO)
    done = run(
        [sys.executable, "-m", "pipeline.cli", *command[1:], *args, "--check-config"],
        env={**machine, **env},
        cwd=REPO,
    )
    assert done.returncode == 0, f"ktcp agent rejected the chart's command line:\n{done.stderr}"
    settings = json.loads(done.stdout)

    chart = values_of(values)
    output = chart["output"]
    assert settings["source"] == chart["agent"]["source"]
    assert settings["state_dir"] == "/var/lib/ktcp"
    assert settings["host"] == NODE_NAME
    assert settings["http"] == f"0.0.0.0:{chart['agent']['http']['port']}"
    assert settings["log_format"] == chart["agent"]["logFormat"]
    if output["type"] == "elasticsearch":
        assert settings["elasticsearch"] == output["elasticsearch"]["url"]
        method = output["elasticsearch"]["auth"]["method"]
        assert (settings["api_key"] == "***") is (method == "apiKey")
        assert (settings["password"] == "***") is (method == "basic")
        if method == "basic":
            assert (
                settings["user"]
                == f"secret-{output['elasticsearch']['auth']['secretKeys']['username']}"
            )
        assert settings["insecure"] is not output["elasticsearch"]["tls"]["verify"]
        if output["elasticsearch"]["tls"]["caSecret"]:
            assert settings["ca_certs"].endswith("/" + output["elasticsearch"]["tls"]["caKey"])
    elif output["type"] == "fluentd":
        fluentd = output["fluentd"]
        assert settings["fluentd"] == (
            f"{fluentd['host']}:{fluentd['port']}"
            if fluentd["host"]
            else f"ktcp-aggregator.kube-logging.svc:{chart['aggregator']['port']}"
        )
        tls, security = fluentd["tls"], fluentd["security"]
        assert settings["fluentd_tls"] is tls["enabled"]
        assert settings["fluentd_tls_insecure"] is (tls["enabled"] and not tls["verify"])
        if tls["enabled"] and tls["caSecret"]:
            assert settings["fluentd_ca"].endswith("/" + tls["caKey"])
        if tls["enabled"] and tls["clientCertSecret"]:
            assert settings["fluentd_client_cert"].endswith("/tls.crt")
            assert settings["fluentd_client_key"].endswith("/tls.key")
        assert settings["fluentd_server_name"] == (tls["serverName"] or None)
        if security["existingSecret"]:
            assert settings["fluentd_shared_key"] == "***"
            assert settings["fluentd_hostname"] == NODE_NAME
            if security["usernameKey"]:
                assert settings["fluentd_username"] == f"secret-{security['usernameKey']}"
                assert settings["fluentd_password"] == "***"
        else:
            assert settings["fluentd_shared_key"] is None
    else:
        assert settings["stdout"] is True
    if chart["agent"]["source"] == "file":
        assert settings["path"] == chart["agent"]["paths"]
    assert settings["sample_interval"] == (chart["agent"]["sampler"]["interval"] or None)
    assert settings["enable_kernel_debug"] is chart["agent"]["kernelDebug"]["enabled"]
    if chart["enrichment"]["ispOverrides"]:
        assert settings["isp_overrides"] == files["/etc/ktcp/config"] + "/isp-overrides.csv"


@pytest.mark.parametrize(
    "values", [None, *[p for p in CI_VALUES if values_of(p)["setup"]["enabled"]]], ids=ci_id
)
def test_setup_job_steps_are_command_lines_ktcp_setup_accepts(
    values: Path | None, tmp_path: Path
) -> None:
    from pipeline.commands.setup import setup_command

    spec = find(render(values), "Job")["spec"]["template"]["spec"]
    steps = [*spec.get("initContainers", []), *spec["containers"]]
    assert next(s["command"][:2] for s in steps) == ["ktcp", "setup"]
    for step in steps:
        command, args = step["command"], list(step["args"])
        # CA files exist only in the pod (a mounted Secret); a stand-in of the same name here.
        mounted = {m["mountPath"] for m in step.get("volumeMounts", [])}
        if "--ca-certs" in args:
            at = args.index("--ca-certs") + 1
            assert args[at].rpartition("/")[0] in mounted, f"{args[at]} is not mounted"
            stand_in = tmp_path / Path(args[at]).name
            stand_in.write_text("")
            args[at] = str(stand_in)
        if command[2] not in setup_command.commands:
            pytest.fail(f"the setup Job runs `ktcp setup {command[2]}`, which does not exist")
        subcommand = setup_command.commands[command[2]]
        env = container_environment(step)
        ctx = subcommand.make_context(command[2], list(args))  # raises on a flag it does not know
        assert ctx.params["url"] == args[args.index("--url") + 1]
        assert set(env) <= {"KTCP_ES_API_KEY", "KTCP_ES_USER", "KTCP_ES_PASSWORD"}
