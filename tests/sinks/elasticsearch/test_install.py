"""install(): created, then left alone, then updated when the body changes."""

from __future__ import annotations

import uuid
from typing import Any

from pipeline.sinks.elasticsearch.capabilities import Capabilities
from pipeline.sinks.elasticsearch.install import Outcome, install
from pipeline.sinks.elasticsearch.templates import Lifecycle, Template, render

NODE = Capabilities(ilm=False, match_only_text=False, data_streams=True, constant_keyword=False)


def renamed(templates: tuple[Template, ...], suffix: str) -> list[Template]:
    """The same bodies under names of this test's own (the node cannot delete data streams)."""
    names = {t.name: f"{t.name}-{suffix}" for t in templates}
    out = []
    for t in templates:
        body = dict(t.body)
        if "composed_of" in body:
            body["composed_of"] = [names.get(n, n) for n in body["composed_of"]]
            body["index_patterns"] = [f"ktcp-install-{suffix}-*"]
        out.append(Template(t.kind, names[t.name], body))
    return out


def test_created_then_left_alone_then_updated(es_node: Any) -> None:
    from pipeline.sinks.elasticsearch.connection import client, connection

    suffix = uuid.uuid4().hex[:8]
    es = client(connection(es_node.url))
    try:
        first = install(es, renamed(render(NODE), suffix))
        assert [s.outcome for s in first] == [Outcome.CREATED] * 3
        again = install(es, renamed(render(NODE), suffix))
        assert [s.outcome for s in again] == [Outcome.UNCHANGED] * 3
        changed = render(
            Capabilities(
                ilm=False, match_only_text=False, data_streams=False, constant_keyword=False
            )
        )
        third = install(es, renamed(changed, suffix))
        assert [s.outcome for s in third] == [Outcome.UNCHANGED, Outcome.UNCHANGED, Outcome.UPDATED]
        assert render(NODE, Lifecycle("1d")) == render(NODE)  # no ILM here: nothing to change
    finally:
        es.close()
