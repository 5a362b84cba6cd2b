"""The forward protocol's `<security>` handshake, client side, as Fluentd's out_forward does it.

in_forward with a `<security>` section speaks first on every connection:

    server -> ["HELO", {"nonce": <16 random bytes>, "auth": <16 random bytes or "">,
                        "keepalive": bool}]
    client -> ["PING", self_hostname, salt, sha512_hex(salt + self_hostname + nonce + key),
               username, sha512_hex(auth + username + password)]   (both "" when auth is "")
    server -> ["PONG", true, "", server_hostname, sha512_hex(salt + server_hostname + nonce + key)]
           or ["PONG", false, reason, "", ""] and it closes the connection

The client proves it knows the key (PING); the server proves it too (PONG), so a PONG whose
digest does not match is refused as well. Source: fluentd lib/fluent/plugin/in_forward.rb
(generate_helo, check_ping, generate_pong) and out_forward/handshake_protocol.rb.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from pipeline.errors import RefusedError
from pipeline.fluentd_settings import FluentdSecurity
from pipeline.settings import (
    FLUENTD_PASSWORD_ENV,
    FLUENTD_SHARED_KEY_ENV,
    FLUENTD_USERNAME_ENV,
)


@dataclass(frozen=True, slots=True)
class Helo:
    nonce: bytes
    auth: bytes  # salt of the username/password digest; b"" when the server asks none
    keepalive: bool


def _raw(value: Any) -> bytes:
    """Fluentd packs its random bytes as msgpack bin; accept str too (digests use the bytes)."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    if value is None:
        return b""
    raise ValueError(f"expected bytes, got {type(value).__name__}")


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def sha512_hex(*parts: bytes | str) -> str:
    digest = hashlib.sha512()
    for part in parts:
        digest.update(part.encode("utf-8") if isinstance(part, str) else part)
    return digest.hexdigest()


def is_helo(message: Any) -> bool:
    return isinstance(message, list) and len(message) >= 1 and _text(message[0]) == "HELO"


def read_helo(message: Any, where: str) -> Helo:
    """The server's opening message; anything else means it is not a secured in_forward."""
    if not (isinstance(message, list) and len(message) == 2 and _text(message[0]) == "HELO"):
        raise RefusedError(
            f"Fluentd at {where} opened with {str(message)[:80]!r} instead of a HELO: is it a "
            "Fluentd in_forward with a <security> section?"
        )
    options = message[1] if isinstance(message[1], dict) else {}
    try:
        nonce, auth = _raw(options.get("nonce")), _raw(options.get("auth"))
    except ValueError as exc:
        raise RefusedError(f"Fluentd at {where} sent a malformed HELO ({exc})") from exc
    return Helo(nonce, auth, bool(options.get("keepalive", True)))


def new_salt() -> str:
    """The client's salt: 32 hex characters, as out_forward's SecureRandom.hex(16)."""
    return secrets.token_hex(16)


def ping(security: FluentdSecurity, helo: Helo, salt: str) -> list[str]:
    key = security.shared_key.get_secret_value()
    hostname = security.self_hostname
    message = ["PING", hostname, salt, sha512_hex(salt, hostname, helo.nonce, key)]
    if helo.auth:
        password = security.password.get_secret_value()
        message += [security.username, sha512_hex(helo.auth, security.username, password)]
    else:
        message += ["", ""]
    return message


def check_pong(message: Any, security: FluentdSecurity, helo: Helo, salt: str, where: str) -> None:
    """Raise RefusedError unless the PONG accepts us and proves the server knows the key."""
    if not (isinstance(message, list) and len(message) == 5 and _text(message[0]) == "PONG"):
        raise RefusedError(f"Fluentd at {where} answered the PING with a malformed PONG")
    _, accepted, reason, hostname, digest = message
    if accepted is not True:
        reason = _text(reason)
        if "username" in reason or "password" in reason:
            hint = (
                f"set {FLUENTD_USERNAME_ENV} and {FLUENTD_PASSWORD_ENV} to a <user> of its "
                "<security> section"
            )
        else:
            hint = f"set {FLUENTD_SHARED_KEY_ENV} to the shared_key of its <security> section"
        raise RefusedError(f"Fluentd at {where} refused the handshake ({reason}): {hint}")
    hostname = _text(hostname)
    if hostname == security.self_hostname:
        raise RefusedError(
            f"Fluentd at {where} calls itself {hostname!r}, the same name this client sends; "
            "Fluentd treats that as a misconfiguration: give this host another name with "
            "--fluentd-hostname"
        )
    key = security.shared_key.get_secret_value()
    if _text(digest) != sha512_hex(salt, hostname, helo.nonce, key):
        raise RefusedError(
            f"Fluentd at {where} accepted the PING but did not prove it knows the shared key "
            "(PONG digest mismatch): it is not the server you configured, or its key differs"
        )
