"""Settings of the Fluentd forward output's transport: TLS and the `<security>` handshake.

pydantic models: they check what users give (files, secrets, a host name) where it enters. Their
defaults are named in pipeline/settings.py, which also gives these names to its importers on
first use (they stay out of commands that never talk to Fluentd).
"""

from __future__ import annotations

import socket
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from pipeline.settings import (
    FLUENTD_HANDSHAKE_TIMEOUT_SECS,
    FLUENTD_PASSWORD_ENV,
    FLUENTD_SHARED_KEY_ENV,
    FLUENTD_USERNAME_ENV,
)


class FluentdTls(BaseModel):
    """TLS to an in_forward with `<transport tls>`: the server's certificate is verified by
    default, against the system's CAs and `ca_file` (Fluentd's `tls_ca_cert_path`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ca_file: Path | None = None  # PEM bundle trusted in addition to the system's CAs
    verify: bool = True  # False = Fluentd's tls_insecure_mode: no chain, no name check
    server_name: str | None = None  # name the certificate must carry; default: the host given
    client_cert: Path | None = None  # PEM client certificate, for `client_cert_auth true`
    client_key: Path | None = None  # its private key (default: inside client_cert)


class FluentdSecurity(BaseModel):
    """The forward protocol's `<security>` handshake (HELO / PING / PONG): a shared key, and a
    username/password when in_forward sets `user_auth true`. Secrets never print (SecretStr)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    shared_key: SecretStr
    self_hostname: str = Field(default_factory=socket.gethostname, min_length=1)
    username: str = ""
    password: SecretStr = SecretStr("")
    handshake_timeout_secs: float = Field(default=FLUENTD_HANDSHAKE_TIMEOUT_SECS, gt=0)

    @field_validator("shared_key")
    @classmethod
    def _key_given(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value():
            raise ValueError(f"the shared key is empty: set {FLUENTD_SHARED_KEY_ENV}")
        return value


def fluentd_transport(
    *,
    tls: bool = False,
    ca_file: Path | None = None,
    server_name: str | None = None,
    client_cert: Path | None = None,
    client_key: Path | None = None,
    insecure: bool = False,
    self_hostname: str | None = None,
    shared_key: str | None = None,
    username: str | None = None,
    password: str | None = None,
) -> tuple[FluentdTls | None, FluentdSecurity | None]:
    """TLS and `<security>` settings from flat values (flags, environment, a config file).

    Any TLS value turns TLS on; a shared key turns the handshake on. ValueError says what is
    missing."""
    given_tls = tls or insecure or any((ca_file, server_name, client_cert, client_key))
    transport = None
    if given_tls:
        transport = FluentdTls(
            ca_file=ca_file,
            verify=not insecure,
            server_name=server_name,
            client_cert=client_cert,
            client_key=client_key,
        )
    if not shared_key:
        if username or password:
            raise ValueError(
                f"{FLUENTD_USERNAME_ENV}/{FLUENTD_PASSWORD_ENV} are sent in the <security> "
                f"handshake, which needs the shared key: set {FLUENTD_SHARED_KEY_ENV} too"
            )
        return transport, None
    fields: dict[str, object] = {
        "shared_key": shared_key,
        "username": username or "",
        "password": password or "",
    }
    if self_hostname:
        fields["self_hostname"] = self_hostname
    return transport, FluentdSecurity.model_validate(fields)
