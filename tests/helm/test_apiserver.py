"""Every ci values file against a real Kubernetes API server (etcd + kube-apiserver on loopback):
server-side dry run of the rendered manifests, then a real helm install, upgrade and uninstall.

The dry run catches what schemas cannot: enum values, mounts naming missing volumes, selectors
that do not match their pod templates. `helm install --dry-run=server` does not validate, so it
is not used. There is no controller-manager, so the test plays the Job controller for the setup
hook: it marks the Job complete, as the real one would after `ktcp setup` exits 0.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from .cluster import ApiServer, esnode
from .conftest import CHART, CI_VALUES, TOOLS_BIN, ci_id, helm_template, tool, values_of

RELEASE = "ktcp"
HOOK_TIMEOUT_SECS = 120.0


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    for name in ("etcd", "kube-apiserver", "kubectl", "helm"):
        tool(name)
    server = ApiServer(TOOLS_BIN, tmp_path_factory.mktemp("apiserver"))
    server.start()
    pids = server.pids()
    try:
        yield server
    finally:
        server.stop()
        left = [pid for pid in pids if esnode._running(pid)]
        assert not left, f"etcd or kube-apiserver still running: {left}"


def helm(cluster: ApiServer, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(TOOLS_BIN / "helm"), *args],
        env=cluster.environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(proc: subprocess.Popen[str], what: str) -> str:
    output, errors = proc.communicate(timeout=HOOK_TIMEOUT_SECS + 60)
    assert proc.returncode == 0, f"{what} failed:\n{output}{errors}"
    return output


def complete_setup_job(cluster: ApiServer, namespace: str, job: str, previous_uid: str) -> str:
    """Do what the Job controller would once the pod succeeded: mark the hook Job complete."""
    deadline = time.monotonic() + HOOK_TIMEOUT_SECS
    while True:
        got = cluster.kubectl("-n", namespace, "get", "job", job, "-o", "json")
        if got.returncode == 0:
            uid = json.loads(got.stdout)["metadata"]["uid"]
            if uid != previous_uid:
                break
        assert time.monotonic() < deadline, f"helm created no hook Job {job}"
        time.sleep(0.2)
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    condition = {"status": "True", "lastProbeTime": now, "lastTransitionTime": now}
    status = {
        "status": {
            "startTime": now,
            "completionTime": now,
            "succeeded": 1,
            "ready": 0,
            "conditions": [
                {**condition, "type": "SuccessCriteriaMet", "reason": "CompletionsReached"},
                {**condition, "type": "Complete", "reason": "CompletionsReached"},
            ],
        }
    }
    patched = cluster.kubectl(
        "-n",
        namespace,
        "patch",
        "job",
        job,
        "--subresource=status",
        "--type=merge",
        "-p",
        json.dumps(status),
    )
    assert patched.returncode == 0, patched.stderr
    return str(uid)


def run_release(cluster: ApiServer, namespace: str, setup: bool, *helm_args: str) -> str:
    proc = helm(cluster, *helm_args, "-n", namespace, "--timeout", f"{HOOK_TIMEOUT_SECS:.0f}s")
    if setup:
        try:
            previous = cluster.kubectl(
                "-n", namespace, "get", "job", f"{RELEASE}-setup", "-o", "jsonpath={.metadata.uid}"
            ).stdout
            complete_setup_job(cluster, namespace, f"{RELEASE}-setup", previous)
        except BaseException:
            proc.kill()
            proc.communicate()
            raise
    return finish(proc, " ".join(helm_args[:2]))


@pytest.mark.parametrize("values", CI_VALUES, ids=ci_id)
def test_server_accepts_then_installs_upgrades_and_uninstalls(
    values: Path, cluster: ApiServer, tmp_path: Path
) -> None:
    namespace = f"ci-{values.stem}"[:63]
    created = cluster.kubectl("create", "namespace", namespace)
    assert created.returncode == 0, created.stderr

    manifest = tmp_path / "rendered.yaml"
    manifest.write_text(helm_template([values], namespace=namespace, release=RELEASE))
    dry = cluster.kubectl("-n", namespace, "apply", "--dry-run=server", "-f", str(manifest))
    assert dry.returncode == 0, f"the API server rejected the manifests:\n{dry.stderr}"
    assert "(server dry run)" in dry.stdout

    setup = bool(values_of(values)["setup"]["enabled"])
    run_release(cluster, namespace, setup, "install", RELEASE, str(CHART), "-f", str(values))
    daemonset = json.loads(
        cluster.kubectl("-n", namespace, "get", "daemonset", RELEASE, "-o", "json").stdout
    )
    assert daemonset["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "Helm"

    run_release(
        cluster,
        namespace,
        setup,
        "upgrade",
        RELEASE,
        str(CHART),
        "-f",
        str(values),
        "--set",
        "podAnnotations.ktcp-test/upgraded=yes",
    )
    template = json.loads(
        cluster.kubectl("-n", namespace, "get", "daemonset", RELEASE, "-o", "json").stdout
    )["spec"]["template"]
    assert template["metadata"]["annotations"]["ktcp-test/upgraded"] == "yes"
    history = helm(cluster, "history", RELEASE, "-n", namespace, "-o", "json")
    assert [r["status"] for r in json.loads(finish(history, "helm history"))][-1] == "deployed"

    finish(helm(cluster, "uninstall", RELEASE, "-n", namespace, "--wait"), "helm uninstall")
    left = cluster.kubectl(
        "-n",
        namespace,
        "get",
        "daemonset,statefulset,service,configmap,secret,serviceaccount",
        "-l",
        f"app.kubernetes.io/instance={RELEASE}",
        "-o",
        "name",
    )
    assert left.returncode == 0 and left.stdout.strip() == "", left.stdout


def test_the_dry_run_rejects_what_schemas_let_through(cluster: ApiServer, tmp_path: Path) -> None:
    namespace = "ci-broken"
    assert cluster.kubectl("create", "namespace", namespace).returncode == 0
    rendered = helm_template([], namespace=namespace, release=RELEASE)
    for broken, says in (
        (rendered.replace("type: DirectoryOrCreate", "type: DirOrCreate"), "DirOrCreate"),
        (
            rendered.replace(
                "- name: state\n          hostPath", "- name: stat\n          hostPath"
            ),
            "state",
        ),
    ):
        assert broken != rendered
        manifest = tmp_path / "broken.yaml"
        manifest.write_text(broken)
        dry = cluster.kubectl("-n", namespace, "apply", "--dry-run=server", "-f", str(manifest))
        assert dry.returncode != 0 and says in dry.stderr, dry.stderr
