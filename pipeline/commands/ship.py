"""`ktcp ship`: parse, enrich and deliver events to Elasticsearch or Fluentd; count each."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from pipeline.commands.options import (
    chain_from_options,
    elasticsearch_auth_options,
    fluentd_transport_from_options,
    fluentd_transport_options,
    freeze_loaded_objects,
    input_options,
)
from pipeline.drivers.inputs import STDIN, read_input
from pipeline.drivers.interrupts import Interrupts
from pipeline.drivers.progress import progress_bar
from pipeline.drivers.run import run
from pipeline.ecs import stamp_data_stream, stamp_ingested
from pipeline.errors import UsageError
from pipeline.report import summary
from pipeline.settings import DEFAULT_DATA_STREAM, DEFAULT_DEADLINE_SECS, DEFAULT_TAG_PREFIX
from pipeline.sinks.base import Document, Sink
from pipeline.sinks.dead_letter import DeadLetterFile


@click.command("ship")
@click.argument("files", nargs=-1, metavar="[FILE ...|-]")
@click.option("--elasticsearch", "es_url", metavar="URL", help="Bulk-index into this cluster.")
@click.option(
    "--fluentd",
    metavar="HOST:PORT|unix:PATH",
    help="Send to a Fluentd in_forward input (acknowledged forward protocol).",
)
@elasticsearch_auth_options
@fluentd_transport_options
@click.option(
    "--data-stream",
    default=DEFAULT_DATA_STREAM,
    show_default=True,
    help="Elasticsearch data stream (or index) to write.",
)
@click.option(
    "--deadline-secs",
    type=click.FloatRange(min=1),
    default=DEFAULT_DEADLINE_SECS,
    show_default=True,
    help="Give up retrying an unreachable destination after this long.",
)
@click.option("--tag-prefix", default=DEFAULT_TAG_PREFIX, show_default=True, help="Fluentd tag.")
@click.option(
    "--spool",
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory keeping unacknowledged Fluentd events "
    "(default: $XDG_STATE_HOME or ~/.local/state, then ktcp/spool/<destination>).",
)
@click.option(
    "--dead-letter",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Append unmatched/invalid lines and documents the destination rejected here.",
)
@input_options
def ship_command(
    files: tuple[str, ...],
    es_url: str | None,
    fluentd: str | None,
    api_key: str | None,
    user: str | None,
    password: str | None,
    ca_certs: str | None,
    insecure: bool,
    data_stream: str,
    deadline_secs: float,
    tag_prefix: str,
    spool: Path | None,
    dead_letter: Path | None,
    **options: Any,
) -> None:
    """Parse FILEs (or stdin) and deliver every event; exit 1 unless all were delivered."""
    if bool(es_url) == bool(fluentd):
        raise UsageError("give exactly one destination: --elasticsearch URL or --fluentd HOST:PORT")
    fluentd_tls, fluentd_security = fluentd_transport_from_options(options)
    if es_url and fluentd_tls:
        raise UsageError("--fluentd-* TLS flags need --fluentd; for Elasticsearch use --ca-certs")
    chain = chain_from_options(options)
    freeze_loaded_objects()
    letters = DeadLetterFile(dead_letter) if dead_letter else None
    interrupts = Interrupts()  # SIGINT/SIGTERM: stop reading, deliver what was read, exit 1

    def on_reject(doc: Document, reason: str) -> None:
        if letters is not None:
            letters.rejected(doc, reason)

    sink: Sink
    if es_url:
        from pipeline.sinks.elasticsearch import open_sink as open_es

        sink = open_es(
            url=es_url,
            api_key=api_key,
            user=user,
            password=password,
            ca_certs=ca_certs,
            insecure=insecure,
            data_stream=data_stream,
            deadline_secs=deadline_secs,
            on_reject=on_reject,
            stop=interrupts.stop,
        )
    else:
        from pipeline.sinks.fluentd import open_sink as open_fluentd

        assert fluentd is not None
        sink = open_fluentd(
            address=fluentd,
            tag_prefix=tag_prefix,
            spool=spool,
            deadline_secs=deadline_secs,
            on_reject=on_reject,
            tls=fluentd_tls,
            security=fluentd_security,
            stop=interrupts.stop,
        )

    def stamp(doc: Document) -> None:
        stamp_ingested(doc)
        if es_url:
            stamp_data_stream(doc, data_stream)

    inputs = list(files) or [STDIN]
    with interrupts, progress_bar(inputs, "shipping") as advance:
        result = run(
            chain,
            inputs,
            lambda c, name: read_input(c, name, advance),
            sink,
            letters,
            decorate=stamp,
            interrupts=interrupts,
        )
    click.echo(
        summary.render(
            result.stats, result.seconds, result.unmatched, False, result.delivery, result.errors
        ),
        err=True,
    )
    if result.errors or not result.delivery.complete or result.interrupted:
        sys.exit(1)
