"""Install the templates idempotently: create what is missing, update what differs, else leave.

"Differs" is decided by the digest ktcp writes into each body's `_meta` (templates.py), so a
second run against the same cluster changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from elasticsearch import ApiError, NotFoundError

from pipeline.sinks.elasticsearch.capabilities import ClusterError
from pipeline.sinks.elasticsearch.templates import (
    COMPONENT_TEMPLATE,
    ILM_POLICY,
    INDEX_TEMPLATE_KIND,
    Template,
    meta_of,
)

KIND_LABELS = {
    ILM_POLICY: "ILM policy",
    COMPONENT_TEMPLATE: "component template",
    INDEX_TEMPLATE_KIND: "index template",
}


class Outcome(Enum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "left alone (already up to date)"


@dataclass(frozen=True)
class Step:
    template: Template
    outcome: Outcome

    def describe(self) -> str:
        return f"{KIND_LABELS[self.template.kind]} {self.template.name}: {self.outcome.value}"


def install(client: Any, templates: Sequence[Template]) -> list[Step]:
    """Put each template unless the cluster already holds the same one; in order."""
    steps = []
    for template in templates:
        try:
            installed = _installed(client, template)
            if installed is not None and meta_of(template.kind, installed) == meta_of(
                template.kind, template.body
            ):
                steps.append(Step(template, Outcome.UNCHANGED))
                continue
            _put(client, template)
        except ApiError as exc:
            raise ClusterError(
                f"cannot install {KIND_LABELS[template.kind]} {template.name}: "
                f"HTTP {exc.status_code}: {_reason(exc)}"
            ) from exc
        steps.append(Step(template, Outcome.CREATED if installed is None else Outcome.UPDATED))
    return steps


def _installed(client: Any, template: Template) -> dict[str, Any] | None:
    """The body the cluster holds under this name, or None."""
    try:
        if template.kind == ILM_POLICY:
            found = client.ilm.get_lifecycle(name=template.name)
            return dict(found[template.name])
        if template.kind == COMPONENT_TEMPLATE:
            found = client.cluster.get_component_template(name=template.name)
            return dict(found["component_templates"][0]["component_template"])
        found = client.indices.get_index_template(name=template.name)
        return dict(found["index_templates"][0]["index_template"])
    except NotFoundError:
        return None


def _put(client: Any, template: Template) -> None:
    if template.kind == ILM_POLICY:
        client.ilm.put_lifecycle(name=template.name, body=template.body)
    elif template.kind == COMPONENT_TEMPLATE:
        client.cluster.put_component_template(name=template.name, body=template.body)
    else:
        client.indices.put_index_template(name=template.name, body=template.body)


def _reason(exc: ApiError) -> str:
    body = exc.body
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        error = body["error"]
        return f"{error.get('type')}: {error.get('reason')}"
    return str(exc.message)
