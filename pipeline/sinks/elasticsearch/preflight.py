"""Before shipping: a warning when the destination will not map documents as ktcp's templates.

Shipping without `ktcp setup elasticsearch` works, but the cluster then guesses the types
(`source.ip` as text: no CIDR queries) or, with Elastic's own `logs` template, maps them its
way. Best effort: a cluster that cannot be asked (down, or the user may not read mappings)
gets no warning, and the shipping goes on either way.
"""

from __future__ import annotations

from typing import Any

from elastic_transport import TransportError
from elasticsearch import ApiError, NotFoundError

from pipeline.ecs import PEER_IP_FIELD

PREFLIGHT_TIMEOUT_SECS = 5.0
PROBE_FIELD = PEER_IP_FIELD


def mapping_warning(client: Any, target: str) -> str | None:
    """What is wrong with `target`'s mapping of source.ip, or None (fine, or cannot tell)."""
    es = client.options(request_timeout=PREFLIGHT_TIMEOUT_SECS)
    try:
        es_type = _mapped_type(es, target)
    except (ApiError, TransportError):
        return None
    if es_type == "ip":
        return None
    found = f"maps {PROBE_FIELD} as {es_type}" if es_type else f"does not map {PROBE_FIELD}"
    return (
        f"{target} {found}, not as ip, so CIDR and range queries on addresses will not work: "
        "run `ktcp setup elasticsearch` first (it covers logs-kernel.tcp-*)"
    )


def _mapped_type(es: Any, target: str) -> str | None:
    """The type in the existing index or data stream, else in the template a new one gets."""
    try:
        found = es.indices.get_field_mapping(index=target, fields=PROBE_FIELD).body
    except NotFoundError:
        found = {}
    if found:
        for index in found.values():
            for spec in index.get("mappings", {}).get(PROBE_FIELD, {}).get("mapping", {}).values():
                return str(spec.get("type"))
        return None
    simulated = es.indices.simulate_index_template(name=target).body
    props = simulated.get("template", {}).get("mappings", {}).get("properties", {})
    for part in PROBE_FIELD.split(".")[:-1]:
        props = props.get(part, {}).get("properties", {})
    leaf = props.get(PROBE_FIELD.rsplit(".", 1)[-1])
    return str(leaf.get("type")) if isinstance(leaf, dict) else None
