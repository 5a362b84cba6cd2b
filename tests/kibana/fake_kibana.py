"""A local stand-in for Kibana's saved-objects import API, strict the way Kibana is.

It checks what Kibana checks before it imports anything (the `kbn-xsrf` header, credentials,
the space in the path, a multipart body whose `file` field is an *.ndjson file, one object a
line, no `type:id` twice), then imports like Kibana does: unknown types are `unsupported_type`,
references to data views and saved searches that are neither in the file nor already stored
are `missing_references`, an existing object without `overwrite=true` is a `conflict`. Error
bodies have Kibana's shape. `replay` makes it answer a recorded response instead, once the
request has passed the checks.
"""

from __future__ import annotations

import json
import re
import ssl
import threading
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

PATH = re.compile(r"^(?:/s/(?P<space>[a-z0-9_-]+))?/api/saved_objects/_import$")
VALIDATED_REFERENCE_TYPES = {"index-pattern", "search"}  # Kibana checks only these on import
KIBANA_8_TYPES = {"index-pattern", "search", "lens", "dashboard", "visualization", "tag"}
ICONS = {
    "index-pattern": "indexPatternApp",
    "search": "discoverApp",
    "lens": "lensApp",
    "dashboard": "dashboardApp",
}


@dataclass
class Received:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    file_name: str | None
    file_type: str | None
    lines: list[dict[str, Any]]


@dataclass
class FakeKibana:
    spaces: set[str] = field(default_factory=lambda: {"default"})
    authorization: str | None = None  # the Authorization header required, if any
    types: set[str] = field(default_factory=lambda: set(KIBANA_8_TYPES))
    replay: tuple[int, Any] | None = None
    not_kibana: bool = False
    tls: tuple[str, str] | None = None  # (certificate, key) files: serve HTTPS
    base_path: str = ""  # Kibana's server.basePath, e.g. "/kibana"
    store: dict[str, dict[tuple[str, str], dict[str, Any]]] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                status, body = fake.handle(self)
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if self.tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*self.tls)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> FakeKibana:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    # --- the checks Kibana makes, in the order it makes them ---------------------------------

    def handle(self, request: BaseHTTPRequestHandler) -> tuple[int, Any]:
        if self.not_kibana:
            return 200, b"<html>a proxy login page</html>"
        length = int(request.headers.get("Content-Length", "0"))
        raw = request.rfile.read(length)
        parts = urlsplit(request.path)
        if not parts.path.startswith(self.base_path):
            return _error(404, "Not Found", "Not Found")
        match = PATH.match(parts.path[len(self.base_path) :])
        if not match:
            return _error(404, "Not Found", "Not Found")
        if self.authorization and request.headers.get("Authorization") != self.authorization:
            return _error(
                401,
                "Unauthorized",
                "[security_exception\n\tRoot causes:\n\t\tsecurity_exception: unable to "
                "authenticate user for REST request [/_security/_authenticate]]: unable to "
                "authenticate user for REST request [/_security/_authenticate]",
            )
        if "kbn-xsrf" not in {k.lower() for k in request.headers}:
            return _error(400, "Bad Request", "Request must contain a kbn-xsrf header.")
        space = match.group("space") or "default"
        if space not in self.spaces:
            return _error(404, "Not Found", f"Saved object [space/{space}] not found")
        query = parse_qs(parts.query)
        if _flag(query, "overwrite") and _flag(query, "createNewCopies"):
            return _error(
                400, "Bad Request", "[request query]: cannot use [overwrite] with [createNewCopies]"
            )
        content_type = request.headers.get("Content-Type", "")
        if not content_type.startswith("multipart/form-data"):
            return _error(415, "Unsupported Media Type", "Unsupported Media Type")
        message = BytesParser(policy=HTTP).parsebytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + raw
        )
        upload = next(
            (
                p
                for p in message.iter_parts()
                if p.get_param("name", header="content-disposition") == "file"
            ),
            None,
        )
        if upload is None:
            return _error(
                400,
                "Bad Request",
                "[request body.file]: expected value of type [Stream] but got [undefined]",
            )
        file_name = upload.get_filename()
        extension = "." + file_name.rsplit(".", 1)[-1] if file_name and "." in file_name else ""
        if extension != ".ndjson":
            return _error(400, "Bad Request", f"Invalid file extension {extension}")
        payload = upload.get_payload(decode=True)
        assert isinstance(payload, bytes)
        lines = []
        for line in payload.decode("utf-8").splitlines():
            if line.strip():
                try:
                    lines.append(json.loads(line))
                except ValueError as exc:
                    return _error(400, "Bad Request", f"Unexpected token in JSON: {exc}")
        self.received.append(
            Received(
                parts.path,
                query,
                dict(request.headers),
                file_name,
                upload.get_content_type(),
                lines,
            )
        )
        keys = [f"{o.get('type')}:{o.get('id')}" for o in lines]
        twice = sorted({k for k in keys if keys.count(k) > 1})
        if twice:
            detected = ",".join(twice)
            return _error(400, "Bad Request", f"Non-unique import objects detected: [{detected}]")
        if self.replay is not None:
            return self.replay
        return 200, self._import(space, lines, _flag(query, "overwrite"))

    def _import(self, space: str, objects: list[dict[str, Any]], overwrite: bool) -> dict[str, Any]:
        stored = self.store.setdefault(space, {})
        in_file = {(o["type"], o["id"]) for o in objects}
        successes, errors = [], []
        for obj in objects:
            key = (obj["type"], obj["id"])
            title = obj.get("attributes", {}).get("title", "")
            meta = {"title": title, "icon": ICONS.get(obj["type"], "")}
            common = {"id": obj["id"], "type": obj["type"], "title": title, "meta": meta}
            if obj["type"] not in self.types:
                errors.append({**common, "error": {"type": "unsupported_type"}})
                continue
            missing = [
                {"type": r["type"], "id": r["id"]}
                for r in obj.get("references", [])
                if r["type"] in VALIDATED_REFERENCE_TYPES
                and (r["type"], r["id"]) not in in_file
                and (r["type"], r["id"]) not in stored
            ]
            if missing:
                errors.append(
                    {**common, "error": {"type": "missing_references", "references": missing}}
                )
                continue
            existed = key in stored
            if existed and not overwrite:
                errors.append({**common, "error": {"type": "conflict"}})
                continue
            stored[key] = obj
            result = {"id": obj["id"], "type": obj["type"], "meta": meta}
            if existed:
                result["overwrite"] = True
            successes.append(result)
        answer: dict[str, Any] = {
            "success": not errors,
            "successCount": len(successes),
            "successResults": successes,
            "warnings": [],
        }
        if errors:
            answer["errors"] = errors
        return answer


def _flag(query: dict[str, list[str]], name: str) -> bool:
    return query.get(name, ["false"])[-1] == "true"


def _error(status: int, error: str, message: str) -> tuple[int, dict[str, Any]]:
    return status, {"statusCode": status, "error": error, "message": message}
