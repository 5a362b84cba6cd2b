"""`ktcp exec-filter`: the child process of Fluentd's exec_filter output (records in, ECS out)."""

from __future__ import annotations

import sys
from typing import Any

import click

from pipeline.commands.options import chain_from_options, freeze_loaded_objects, input_options
from pipeline.drivers.exec_filter import (
    DEFAULT_TAG_KEY,
    DEFAULT_TIME_KEY,
    FORMATS,
    FilterSettings,
    run_filter,
    stderr_log,
)
from pipeline.drivers.interrupts import Interrupts
from pipeline.errors import UsageError


@click.command("exec-filter")
@click.option(
    "--format",
    "input_format",
    type=click.Choice(FORMATS),
    default="msgpack",
    show_default=True,
    envvar="KTCP_FORMAT",
    help="What Fluentd's <format> writes to our stdin.  [env KTCP_FORMAT]",
)
@click.option(
    "--output-format",
    type=click.Choice(FORMATS),
    envvar="KTCP_OUTPUT_FORMAT",
    help="What Fluentd's <parse> reads from our stdout (default: as --format).",
)
@click.option(
    "--key",
    metavar="NAME",
    envvar="KTCP_KEY",
    help="Record key holding the kernel line (default: message, then log, msg, MESSAGE).",
)
@click.option(
    "--pass-unmatched",
    is_flag=True,
    envvar="KTCP_PASS_UNMATCHED",
    help="Write records that give no event through untouched instead of dropping them.",
)
@click.option(
    "--time-key",
    default=DEFAULT_TIME_KEY,
    show_default=True,
    envvar="KTCP_TIME_KEY",
    help="Add the event's time as 'sec.nsec' under this key, for <parse> time_key/time_type "
    "float ('' for none: Fluentd then stamps the time it read the record).",
)
@click.option(
    "--error-tag",
    metavar="TAG",
    envvar="KTCP_ERROR_TAG",
    help="Also write an error record per bad/unmatched record, its tag under --tag-key.",
)
@click.option(
    "--tag-key",
    default=DEFAULT_TAG_KEY,
    show_default=True,
    help="Key of the error records' tag, for <extract> tag_key.",
)
@click.option(
    "--log-file",
    type=click.Path(dir_okay=False, writable=True),
    envvar="KTCP_LOG_FILE",
    help="Append problems here: Fluentd discards a child's stderr.  [env KTCP_LOG_FILE]",
)
@input_options
def exec_filter_command(
    input_format: str,
    output_format: str | None,
    key: str | None,
    pass_unmatched: bool,
    time_key: str,
    error_tag: str | None,
    tag_key: str,
    log_file: str | None,
    **options: Any,
) -> None:
    """Read Fluentd records on stdin, write one ECS document per kernel TCP event on stdout."""
    chain = chain_from_options(options, record_key=key)
    freeze_loaded_objects()
    try:
        log = stderr_log(log_file)
    except OSError as exc:
        raise UsageError(f"cannot write the log file {log_file}: {exc.strerror or exc}") from exc
    with Interrupts() as interrupts:  # SIGTERM from Fluentd: finish the batch in hand, exit 0
        stats = run_filter(
            chain,
            FilterSettings(
                input_format=input_format,
                output_format=output_format or input_format,
                pass_unmatched=pass_unmatched,
                time_key=time_key or None,
                error_tag=error_tag,
                tag_key=tag_key,
            ),
            sys.stdin.buffer,
            sys.stdout.buffer,
            log,
            interrupts,
        )
    log(stats.render())
