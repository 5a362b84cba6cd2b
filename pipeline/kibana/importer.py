"""Kibana's saved-objects import API: upload an NDJSON set, read Kibana's verdict on each object.

`POST [/s/<space>]/api/saved_objects/_import?overwrite=true`, multipart/form-data with the file
in the field `file` (named *.ndjson: Kibana checks the extension) and a `kbn-xsrf` header.
Kibana answers 200 with `successResults` and `errors` per object, or an HTTP error for the
request as a whole. Both are reported in Kibana's own words.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import urllib3

from pipeline.errors import KtcpError, UsageError
from pipeline.sinks.elasticsearch.connection import Connection

IMPORT_PATH = "/api/saved_objects/_import"
DEFAULT_SPACE = "default"
XSRF_HEADER = "kbn-xsrf"
NDJSON_CONTENT_TYPE = "application/ndjson"


@dataclass(frozen=True)
class ObjectResult:
    """What Kibana said about one object of the file."""

    type: str
    id: str
    title: str
    ok: bool
    detail: str

    def describe(self) -> str:
        return f"{self.type} {self.id} ({self.title}): {self.detail}"


@dataclass(frozen=True)
class ImportReport:
    results: tuple[ObjectResult, ...]
    warnings: tuple[str, ...]

    @property
    def failed(self) -> tuple[ObjectResult, ...]:
        return tuple(r for r in self.results if not r.ok)


def import_url(conn: Connection, space: str | None) -> str:
    prefix = "" if space in (None, DEFAULT_SPACE) else f"/s/{quote(space or '', safe='')}"
    return f"{conn.url}{prefix}{IMPORT_PATH}?overwrite=true"


def _headers(conn: Connection, content_type: str) -> dict[str, str]:
    headers = {XSRF_HEADER: "ktcp", "Content-Type": content_type}
    if conn.api_key:
        headers["Authorization"] = f"ApiKey {conn.api_key}"
    elif conn.user:
        headers.update(urllib3.make_headers(basic_auth=f"{conn.user}:{conn.password or ''}"))
    return headers


def _pool(conn: Connection, timeout_secs: float) -> urllib3.PoolManager:
    options: dict[str, Any] = {"timeout": urllib3.Timeout(total=timeout_secs), "retries": False}
    if conn.insecure:
        options["cert_reqs"] = "CERT_NONE"
    elif conn.ca_certs:
        options["ca_certs"] = conn.ca_certs
    return urllib3.PoolManager(**options)


def import_objects(
    conn: Connection,
    space: str | None,
    objects: Sequence[dict[str, Any]],
    ndjson: str,
    file_name: str,
    timeout_secs: float,
) -> ImportReport:
    """Upload `ndjson` (the rendering of `objects`) and report on every object in it."""
    body, content_type = urllib3.encode_multipart_formdata(
        {"file": (file_name, ndjson.encode("utf-8"), NDJSON_CONTENT_TYPE)}
    )
    url = import_url(conn, space)
    if conn.insecure:
        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    try:
        response = _pool(conn, timeout_secs).request(
            "POST", url, body=body, headers=_headers(conn, content_type)
        )
    except urllib3.exceptions.SSLError as exc:
        raise KtcpError(
            f"TLS failed with Kibana at {conn.url}: {exc} "
            "(give its CA with --ca-certs, or --insecure to skip verification)"
        ) from exc
    except (urllib3.exceptions.HTTPError, ValueError, OSError) as exc:
        raise KtcpError(f"cannot reach Kibana at {conn.url}: {exc}") from exc
    payload = _json(response.data)
    if response.status != 200:
        raise KtcpError(_request_error(conn, space, response.status, payload, response.data))
    if not isinstance(payload, dict) or "success" not in payload:
        raise KtcpError(
            f"{conn.url} answered 200 but not like Kibana's import API: {_snippet(response.data)}"
            " (is --url Kibana's address, with its base path if it has one?)"
        )
    return _report(objects, payload)


def _json(data: bytes) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        return None


def _snippet(data: bytes, limit: int = 200) -> str:
    text = data.decode("utf-8", "replace").strip()
    return text if len(text) <= limit else text[:limit] + "..."


def _request_error(
    conn: Connection, space: str | None, status: int, payload: Any, raw: bytes
) -> str:
    said = payload.get("message") if isinstance(payload, dict) else None
    said = said or _snippet(raw) or "(no body)"
    hint = ""
    if status == 401:
        hint = " (set KTCP_ES_API_KEY, or KTCP_ES_USER and KTCP_ES_PASSWORD)"
    elif status == 403:
        hint = " (the user needs the Kibana privilege to manage saved objects" + (
            f" in space {space!r})" if space else ")"
        )
    elif status == 404 and space not in (None, DEFAULT_SPACE):
        hint = f" (does space {space!r} exist? Create it in Kibana or leave out --space)"
    elif status == 404:
        hint = " (is --url Kibana's address, with its base path if it has one?)"
    elif status == 503:
        hint = " (Kibana is not ready yet: run this again once it is up)"
    return f"Kibana at {conn.url} refused the import: HTTP {status}: {said}{hint}"


def _describe_error(error: dict[str, Any], type_: str) -> str:
    kind = str(error.get("type", "unknown"))
    if kind == "conflict":
        other = error.get("destinationId")
        return "conflict" + (f" with existing object {other}" if other else "")
    if kind == "ambiguous_conflict":
        ids = ", ".join(str(d.get("id")) for d in error.get("destinations", []))
        return f"ambiguous_conflict: several existing objects share its origin ({ids})"
    if kind == "missing_references":
        refs = ", ".join(f"{r.get('type')} {r.get('id')}" for r in error.get("references", []))
        return f"missing_references: {refs}"
    if kind == "unsupported_type":
        return f"unsupported_type: this Kibana does not know {type_!r} objects"
    status = error.get("statusCode")
    message = error.get("message") or error.get("error") or ""
    return f"{kind}" + (f" ({status})" if status else "") + (f": {message}" if message else "")


def _title(obj: dict[str, Any]) -> str:
    attributes = obj.get("attributes", {})
    return str(attributes.get("name") or attributes.get("title") or "")


def _report(objects: Sequence[dict[str, Any]], payload: dict[str, Any]) -> ImportReport:
    verdicts: dict[tuple[str, str], tuple[bool, str]] = {}
    for item in payload.get("successResults") or []:
        detail = "overwritten" if item.get("overwrite") else "created"
        verdicts[(item.get("type"), item.get("id"))] = (True, detail)
    for item in payload.get("errors") or []:
        key = (item.get("type"), item.get("id"))
        text = _describe_error(item.get("error") or {}, str(item.get("type")))
        earlier = verdicts.get(key)
        if earlier and not earlier[0]:
            text = f"{earlier[1]}; {text}"  # one object may fail for several reasons
        verdicts[key] = (False, text)
    results = []
    for obj in objects:
        ok, detail = verdicts.pop(
            (obj["type"], obj["id"]), (False, "Kibana did not report on this object")
        )
        results.append(ObjectResult(obj["type"], obj["id"], _title(obj), ok, detail))
    for (type_, id_), (ok, detail) in verdicts.items():  # objects Kibana named that we did not send
        results.append(ObjectResult(str(type_), str(id_), "", ok, detail))
    warnings = tuple(str(w.get("message", w)) for w in payload.get("warnings") or [])
    return ImportReport(tuple(results), warnings)


def check_space(space: str | None) -> str | None:
    """Kibana space ids are lower-case letters, digits, '_' and '-'."""
    if space is None:
        return None
    if not space or any(not (c.islower() or c.isdigit() or c in "_-") for c in space):
        raise UsageError(
            f"--space {space!r} is not a Kibana space id (lower-case letters, digits, _ and -; "
            "the id, not the display name)"
        )
    return space
