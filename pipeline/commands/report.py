"""`ktcp report`: what is going on, who is doing it, and what to do, from logs or shipped events."""

from __future__ import annotations

import socket
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from pipeline.chain import Chain
from pipeline.commands.options import (
    chain_from_options,
    elasticsearch_auth_options,
    freeze_loaded_objects,
    input_options,
)
from pipeline.drivers.inputs import LOCAL
from pipeline.drivers.progress import progress_bar
from pipeline.errors import UsageError
from pipeline.report.build import build_report
from pipeline.report.sources import Collector, parse_since, read_elasticsearch, read_inputs
from pipeline.settings import (
    DEFAULT_DATA_STREAM,
    REPORT_EPISODE_GAP_SECS,
    REPORT_ES_PAGE,
    REPORT_ES_SINCE,
    REPORT_TOP_N,
)


@click.command("report")
@click.argument("files", nargs=-1, metavar="[FILE ...|-]")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (schemas/).")
@click.option(
    "--html",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write a self-contained HTML page with charts (works offline).",
)
@click.option(
    "--since",
    metavar="DURATION|ISO8601",
    help=f"Only events since then: 7d, 12h, 30m, 2w or a time "
    f"(default: everything; {REPORT_ES_SINCE} with --elasticsearch).",
)
@click.option(
    "--episode-gap",
    "episode_gap_secs",
    type=click.FloatRange(min=0),
    default=REPORT_EPISODE_GAP_SECS,
    show_default=True,
    metavar="SECONDS",
    help="Window-shrink events of one peer closer than this form one episode.",
)
@click.option(
    "--top", "top_n", type=click.IntRange(min=1), default=REPORT_TOP_N, show_default=True,
    help="Rows of each top list.",
)  # fmt: skip
@click.option(
    "--no-host-values",
    is_flag=True,
    help="Do not read this machine's sysctls, even when the events come from it.",
)
@click.option(
    "--elasticsearch", "es_url", metavar="URL", help="Read the events from this cluster instead."
)
@elasticsearch_auth_options
@click.option(
    "--data-stream",
    default=DEFAULT_DATA_STREAM,
    show_default=True,
    help="Elasticsearch data stream (or index) to read.",
)
@input_options
def report_command(
    files: tuple[str, ...],
    as_json: bool,
    html: Path | None,
    since: str | None,
    episode_gap_secs: float,
    top_n: int,
    no_host_values: bool,
    es_url: str | None,
    api_key: str | None,
    user: str | None,
    password: str | None,
    ca_certs: str | None,
    insecure: bool,
    data_stream: str,
    **options: Any,
) -> None:
    """Summarise kernel TCP events: numbers, episodes, findings with evidence, and advice.

    Reads what `ktcp parse` reads (FILEs, gzip ok, - for stdin, or this machine's kernel log),
    NDJSON that `ktcp parse -o ndjson` wrote, or with --elasticsearch the shipped data stream.
    """
    now = datetime.now(UTC)
    if es_url and files:
        raise UsageError("give FILEs or --elasticsearch URL, not both")
    if since is None and es_url:
        since = REPORT_ES_SINCE
    collector = Collector(since=parse_since(since, now) if since else None)

    def notice(text: str) -> None:
        click.echo(f"ktcp: {text}", err=True)

    chain: Chain | None = None
    local = False
    if es_url:
        _read_cluster(es_url, api_key, user, password, ca_certs, insecure, data_stream, collector)
    else:
        inputs = list(files) or [LOCAL]
        local = inputs == [LOCAL]
        if local and not options.get("host"):
            options["host"] = socket.gethostname()
        from pipeline.sources.local import boot_time

        chain = chain_from_options(options, default_boot_time=boot_time() if local else None)
        freeze_loaded_objects()
        with progress_bar(inputs, "reading") as advance:
            read_inputs(inputs, chain, collector, notice, advance)

    report = build_report(
        collector.rows,
        collector.summary(chain),
        episode_gap_secs=episode_gap_secs,
        top_n=top_n,
        local_input=local,
        host_values=not no_host_values,
        now=now,
    )
    if as_json:
        sys.stdout.write(report.model_dump_json(indent=2) + "\n")
    else:
        from pipeline.report.terminal import render

        render(report)
    if html is not None:
        from pipeline.report.html import render_html

        try:
            html.write_text(render_html(report), encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write {html}: {exc.strerror or exc}") from None
        notice(f"wrote {html}")
    inputs_ = report.inputs
    notice(
        f"{inputs_.events:,} events in the report from {', '.join(inputs_.sources)}"
        + (f"; {sum(inputs_.skipped_documents.values()):,} documents skipped"
           if inputs_.skipped_documents else "")
    )  # fmt: skip
    for err in inputs_.errors:
        notice(f"error: {err}")
    if inputs_.errors:
        sys.exit(1)


def _read_cluster(
    url: str,
    api_key: str | None,
    user: str | None,
    password: str | None,
    ca_certs: str | None,
    insecure: bool,
    data_stream: str,
    collector: Collector,
) -> None:
    from pipeline.sinks.elasticsearch.connection import client, connection

    conn = connection(url, api_key, user, password, ca_certs, insecure)
    es = client(conn)
    collector.sources.append(f"{conn.url} {data_stream}")
    try:
        read_elasticsearch(es, data_stream, collector.since or datetime.now(UTC), collector,
                           REPORT_ES_PAGE)  # fmt: skip
    finally:
        es.close()
