"""`ktcp setup elasticsearch|kibana`: install what ktcp's documents need there, idempotently."""

from __future__ import annotations

import re

import click
from elastic_transport import TransportError

from pipeline import kibana
from pipeline.commands.options import elasticsearch_auth_options
from pipeline.errors import KtcpError
from pipeline.kibana.importer import check_space, import_objects
from pipeline.sinks.elasticsearch import connection
from pipeline.sinks.elasticsearch.capabilities import detect
from pipeline.sinks.elasticsearch.install import Outcome, install
from pipeline.sinks.elasticsearch.templates import INDEX_PATTERN, POLICY, Lifecycle, render

SETUP_TIMEOUT_SECS = 30.0
KIBANA_IMPORT_TIMEOUT_SECS = 120.0  # Kibana migrates and writes every object before answering
_DURATION = re.compile(r"^\d+(d|h|m|s|ms|micros|nanos)$")
_SIZE = re.compile(r"^\d+(b|kb|mb|gb|tb|pb)$", re.IGNORECASE)
_DEFAULTS = Lifecycle()


def _checked(pattern: re.Pattern[str], example: str) -> object:
    def check(ctx: click.Context, param: click.Parameter, value: str) -> str:
        if not pattern.match(value):
            raise click.BadParameter(f"{value!r} is not like {example}")
        return value

    return check


@click.group("setup")
def setup_command() -> None:
    """Prepare a destination for ktcp's events."""


@setup_command.command("elasticsearch")
@click.option("--url", required=True, metavar="URL", help="The cluster, e.g. https://es:9200.")
@elasticsearch_auth_options
@click.option(
    "--rollover-max-age",
    default=_DEFAULTS.rollover_max_age,
    show_default=True,
    callback=_checked(_DURATION, "30d"),
    help="ILM: roll the data stream over after this long.",
)
@click.option(
    "--rollover-max-size",
    default=_DEFAULTS.rollover_max_primary_shard_size,
    show_default=True,
    callback=_checked(_SIZE, "50gb"),
    help="ILM: roll over when a primary shard reaches this size.",
)
@click.option(
    "--retention",
    default=_DEFAULTS.delete_after,
    show_default=True,
    callback=_checked(_DURATION, "90d"),
    help="ILM: delete backing indices this long after rollover.",
)
def elasticsearch_command(
    url: str,
    api_key: str | None,
    user: str | None,
    password: str | None,
    ca_certs: str | None,
    insecure: bool,
    rollover_max_age: str,
    rollover_max_size: str,
    retention: str,
) -> None:
    """Install the ILM policy and templates for logs-kernel.tcp-* data streams.

    Safe to run again: it says what it created, updated or left alone. Features the cluster
    lacks (ILM, match_only_text, constant_keyword, data streams) are skipped or substituted,
    with a notice.
    """
    conn = connection.connection(url, api_key, user, password, ca_certs, insecure)
    client = connection.client(conn, SETUP_TIMEOUT_SECS)
    try:
        capabilities = detect(client)
        lifecycle = Lifecycle(rollover_max_age, rollover_max_size, retention)
        steps = install(client, render(capabilities, lifecycle))
    except TransportError as exc:
        raise KtcpError(f"cannot reach Elasticsearch at {conn.url}: {exc.message}") from exc
    finally:
        client.close()
    version = f" {capabilities.version}" if capabilities.version else ""
    click.echo(f"Elasticsearch{version} at {conn.url}")
    if insecure:
        click.echo("  (TLS certificate verification was off: --insecure)")
    for step in steps:
        click.echo(f"  {step.describe()}")
    if not (capabilities.ilm and capabilities.data_streams):
        click.echo(f"  ILM policy {POLICY}: skipped (see the notice below)")
    for note in capabilities.missing():
        click.echo(f"notice: {note}")
    if any(s.outcome is Outcome.UPDATED for s in steps):
        click.echo(
            f"notice: existing {INDEX_PATTERN} data streams take the new mappings and settings "
            "at their next rollover (POST <data stream>/_rollover)"
        )
    click.echo(f"Documents shipped to {INDEX_PATTERN} now get these mappings.")


@setup_command.command("kibana")
@click.option("--url", required=True, metavar="URL", help="Kibana, e.g. https://kibana:5601.")
@click.option(
    "--space",
    metavar="ID",
    callback=lambda ctx, param, value: check_space(value),
    help="Import into this Kibana space (its id). Default: the default space.",
)
@elasticsearch_auth_options
def kibana_command(
    url: str,
    space: str | None,
    api_key: str | None,
    user: str | None,
    password: str | None,
    ca_certs: str | None,
    insecure: bool,
) -> None:
    """Import ktcp's data view, saved searches, Lens charts and dashboard into Kibana.

    Uses Kibana's saved-objects import API with overwrite, so running it again replaces the
    objects with this version's. Credentials are the cluster's (Kibana checks them against
    it): the same options and environment variables as `setup elasticsearch`. Exits 1 when
    any object failed, after saying which and why in Kibana's words.
    """
    conn = connection.connection(
        url, api_key, user, password, ca_certs, insecure, service="Kibana", example_port=5601
    )
    objects = kibana.saved_objects()
    report = import_objects(
        conn, space, objects, kibana.ndjson(), kibana.NDJSON_NAME, KIBANA_IMPORT_TIMEOUT_SECS
    )
    where = f" (space {space})" if space else ""
    click.echo(f"Kibana at {conn.url}{where}")
    if insecure:
        click.echo("  (TLS certificate verification was off: --insecure)")
    for result in report.results:
        click.echo(f"  {result.describe()}")
    for warning in report.warnings:
        click.echo(f"warning: {warning}")
    failed = report.failed
    if failed:
        raise KtcpError(
            f"{len(failed)} of {len(report.results)} saved objects were not imported (see above)"
        )
    base = f"{conn.url}/s/{space}" if space and space != "default" else conn.url
    click.echo(
        f"Imported {len(report.results)} saved objects. Open the dashboard: "
        f"{base}/app/dashboards#/view/{kibana.saved_set.DASHBOARD_ID}"
    )
