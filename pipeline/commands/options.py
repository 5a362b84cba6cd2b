"""Options shared by the commands that parse input (parse, ship, exec-filter)."""

from __future__ import annotations

import gc
import os
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from pipeline import envelopes
from pipeline.chain import Chain, build_chain
from pipeline.enrich.settings import (
    ENV_ENABLED,
    ENV_IP2REGION,
    ENV_MMDB,
    ENV_OVERRIDES,
    EnrichSettings,
)
from pipeline.errors import UsageError
from pipeline.settings import (
    DEFAULT_RECORD_KEYS,
    FLUENTD_PASSWORD_ENV,
    FLUENTD_SHARED_KEY_ENV,
    FLUENTD_USERNAME_ENV,
    ParseSettings,
)

if TYPE_CHECKING:
    from pipeline.fluentd_settings import FluentdSecurity, FluentdTls

F = TypeVar("F", bound=Callable[..., Any])


def parse_options(func: F) -> F:
    """--envelope, --timezone, --boot-time, --year, --host."""
    decorators = [
        click.option(
            "--envelope",
            type=click.Choice(sorted(envelopes.PARSERS)),
            help="Force one envelope instead of detecting it per line.",
        ),
        click.option(
            "--timezone",
            metavar="ZONE",
            help="IANA zone for input times that carry none (default: this machine's).",
        ),
        click.option(
            "--boot-time",
            metavar="ISO8601",
            help="When the kernel booted, to date bare [uptime] lines "
            "(default: this machine's, when reading its own kernel log).",
        ),
        click.option(
            "--year",
            type=click.IntRange(1970, 9999),
            help="Year of syslog timestamps that print none (default: inferred).",
        ),
        click.option("--host", metavar="NAME", help="host.name when the input does not say."),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


def settings_from_options(
    envelope: str | None,
    timezone: str | None,
    boot_time: str | None,
    year: int | None,
    host: str | None,
    default_boot_time: datetime | None = None,
) -> ParseSettings:
    boot = default_boot_time
    if boot_time is not None:
        try:
            boot = datetime.fromisoformat(boot_time)
        except ValueError as exc:
            raise UsageError(
                f"--boot-time {boot_time!r} is not an ISO 8601 time "
                "(e.g. 2026-11-24T08:00:00+08:00)"
            ) from exc
    return ParseSettings(envelope=envelope, timezone=timezone, boot_time=boot, year=year, host=host)


def elasticsearch_auth_options(func: F) -> F:
    """--api-key, --user, --password (each also from the environment), --ca-certs, --insecure."""
    decorators = [
        click.option("--api-key", envvar="KTCP_ES_API_KEY", help="Elasticsearch API key (or env)."),
        click.option("--user", envvar="KTCP_ES_USER", help="Elasticsearch user (or env)."),
        click.option(
            "--password", envvar="KTCP_ES_PASSWORD", help="Elasticsearch password (prefer the env)."
        ),
        click.option("--ca-certs", type=click.Path(exists=True, dir_okay=False), help="CA bundle."),
        click.option(
            "--insecure", is_flag=True, help="Do not verify the server's TLS certificate."
        ),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


def fluentd_transport_options(func: F) -> F:
    """TLS (`<transport tls>`) and the `<security>` handshake of the Fluentd forward output.

    The shared key and password are read from the environment only, never from a flag.
    """
    file = click.Path(exists=True, dir_okay=False)
    decorators = [
        click.option(
            "--fluentd-tls",
            is_flag=True,
            default=None,
            help="TLS to in_forward's <transport tls> (verified).",
        ),
        click.option(
            "--fluentd-ca", metavar="FILE", type=file, help="CA bundle for Fluentd (implies TLS)."
        ),
        click.option(
            "--fluentd-server-name",
            metavar="NAME",
            help="Name Fluentd's certificate must carry (default: the host given; implies TLS).",
        ),
        click.option(
            "--fluentd-client-cert",
            metavar="FILE",
            type=file,
            help="Client certificate for client_cert_auth (implies TLS).",
        ),
        click.option(
            "--fluentd-client-key", metavar="FILE", type=file, help="Key of the client certificate."
        ),
        click.option(
            "--fluentd-tls-insecure",
            is_flag=True,
            default=None,
            help="TLS without verifying Fluentd's certificate (implies TLS; avoid).",
        ),
        click.option(
            "--fluentd-hostname",
            metavar="NAME",
            envvar="KTCP_FLUENTD_HOSTNAME",
            help=f"self_hostname sent in the <security> handshake (default: this host's name; "
            f"the handshake runs when {FLUENTD_SHARED_KEY_ENV} is set).",
        ),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


_FLUENTD_KEYS = (
    "fluentd_tls",
    "fluentd_ca",
    "fluentd_server_name",
    "fluentd_client_cert",
    "fluentd_client_key",
    "fluentd_tls_insecure",
    "fluentd_hostname",
)


def fluentd_transport_from_options(
    options: dict[str, Any],
) -> tuple[FluentdTls | None, FluentdSecurity | None]:
    """Pop the fluentd_transport_options; add the secrets from the environment."""
    from pydantic import ValidationError

    from pipeline.fluentd_settings import fluentd_transport  # pydantic: only when shipping

    given = {k: options.pop(k, None) for k in _FLUENTD_KEYS}
    try:
        return fluentd_transport(
            tls=bool(given["fluentd_tls"]),
            ca_file=given["fluentd_ca"],
            server_name=given["fluentd_server_name"],
            client_cert=given["fluentd_client_cert"],
            client_key=given["fluentd_client_key"],
            insecure=bool(given["fluentd_tls_insecure"]),
            self_hostname=given["fluentd_hostname"],
            shared_key=os.environ.get(FLUENTD_SHARED_KEY_ENV),
            username=os.environ.get(FLUENTD_USERNAME_ENV),
            password=os.environ.get(FLUENTD_PASSWORD_ENV),
        )
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = problem["loc"][0] if problem["loc"] else "value"
        raise UsageError(f"Fluentd <security> setting {where}: {problem['msg']}") from None
    except ValueError as exc:
        raise UsageError(str(exc)) from None


_FILE = click.Path(path_type=Path, dir_okay=False)


def database_options(func: F) -> F:
    """--mmdb, --ip2region, --isp-overrides, each also from the environment (Fluentd's stage)."""
    decorators = [
        click.option(
            "--mmdb",
            type=_FILE,
            multiple=True,
            metavar="PATH",
            envvar=ENV_MMDB,  # click splits a Path list on os.pathsep (':')
            show_envvar=True,
            help="MaxMind database (GeoLite2-ASN, GeoIP2-ISP, GeoLite2-City...); repeat to layer "
            "several, first answer wins.",
        ),
        click.option(
            "--ip2region",
            type=_FILE,
            metavar="PATH",
            envvar=ENV_IP2REGION,
            show_envvar=True,
            help="ip2region xdb file (province and ISP of Chinese addresses).",
        ),
        click.option(
            "--isp-overrides",
            type=_FILE,
            metavar="CSV",
            envvar=ENV_OVERRIDES,
            show_envvar=True,
            help="Your CIDR table (cidr,isp[,isp_local,as_number,as_organization,country]); "
            "it wins over every database.",
        ),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


def enrich_options(func: F) -> F:
    """--enrich/--no-enrich plus database_options (read by enrich_settings_from_options)."""
    return click.option(
        "--enrich/--no-enrich",
        default=True,
        envvar=ENV_ENABLED,
        show_envvar=True,
        help="AS, ISP and geo fields of the peer (on by default, with bundled data).",
    )(database_options(func))


_ENRICH_KEYS = ("enrich", "mmdb", "ip2region", "isp_overrides")


def enrich_settings_from_options(options: dict[str, Any]) -> EnrichSettings:
    """Pop the enrich_options; the settings they give (a flag wins over its environment)."""
    given = {k: options.pop(k, None) for k in _ENRICH_KEYS}
    return EnrichSettings(
        enabled=given["enrich"] is not False,
        mmdb=tuple(given["mmdb"] or ()),
        ip2region=given["ip2region"],
        isp_overrides=given["isp_overrides"],
    )


def input_options(func: F) -> F:
    """parse_options plus the enrichment flags: every command that turns lines into events."""
    return parse_options(enrich_options(func))


def chain_from_options(
    options: dict[str, Any],
    default_boot_time: datetime | None = None,
    record_key: str | None = None,
    default_boot_id: str | None = None,
) -> Chain:
    """The chain a command runs, built from its input_options (databases opened once, here).

    `record_key` names the record field holding the kernel line, tried before the defaults.
    `default_boot_id`: this machine's boot id, when the input is its own kernel log.
    """
    enrichment = enrich_settings_from_options(options)
    settings = settings_from_options(**options, default_boot_time=default_boot_time)
    if record_key:
        keys = (record_key, *(k for k in DEFAULT_RECORD_KEYS if k != record_key))
        settings = replace(settings, record_keys=keys)
    if default_boot_id:
        settings = replace(settings, boot_id=default_boot_id)
    return build_chain(settings, enrichment)


def freeze_loaded_objects() -> None:
    """Call once, in the command that runs, after its chain (and databases) are built.

    The databases are millions of long-lived objects; left in the collector's generations,
    every full collection would walk them again (a third of parse time).
    """
    gc.freeze()
