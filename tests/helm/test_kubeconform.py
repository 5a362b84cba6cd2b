"""Every rendered manifest passes kubeconform -strict for each Kubernetes release in the chart's
kubeVersion range that kubernetes-validate (PyPI) ships schemas for.

kubeconform fetches schemas from the internet by default; here it reads kubernetes-validate's
strict schemas, rewritten so that their references resolve locally (no absolute $id, $ref
relative to the directory).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from .conftest import CHART, CI_VALUES, SERVICE_MONITOR_API, helm_template, run, tool

SCHEMAS = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
NEWEST_MINORS_REQUIRED = 4


def _minor(version: str) -> tuple[int, int]:
    major, minor = re.findall(r"\d+", version)[:2]
    return int(major), int(minor)


def versions_in_range() -> list[str]:
    """x.y.0 releases with schemas, from the chart's declared minimum up."""
    floor = _minor(yaml.safe_load((CHART / "Chart.yaml").read_text())["kubeVersion"])
    shipped = sorted(
        {p.name.removeprefix("v").split("-")[0] for p in SCHEMAS.glob("v*-local-strict")},
        key=_minor,
    )
    return [v for v in shipped if _minor(v) >= floor]


VERSIONS = versions_in_range()


def test_the_newest_releases_of_the_range_are_checked() -> None:
    assert len(VERSIONS) >= NEWEST_MINORS_REQUIRED, VERSIONS
    assert VERSIONS[-1] == max(VERSIONS, key=_minor)


@pytest.fixture(scope="module")
def manifests(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    out = tmp_path_factory.mktemp("manifests")
    paths = []
    for values in [None, *CI_VALUES]:
        name = values.stem if values else "defaults"
        text = helm_template([values] if values else [], api_versions=[SERVICE_MONITOR_API])
        path = out / f"{name}.yaml"
        path.write_text(text)
        paths.append(path)
    return paths


def schema_file(doc: dict[str, Any]) -> str:
    """kubeconform's file name for an object's schema: kind, first group label, version."""
    group, _, version = doc["apiVersion"].rpartition("/")
    suffix = f"-{group.split('.')[0]}" if group else ""
    return f"{doc['kind'].lower()}{suffix}-{version}.json"


def local_schemas(version: str, into: Path, manifests: list[Path]) -> Path:
    """kubernetes-validate's strict schemas for `version` (the kinds rendered, and the shared
    definitions), with references made local."""
    source = SCHEMAS / f"v{version}-local-strict"
    target = into / f"v{version}"
    target.mkdir(parents=True, exist_ok=True)
    names = {"_definitions.json"}
    for manifest in manifests:
        names |= {schema_file(d) for d in yaml.safe_load_all(manifest.read_text()) if d}
    for name in names:
        if not (source / name).exists():
            continue  # a kind without a schema (ServiceMonitor) is skipped by name below
        text = (
            (source / name).read_text().replace('"/api/_definitions.json#', '"_definitions.json#')
        )
        schema = json.loads(text)
        schema.pop("$id", None)
        (target / name).write_text(json.dumps(schema))
    return target


def kubeconform(version: str, schemas: Path, files: list[Path]) -> tuple[int, str]:
    done = run(
        [
            tool("kubeconform"),
            "-strict",
            "-summary",
            "-kubernetes-version",
            version,
            "-schema-location",
            f"{schemas}/{{{{ .ResourceKind }}}}{{{{ .KindSuffix }}}}.json",
            "-skip",
            "ServiceMonitor",  # a prometheus-operator CRD; no schema ships with Kubernetes
            *files,
        ]
    )
    return done.returncode, done.stdout + done.stderr


@pytest.mark.parametrize("version", VERSIONS)
def test_rendered_manifests_are_valid_for(
    version: str, manifests: list[Path], tmp_path: Path
) -> None:
    code, output = kubeconform(version, local_schemas(version, tmp_path, manifests), manifests)
    assert code == 0, output
    assert re.search(r"Valid: [1-9]\d*, Invalid: 0, Errors: 0", output), output


def test_kubeconform_with_these_schemas_rejects_an_unknown_field(
    manifests: list[Path], tmp_path: Path
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(manifests[0].read_text().replace("readOnly: true", "readonly: true"))
    assert "readonly: true" in broken.read_text()
    schemas = local_schemas(VERSIONS[-1], tmp_path, [broken])
    code, output = kubeconform(VERSIONS[-1], schemas, [broken])
    assert code != 0 and "readonly" in output, output
