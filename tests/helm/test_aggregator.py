"""The aggregator runs examples/fluentd/forward.conf: same sections and settings, with only the
cluster address, TLS verification, CA file and credential lines adapted to the values."""

from __future__ import annotations

import importlib.util
import re
import sys
from types import ModuleType
from typing import Any

import pytest

from .conftest import CI_VALUES, REPO, find, render

FORWARD_CONF = REPO / "examples" / "fluentd" / "forward.conf"
AGGREGATOR = next(p for p in CI_VALUES if "aggregator" in p.name)
SITE_SPECIFIC = {"hosts", "ssl_verify", "ca_file", "user", "password", "api_key"}


def _fluentd_lint() -> ModuleType:
    # The examples' own Fluentd config reader, loaded by path (test modules are not a package).
    path = REPO / "tests" / "examples" / "test_fluentd_configs.py"
    spec = importlib.util.spec_from_file_location("ktcp_fluentd_lint", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


parse_config = _fluentd_lint().parse_config


def tree(section: Any, drop: set[str] = SITE_SPECIFIC) -> Any:
    """A section as comparable data, without the site-specific parameters."""
    params = {k: v for k, v in section.params.items() if k not in drop}
    return (section.name, section.arg, params, [tree(c, drop) for c in section.children])


def elasticsearch_output(root: Any) -> dict[str, str]:
    (output,) = [s for s in root.walk() if s.type() == "elasticsearch"]
    params: dict[str, str] = output.params
    return params


def aggregator(*sets: str) -> tuple[Any, dict[str, Any]]:
    docs = render(AGGREGATOR, *sets)
    conf = find(docs, "ConfigMap", "-aggregator")["data"]["fluent.conf"]
    return parse_config(conf), find(docs, "StatefulSet", "-aggregator")


VARIANTS = {
    "basic-with-ca": (),
    "api-key-public-ca": (
        "output.elasticsearch.auth.method=apiKey",
        "output.elasticsearch.auth.apiKey=a2V5",
        "output.elasticsearch.tls.caSecret=",
    ),
    "no-auth-unverified": (
        "output.elasticsearch.auth.method=none",
        "output.elasticsearch.tls.verify=false",
        "output.elasticsearch.url=http://es.test:9200",
    ),
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_fluent_conf_has_the_example_settings(variant: str) -> None:
    example = parse_config(FORWARD_CONF.read_text())
    rendered, _ = aggregator(*VARIANTS[variant])
    assert tree(rendered) == tree(example)


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_only_address_tls_and_credentials_follow_the_values(variant: str) -> None:
    rendered, statefulset = aggregator(*VARIANTS[variant])
    es = elasticsearch_output(rendered)
    sets = dict(s.split("=", 1) for s in VARIANTS[variant])
    assert es["hosts"] == sets.get(
        "output.elasticsearch.url", "https://elasticsearch.logging.svc:9200"
    )
    assert es["ssl_verify"] == sets.get("output.elasticsearch.tls.verify", "true")
    method = sets.get("output.elasticsearch.auth.method", "basic")
    assert {k for k in es if k in ("user", "password", "api_key")} == {
        "basic": {"user", "password"},
        "apiKey": {"api_key"},
        "none": set(),
    }[method]
    pod = statefulset["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    if sets.get("output.elasticsearch.tls.caSecret", "elasticsearch-ca"):
        directory, _, _ = es["ca_file"].rpartition("/")
        assert mounts[directory] == "elasticsearch-ca"
    else:
        assert "ca_file" not in es
    # Every variable the config reads comes from the credentials Secret.
    env = {e["name"]: e for e in container["env"]}
    for name in re.findall(r"ENV\['([A-Z_]+)'\]", str(tree(rendered, drop=set()))):
        assert "secretKeyRef" in env[name]["valueFrom"], name


def test_buffer_and_rejected_files_live_on_the_persistent_volume() -> None:
    rendered, statefulset = aggregator()
    (container,) = statefulset["spec"]["template"]["spec"]["containers"]
    buffer_mount = next(m["mountPath"] for m in container["volumeMounts"] if m["name"] == "buffer")
    claim = statefulset["spec"]["volumeClaimTemplates"][0]
    assert claim["metadata"]["name"] == "buffer"
    paths = [s.params["path"] for s in rendered.walk() if s.type() == "file" and "path" in s.params]
    assert paths, "the example buffers on disk"
    for path in paths:
        assert path.startswith(buffer_mount + "/"), f"{path} is not on the buffer volume"
    (source,) = [s for s in rendered.walk() if s.type() == "forward"]
    assert int(source.params["port"]) == container["ports"][0]["containerPort"]
