"""How ktcp reaches a cluster: URL, credentials and TLS, shared by `ship` and `setup`.

Kibana is reached with the same options (it authenticates against the same cluster), so
`connection()` also checks a Kibana URL when told which service it is for.

Credentials live only in the client's request headers: the URL ktcp prints never carries a
user or password (one written into the URL is moved out of it), and the client's own loggers
are kept quiet so a failing node is reported once, in ktcp's words.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from elasticsearch import Elasticsearch
from elasticsearch.serializer import OrjsonSerializer

from pipeline.errors import UsageError

DEFAULT_REQUEST_TIMEOUT_SECS = 60.0


@dataclass(frozen=True)
class Connection:
    url: str  # without credentials
    api_key: str | None = field(default=None, repr=False)
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_certs: str | None = None
    insecure: bool = False


def connection(
    url: str,
    api_key: str | None = None,
    user: str | None = None,
    password: str | None = None,
    ca_certs: str | None = None,
    insecure: bool = False,
    service: str = "Elasticsearch",
    example_port: int = 9200,
) -> Connection:
    """Check the options and take any `user:password@` out of the URL."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port  # raises on a malformed port
    except ValueError as exc:
        raise UsageError(f"{service} URL is malformed: {redact(url)}") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(
            f"{service} URL must look like https://HOST:{example_port}, not {redact(url)!r}"
        )
    if parts.username is not None:
        user = user or unquote(parts.username)
        password = password or (unquote(parts.password) if parts.password else None)
    if api_key and user:
        raise UsageError("give either an API key or a user and password, not both")
    if user and not password:
        raise UsageError("a user needs a password: --password or KTCP_ES_PASSWORD")
    if password and not user:
        raise UsageError("a password needs a user: --user or KTCP_ES_USER")
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    netloc = host if port is None else f"{host}:{port}"
    clean = urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))
    return Connection(clean, api_key or None, user, password, ca_certs, insecure)


def redact(url: str) -> str:
    """`url` with any credentials replaced, for messages about a URL we could not use."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    authority, slash, path = rest.partition("/")
    if "@" in authority:
        authority = "***@" + authority.rsplit("@", 1)[1]
    return f"{scheme}{sep}{authority}{slash}{path}"


def client(conn: Connection, request_timeout_secs: float = DEFAULT_REQUEST_TIMEOUT_SECS) -> Any:
    """An Elasticsearch client that never retries on its own: callers own the retry policy."""
    _quiet_client_logs()
    options: dict[str, Any] = {
        "request_timeout": request_timeout_secs,
        "max_retries": 0,
        "retry_on_timeout": False,
        "serializer": OrjsonSerializer(),
    }
    if conn.api_key:
        options["api_key"] = conn.api_key
    elif conn.user:
        options["basic_auth"] = (conn.user, conn.password or "")
    if conn.ca_certs:
        options["ca_certs"] = conn.ca_certs
    if conn.insecure:
        options["verify_certs"] = False
        options["ssl_show_warn"] = False
    try:
        return Elasticsearch(conn.url, **options)
    except ValueError as exc:  # e.g. a CA bundle the TLS layer cannot load
        raise UsageError(f"cannot connect to {conn.url}: {exc}") from exc


def _quiet_client_logs() -> None:
    for name in ("elastic_transport", "elasticsearch", "urllib3"):
        log = logging.getLogger(name)
        log.addHandler(logging.NullHandler())
        log.propagate = False
    warnings.filterwarnings("ignore", module="urllib3")
    warnings.filterwarnings("ignore", module="elasticsearch")
