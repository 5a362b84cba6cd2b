"""What the rendered objects promise: read-only host mounts, secrets kept out of arguments and
ConfigMaps, the security context, labels, probes, and pods that roll when their config changes."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from pipeline.version import PARSER_VERSION

from .conftest import (
    CHART,
    CI_VALUES,
    REPO,
    SERVICE_MONITOR_API,
    ci_id,
    find,
    render,
    values_of,
)

MATRIX = [None, *CI_VALUES]
# Environment variables that carry credentials: only ever from a Secret.
SECRET_ENV = {
    "KTCP_ES_API_KEY",
    "KTCP_ES_PASSWORD",
    "ES_API_KEY",
    "ES_PASSWORD",
    "KTCP_FLUENTD_SHARED_KEY",
    "KTCP_FLUENTD_PASSWORD",
}
RECOMMENDED_LABELS = (
    "app.kubernetes.io/name",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/version",
    "app.kubernetes.io/managed-by",
    "helm.sh/chart",
)


def pod_specs(docs: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{d['kind']}/{d['metadata']['name']}", d["spec"]["template"]["spec"])
        for d in docs
        if d["kind"] in ("DaemonSet", "StatefulSet", "Job")
    ]


def containers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [*spec.get("initContainers", []), *spec["containers"]]


def agent(docs: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    spec = find(docs, "DaemonSet")["spec"]["template"]["spec"]
    (container,) = [c for c in spec["containers"] if c["name"] == "agent"]
    return spec, container


def test_app_version_is_the_package_version() -> None:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    # the build reads the version from pipeline/version.py (its one home)
    assert project["project"]["dynamic"] == ["version"]
    assert project["tool"]["setuptools"]["dynamic"]["version"]["attr"] == (
        "pipeline.version.PARSER_VERSION"
    )
    assert chart["appVersion"] == PARSER_VERSION
    assert chart["kubeVersion"].startswith(">=")


@pytest.mark.parametrize("values", MATRIX, ids=ci_id)
def test_host_paths_are_read_only_except_state_and_asked_for_debugfs(values: Path | None) -> None:
    spec, container = agent(render(values))
    host = {v["name"]: v["hostPath"] for v in spec["volumes"] if "hostPath" in v}
    assert host["state"] == {"path": "/var/lib/ktcp", "type": "DirectoryOrCreate"}
    debugfs = values_of(values)["agent"]["kernelDebug"]["debugfs"]
    writable = {"state", "debugfs"} if debugfs else {"state"}
    for c in containers(spec):
        for mount in c["volumeMounts"]:
            if mount["name"] in host and mount["name"] not in writable:
                assert mount.get("readOnly") is True, f"{c['name']} mounts {mount} writable"
    mounted = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    assert mounted["/var/lib/ktcp"] == "state"
    if debugfs:
        # --enable-kernel-debug writes dynamic_debug/control there (kernels before 5.9).
        assert host[mounted["/sys/kernel/debug"]] == {
            "path": "/sys/kernel/debug",
            "type": "Directory",
        }
        (mount,) = [m for m in container["volumeMounts"] if m["name"] == "debugfs"]
        assert not mount.get("readOnly"), "the control file is written"
    else:
        assert "debugfs" not in host, "no debugfs unless asked for"
    source = values_of(values)["agent"]["source"]
    if source in ("auto", "journald"):
        # /var/log/journal is reached through /var/log (see _agent.tpl for why).
        assert host[mounted["/var/log"]]["path"] == "/var/log"
        assert host[mounted["/run/log/journal"]]["path"] == "/run/log/journal"
        assert host[mounted["/etc/machine-id"]] == {"path": "/etc/machine-id", "type": "File"}
    if source == "kmsg":
        assert host[mounted["/dev/kmsg"]] == {"path": "/dev/kmsg", "type": "CharDevice"}
        assert "/var/log" not in mounted, "kmsg needs no log files"
    else:
        assert "/dev/kmsg" not in mounted


def _secret_values(values: dict[str, Any]) -> list[str]:
    auth = values["output"]["elasticsearch"]["auth"]
    return [s for s in (auth["apiKey"], auth["password"]) if s]


@pytest.mark.parametrize("values", MATRIX, ids=ci_id)
def test_no_secret_value_in_a_configmap_an_argument_or_a_plain_env(values: Path | None) -> None:
    docs = render(values, api_versions=[SERVICE_MONITOR_API])
    secrets = _secret_values(values_of(values))
    exposed = [yaml.safe_dump(d.get("data", {})) for d in docs if d["kind"] == "ConfigMap"]
    for _, spec in pod_specs(docs):
        for c in containers(spec):
            exposed += [*c.get("command", []), *c.get("args", [])]
            exposed += [e.get("value", "") for e in c.get("env", [])]
            for env in c.get("env", []):
                if env["name"] in SECRET_ENV:
                    assert "secretKeyRef" in env.get("valueFrom", {}), env
    for secret in secrets:
        assert not any(secret in text for text in exposed), "a credential left its Secret"
    if secrets:
        stored = find(docs, "Secret")["data"]
        assert len(stored) == len(secrets) + (
            values_of(values)["output"]["elasticsearch"]["auth"]["method"] == "basic"
        )


@pytest.mark.parametrize("values", MATRIX, ids=ci_id)
def test_security_context_gives_each_source_only_what_it_needs(values: Path | None) -> None:
    spec, container = agent(render(values))
    v = values_of(values)
    pod, sc = spec["securityContext"], container["securityContext"]
    assert pod["seccompProfile"] == {"type": "RuntimeDefault"}
    assert sc["readOnlyRootFilesystem"] is True
    assert sc["capabilities"]["drop"] == ["ALL"]
    assert spec["automountServiceAccountToken"] is False
    if v["agent"]["kernelDebug"]["enabled"]:
        # The control file is root's; the runtime's AppArmor/SELinux profile forbids an
        # unprivileged container to write it.
        assert sc["privileged"] is True and sc["runAsUser"] == 0 and sc["runAsNonRoot"] is False
        assert "allowPrivilegeEscalation" not in sc
        assert "initContainers" not in spec
    elif v["agent"]["source"] != "kmsg":
        assert pod["runAsNonRoot"] is True and pod["runAsUser"] != 0
        assert "runAsUser" not in sc and not sc.get("privileged")
        assert sc["allowPrivilegeEscalation"] is False
        assert "add" not in sc["capabilities"]
        assert {4, 190} <= set(pod["supplementalGroups"]), "journal and /var/log group access"
        (init,) = spec["initContainers"]
        assert init["securityContext"]["capabilities"] == {
            "drop": ["ALL"],
            "add": ["CHOWN", "FOWNER", "DAC_READ_SEARCH"],
        }
        assert (
            f"chown -R {pod['runAsUser']}:{pod['runAsGroup']} /var/lib/ktcp" in init["command"][-1]
        )
    elif v["agent"]["kmsg"]["privileged"]:
        assert sc["privileged"] is True and sc["runAsUser"] == 0
        assert "allowPrivilegeEscalation" not in sc
        assert "initContainers" not in spec
    else:
        assert sc["runAsUser"] == 0 and sc["runAsNonRoot"] is False
        assert sc["capabilities"]["add"] == ["SYSLOG"]
        assert sc["allowPrivilegeEscalation"] is False and not sc.get("privileged")


@pytest.mark.parametrize("values", MATRIX, ids=ci_id)
def test_every_object_has_the_recommended_labels(values: Path | None) -> None:
    docs = render(values, api_versions=[SERVICE_MONITOR_API])
    for doc in docs:
        labels = doc["metadata"]["labels"]
        missing = [k for k in RECOMMENDED_LABELS if k not in labels]
        assert not missing, f"{doc['kind']}/{doc['metadata']['name']} lacks {missing}"
    for doc in docs:
        if doc["kind"] in ("DaemonSet", "StatefulSet"):
            selector = doc["spec"]["selector"]["matchLabels"]
            assert set(selector) == {"app.kubernetes.io/name", "app.kubernetes.io/instance"}
            pod_labels = doc["spec"]["template"]["metadata"]["labels"]
            assert selector.items() <= pod_labels.items()
    workloads = [d for d in docs if d["kind"] in ("DaemonSet", "StatefulSet")]
    selectors = [w["spec"]["selector"]["matchLabels"] for w in workloads]
    for w in workloads:
        matched = [
            s for s in selectors if s.items() <= w["spec"]["template"]["metadata"]["labels"].items()
        ]
        assert len(matched) == 1, "one workload's selector matches another's pods"


@pytest.mark.parametrize("values", MATRIX, ids=ci_id)
def test_probes_and_metrics_point_at_the_agent_endpoint(values: Path | None) -> None:
    _spec, container = agent(render(values))
    args = container["args"]
    port = values_of(values)["agent"]["http"]["port"]
    assert args[args.index("--http") + 1] == f"0.0.0.0:{port}"
    assert container["ports"] == [{"name": "http", "containerPort": port, "protocol": "TCP"}]
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    annotations = find(render(values), "DaemonSet")["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/port"] == str(port)


@pytest.mark.parametrize("values", MATRIX, ids=ci_id)
def test_sampler_and_kernel_debug_only_when_asked_for(values: Path | None) -> None:
    spec, container = agent(render(values))
    a = values_of(values)["agent"]
    args = container["args"]
    if a["hostNetwork"]:
        assert spec["hostNetwork"] is True
        assert spec["dnsPolicy"] == "ClusterFirstWithHostNet", "Service names must resolve"
    else:
        assert "hostNetwork" not in spec and "dnsPolicy" not in spec
    if a["sampler"]["interval"]:
        assert spec["hostNetwork"] is True, "the sampler sees only the pod's sockets without it"
        assert args[args.index("--sample-interval") + 1] == str(a["sampler"]["interval"])
    else:
        assert "--sample-interval" not in args
    assert ("--enable-kernel-debug" in args) is a["kernelDebug"]["enabled"]


def test_kernel_debug_keeps_the_sources_own_mounts_and_the_kmsg_privilege() -> None:
    spec, container = agent(render(None, "agent.source=kmsg", "agent.kmsg.privileged=false"))
    assert container["securityContext"]["capabilities"]["add"] == ["SYSLOG"]
    assert not container["securityContext"].get("privileged")
    spec, container = agent(
        render(
            None,
            "agent.source=kmsg",
            "agent.kmsg.privileged=false",
            "agent.kernelDebug.enabled=true",
        )
    )
    assert container["securityContext"]["privileged"] is True
    assert "/dev/kmsg" in {m["mountPath"] for m in container["volumeMounts"]}
    assert "debugfs" not in {v["name"] for v in spec["volumes"]}


def test_default_tolerations_reach_every_node_and_can_be_narrowed() -> None:
    spec, _ = agent(render())
    assert spec["tolerations"] == [{"operator": "Exists"}]
    narrowed = next(p for p in CI_VALUES if "tolerations" in p.name)
    spec, container = agent(render(narrowed))
    assert spec["tolerations"] == values_of(narrowed)["tolerations"]
    assert container["resources"] == values_of(narrowed)["resources"]
    assert spec["priorityClassName"] == "system-node-critical"


def _pod_annotations(*sets: str) -> dict[str, str]:
    docs = render(None, *sets)
    annotations: dict[str, str] = find(docs, "DaemonSet")["spec"]["template"]["metadata"][
        "annotations"
    ]
    return annotations


def test_pods_roll_when_their_config_or_credentials_change() -> None:
    base = _pod_annotations("enrichment.ispOverrides=cidr\\,isp")
    changed = _pod_annotations("enrichment.ispOverrides=cidr\\,isp\\,isp_local")
    assert base["checksum/config"] != changed["checksum/config"]
    assert (
        base["checksum/config"]
        == _pod_annotations("enrichment.ispOverrides=cidr\\,isp")["checksum/config"]
    )
    basic = ("output.elasticsearch.auth.method=basic", "output.elasticsearch.auth.username=u")
    one = _pod_annotations(*basic, "output.elasticsearch.auth.password=first")
    two = _pod_annotations(*basic, "output.elasticsearch.auth.password=second")
    assert one["checksum/secret"] != two["checksum/secret"]
    assert one["checksum/config"] == two["checksum/config"]


def test_no_role_is_created_and_no_token_is_mounted() -> None:
    docs = render(
        next(p for p in CI_VALUES if "aggregator" in p.name), api_versions=[SERVICE_MONITOR_API]
    )
    assert not [
        d for d in docs if d["kind"] in ("Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding")
    ]
    assert find(docs, "ServiceAccount")["automountServiceAccountToken"] is False
    for name, spec in pod_specs(docs):
        assert spec["automountServiceAccountToken"] is False, name


def test_service_monitor_only_where_the_operator_serves_it() -> None:
    aggregator = next(p for p in CI_VALUES if "aggregator" in p.name)
    assert not [d for d in render(aggregator) if d["kind"] == "ServiceMonitor"]
    docs = render(aggregator, api_versions=[SERVICE_MONITOR_API])
    monitor = find(docs, "ServiceMonitor")
    service = find(docs, "Service", "-metrics")
    assert monitor["metadata"]["labels"]["release"] == "prometheus"
    assert (
        monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    )
    assert monitor["spec"]["endpoints"][0]["port"] == service["spec"]["ports"][0]["name"]


def test_setup_job_runs_elasticsearch_then_kibana_after_install_and_upgrade() -> None:
    with_kibana = next(p for p in CI_VALUES if "journald" in p.name)
    job = find(render(with_kibana), "Job")
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "post-install,post-upgrade"
    spec = job["spec"]["template"]["spec"]
    (first,) = spec["initContainers"]
    (second,) = spec["containers"]
    assert first["command"] == ["ktcp", "setup", "elasticsearch"]
    assert second["command"] == ["ktcp", "setup", "kibana"]
    assert second["args"] == [
        "--url",
        "https://quickstart-kb-http.elastic-system.svc:5601",
        "--space",
        "platform",
        "--ca-certs",
        "/etc/ktcp/kibana-ca/ca.crt",
    ]
    for step in (first, second):
        secrets = {e["valueFrom"]["secretKeyRef"]["name"] for e in step["env"]}
        assert secrets == {"ktcp-setup-credentials"}, "setup has its own, stronger credentials"
    mounts = {m["mountPath"]: m["name"] for m in second["volumeMounts"]}
    volumes = {v["name"]: v for v in spec["volumes"]}
    assert volumes[mounts["/etc/ktcp/kibana-ca"]]["secret"]["secretName"] == (
        "quickstart-kb-http-certs-public"
    )
    assert not [d for d in render(None, "setup.enabled=false") if d["kind"] == "Job"]
    (only,) = find(render(None), "Job")["spec"]["template"]["spec"]["containers"]
    assert only["command"] == ["ktcp", "setup", "elasticsearch"]


def test_chart_runs_the_images_own_unprivileged_user() -> None:
    dockerfile = (REPO / "Dockerfile").read_text()
    user = dockerfile.split("\nUSER ", 1)[1].split()[0]
    assert user == "10001:10001"
    assert '\nENTRYPOINT ["ktcp"]' in dockerfile
    docs = render(None)
    pod = find(docs, "DaemonSet")["spec"]["template"]["spec"]["securityContext"]
    job = find(docs, "Job")["spec"]["template"]["spec"]["securityContext"]
    assert f"{pod['runAsUser']}:{pod['runAsGroup']}" == user
    assert f"{job['runAsUser']}:{job['runAsGroup']}" == user and job["runAsNonRoot"] is True


@pytest.mark.parametrize("values", MATRIX, ids=ci_id)
def test_every_file_an_argument_names_is_mounted(values: Path | None) -> None:
    docs = render(values)
    claims = {
        f"{d['kind']}/{d['metadata']['name']}": {
            c["metadata"]["name"] for c in d["spec"].get("volumeClaimTemplates", [])
        }
        for d in docs
        if d["kind"] == "StatefulSet"
    }
    for name, spec in pod_specs(docs):
        volumes = {v["name"] for v in spec["volumes"]} | claims.get(name, set())
        for c in containers(spec):
            mounts = {m["mountPath"]: m["name"] for m in c.get("volumeMounts", [])}
            assert set(mounts.values()) <= volumes, f"{name}: a mount names no volume"
            for arg in c.get("args", []):
                if arg.startswith("/etc/ktcp/"):
                    directory = arg.rpartition("/")[0]
                    assert directory in mounts, f"{name}/{c['name']}: {arg} is not mounted"


@pytest.mark.parametrize(
    "strategy",
    [[], ["updateStrategy=null"], ["updateStrategy.rollingUpdate.maxSurge=0"]],
    ids=["default", "no-strategy", "surge-zero"],
)
def test_kernel_debug_renders_with_every_strategy_that_adds_no_pod(strategy: list[str]) -> None:
    # Only a surge (a second agent beside the old one on a node) is refused; see test_lint.
    _spec, container = agent(render(None, "agent.kernelDebug.enabled=true", *strategy))
    assert "--enable-kernel-debug" in container["args"]
