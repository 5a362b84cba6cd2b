"""What a cluster offers that the templates want: ILM, match_only_text, constant_keyword, streams.

Each is asked of the cluster itself, without side effects: the ILM API answers or not, and a
simulated index template using the feature is accepted or not. A feature found missing is
left out of the templates (and `setup` says so); it is never pretended.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from elasticsearch import ApiError

from pipeline.errors import KtcpError

PROBE_PATTERN = "ktcp-capability-probe-*"  # matches no real index; simulation creates nothing
PROBE_PRIORITY = 2_000_000_000  # outranks any template, so overlaps never fail the probe


class ClusterError(KtcpError):
    """The cluster answered, but not in a way setup can work with (auth, privileges, ...)."""


@dataclass(frozen=True)
class Capabilities:
    ilm: bool
    match_only_text: bool
    data_streams: bool
    constant_keyword: bool
    version: str | None = None

    def missing(self) -> list[str]:
        """A notice per missing feature: what is skipped or substituted."""
        notes = []
        if not self.data_streams:
            notes.append(
                "data streams are not available: logs-kernel.tcp-* are created as plain "
                "indices (no rollover)"
            )
        if not self.ilm:
            notes.append(
                "ILM is not available (no index lifecycle management on this cluster): the "
                "lifecycle policy is skipped, so indices are neither rolled over nor deleted "
                "by age; remove old backing indices yourself"
            )
        if not self.match_only_text:
            notes.append(
                "match_only_text is not available (no mapper-extras module): `message` is "
                "mapped as text instead (same queries, a larger index)"
            )
        if not self.constant_keyword:
            notes.append(
                "constant_keyword is not available (no constant-keyword module): the "
                "data_stream.* fields are mapped as keyword instead (same queries)"
            )
        return notes


FULL = Capabilities(ilm=True, match_only_text=True, data_streams=True, constant_keyword=True)


def detect(client: Any) -> Capabilities:
    return Capabilities(
        ilm=_has_ilm(client),
        match_only_text=_simulates(client, {"mappings": _one_field("match_only_text")}),
        data_streams=_simulates(client, {"mappings": _one_field("keyword")}, data_stream=True),
        constant_keyword=_simulates(client, {"mappings": _one_field("constant_keyword")}),
        version=version(client),
    )


def version(client: Any) -> str | None:
    """The node's version; a node without `GET /` is asked through the nodes API."""
    try:
        return str(client.info()["version"]["number"])
    except (ApiError, KeyError, TypeError):
        pass
    try:
        nodes = client.nodes.info(node_id="_local")["nodes"]
        return str(next(iter(nodes.values()))["version"])
    except (ApiError, KeyError, StopIteration, TypeError):
        return None


def _has_ilm(client: Any) -> bool:
    try:
        client.ilm.get_lifecycle()
    except ApiError as exc:
        _raise_if_refused(exc, "read the ILM policies (privilege read_ilm or manage_ilm)")
        return False  # 400 "no handler" / 404 / 405: the API is not there
    return True


def _simulates(client: Any, template: dict[str, Any], data_stream: bool = False) -> bool:
    body: dict[str, Any] = {
        "index_patterns": [PROBE_PATTERN],
        "priority": PROBE_PRIORITY,
        "template": template,
    }
    if data_stream:
        body["data_stream"] = {}
    try:
        client.indices.simulate_template(body=body)
    except ApiError as exc:
        _raise_if_refused(exc, "simulate index templates (privilege manage_index_templates)")
        return False
    return True


def _one_field(es_type: str) -> dict[str, Any]:
    return {"properties": {"ktcp_probe": {"type": es_type}}}


def _raise_if_refused(exc: ApiError, what: str) -> None:
    if exc.status_code == 401:
        raise ClusterError(
            "Elasticsearch did not accept the credentials (HTTP 401): "
            "check --api-key or --user/--password"
        ) from exc
    if exc.status_code == 403:
        raise ClusterError(f"these credentials may not {what} (HTTP 403)") from exc
