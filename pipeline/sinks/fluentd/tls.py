"""TLS to an in_forward with `<transport tls>`: the client context, checked before any connection.

Verified by default, like out_forward (`tls_insecure_mode false`, `tls_verify_hostname true`):
the certificate chain must end at the system's CAs or the `ca_file` given, and the certificate
must name the host connected to (or `server_name`). Unlike out_forward, an IP address is
checked too: the certificate must list it, or `server_name` says which name to expect.
"""

from __future__ import annotations

import ssl

from pipeline.errors import UsageError
from pipeline.fluentd_settings import FluentdTls


def client_context(tls: FluentdTls) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    if tls.ca_file is not None:
        try:
            context.load_verify_locations(cafile=str(tls.ca_file))
        except OSError as exc:
            raise UsageError(
                f"cannot use {tls.ca_file} as the Fluentd CA bundle ({_reason(exc)}): give a "
                "readable PEM file of CA certificates with --fluentd-ca"
            ) from exc
    if tls.client_key is not None and tls.client_cert is None:
        raise UsageError("--fluentd-client-key needs --fluentd-client-cert")
    if tls.client_cert is not None:
        try:
            context.load_cert_chain(
                str(tls.client_cert), str(tls.client_key) if tls.client_key else None
            )
        except OSError as exc:
            raise UsageError(
                f"cannot use the client certificate {tls.client_cert} ({_reason(exc)}): give a "
                "PEM certificate with --fluentd-client-cert and its unencrypted key with "
                "--fluentd-client-key"
            ) from exc
    if not tls.verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def _reason(exc: OSError) -> str:
    if isinstance(exc, ssl.SSLError):
        return str(exc.reason or exc)
    return str(exc.strerror or exc)
