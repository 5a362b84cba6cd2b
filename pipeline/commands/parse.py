"""`ktcp parse`: kernel log lines in, ECS events out (stdout), summary on stderr."""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, cast

import click

from pipeline.chain import Chain
from pipeline.commands.options import chain_from_options, freeze_loaded_objects, input_options
from pipeline.drivers.inputs import LOCAL, STDIN, EndOfBlock, followed, read_input
from pipeline.drivers.interrupts import Interrupts
from pipeline.drivers.progress import progress_bar
from pipeline.drivers.run import run
from pipeline.errors import UsageError
from pipeline.events import Event
from pipeline.records import Miss, Rendered
from pipeline.report import summary
from pipeline.report.table import TableSink
from pipeline.settings import DEFAULT_BATCH_EVENTS
from pipeline.sinks.base import Sink
from pipeline.sinks.dead_letter import DeadLetterFile
from pipeline.sinks.stdout import JsonArraySink, NdjsonSink
from pipeline.sources.kmsg import DEV_KMSG
from pipeline.sources.local import boot_id, boot_time


def make_output(kind: str, live: bool = False) -> Sink:
    """`live`: the input is a stream (stdin, --follow): every batch is flushed as it is made."""
    if kind == "ndjson":
        return NdjsonSink(sys.stdout.buffer, flush_each=live)
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
@click.option(
    "--follow",
    "-f",
    is_flag=True,
    help="Keep reading FILEs as they grow, like tail -F (from their end; survives rotation).",
)
@input_options
def parse_command(
    files: tuple[str, ...],
    output: str,
    dead_letter: Path | None,
    show_unmatched: bool,
    follow: bool,
    **options: Any,
) -> None:
    """Parse kernel TCP messages from FILEs (gzip ok), - for stdin, or the local kernel log.

    With no FILE, reads this machine's kernel log (journald, else /var/log/kern.log or
    /var/log/messages, else dmesg) and says which one it used.
    """
    inputs = list(files) or [LOCAL]
    if follow:
        if inputs == [LOCAL] or STDIN in inputs:
            raise UsageError("--follow needs FILEs to follow (stdin is read as it comes anyway)")
        inputs = [followed(inputs)]
    local = inputs == [LOCAL]
    if local and not options.get("host"):
        options["host"] = socket.gethostname()
    own_kernel = local or DEV_KMSG in inputs  # /dev/kmsg records carry sequence numbers, no boot id
    chain = chain_from_options(
        options,
        default_boot_time=boot_time() if local else None,
        default_boot_id=boot_id() if own_kernel else None,
    )
    if output == "ndjson":
        chain.render_natively()  # the compiled fast path, when installed (pipeline/native.py)
    freeze_loaded_objects()
    letters = DeadLetterFile(dead_letter) if dead_letter else None

    def notice(text: str) -> None:
        click.echo(f"ktcp: {text}", err=True)

    def read(chain_: Chain, name: str) -> Iterator[Event | Miss | Rendered | EndOfBlock]:
        return read_input(chain_, name, advance, follow, notice)

    with Interrupts() as interrupts, progress_bar([] if follow else inputs, "parsing") as advance:
        result = run(
            chain,
            inputs,
            read,
            make_output(output, live=follow or STDIN in inputs),
            letters,
            batch_events=1 if follow else DEFAULT_BATCH_EVENTS,
            interrupts=interrupts,
        )
    click.echo(
        summary.render(
            result.stats, result.seconds, result.unmatched, show_unmatched, None, result.errors
        ),
        err=True,
    )
    # --follow ends with Ctrl-C or SIGTERM; any other interrupted run did not read everything
    if result.errors or (result.interrupted and not follow):
        sys.exit(1)
