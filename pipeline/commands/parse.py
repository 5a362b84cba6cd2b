"""`ktcp parse`: kernel log lines in, ECS events out (stdout), summary on stderr."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import IO, Any, cast

import click

from pipeline.commands.options import chain_from_options, input_options
from pipeline.drivers.inputs import read_path
from pipeline.drivers.progress import progress_bar
from pipeline.drivers.run import run
from pipeline.report import summary
from pipeline.report.table import TableSink
from pipeline.sinks.base import Sink
from pipeline.sinks.dead_letter import DeadLetterFile
from pipeline.sinks.stdout import JsonArraySink, NdjsonSink


def make_output(kind: str) -> Sink:
    if kind == "ndjson":
        return NdjsonSink(sys.stdout.buffer)
    if kind == "json":
        return JsonArraySink(sys.stdout.buffer)
    return TableSink(cast(IO[str], sys.stdout))


@click.command("parse")
@click.argument("files", nargs=-1, metavar="[FILE ...|-]")
@click.option(
    "--output",
    "-o",
    type=click.Choice(["table", "ndjson", "json"]),
    default="table",
    show_default=True,
    help="table for people, ndjson (one ECS document per line) for programs.",
)
@click.option(
    "--dead-letter",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Append every unmatched or invalid line here (JSON lines, with the reason).",
)
@click.option("--show-unmatched", is_flag=True, help="List TCP-looking lines no wording fits.")
@input_options
def parse_command(
    files: tuple[str, ...],
    output: str,
    dead_letter: Path | None,
    show_unmatched: bool,
    **options: Any,
) -> None:
    """Parse kernel TCP messages from FILEs (gzip ok), - for stdin, or the local kernel log."""
    chain = chain_from_options(options)
    inputs = list(files) or ["-"]
    letters = DeadLetterFile(dead_letter) if dead_letter else None
    with progress_bar(inputs, "parsing") as advance:
        result = run(
            chain, inputs, lambda c, name: read_path(c, name, advance), make_output(output), letters
        )
    click.echo(
        summary.render(
            result.stats, result.seconds, result.unmatched, show_unmatched, None, result.errors
        ),
        err=True,
    )
    if result.errors:
        sys.exit(1)
