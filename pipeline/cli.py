"""The `ktcp` command: wiring only; each command lives in pipeline/commands/."""

from __future__ import annotations

import sys

import click

from pipeline.commands.agent import agent_command
from pipeline.commands.exec_filter import exec_filter_command
from pipeline.commands.parse import parse_command
from pipeline.commands.report import report_command
from pipeline.commands.sample import sample_command
from pipeline.commands.schemas import schemas_command
from pipeline.commands.setup import setup_command
from pipeline.commands.ship import ship_command
from pipeline.ecs import PARSER_VERSION
from pipeline.enrich.commands import lookup_command
from pipeline.errors import InputError, KtcpError, UsageError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(PARSER_VERSION, prog_name="ktcp")
def cli() -> None:
    """Turn the Linux kernel's TCP warnings into typed, ISP-attributed events."""


cli.add_command(parse_command)
cli.add_command(ship_command)
cli.add_command(schemas_command)
cli.add_command(lookup_command)
cli.add_command(setup_command)
cli.add_command(exec_filter_command)
cli.add_command(agent_command)
cli.add_command(sample_command)
cli.add_command(report_command)


def main() -> None:
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("ktcp: interrupted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2 if isinstance(exc, click.UsageError) else exc.exit_code)
    except UsageError as exc:
        click.echo(f"ktcp: {exc}", err=True)
        sys.exit(2)
    except InputError as exc:
        click.echo(f"ktcp: {exc}", err=True)
        sys.exit(1)
    except KtcpError as exc:
        click.echo(f"ktcp: {exc}", err=True)
        sys.exit(1)
    except BrokenPipeError:
        sys.exit(0)


if __name__ == "__main__":
    main()
