"""The `ktcp` command: wiring only; each command lives in pipeline/commands/."""

from __future__ import annotations

import importlib
import sys

import click

from pipeline.errors import InputError, KtcpError, UsageError
from pipeline.version import PARSER_VERSION

# name -> "module:attribute". A command's module is imported only when that command runs (or
# help lists it): `ktcp parse` never pays for the Elasticsearch client, the agent or the report.
COMMANDS = {
    "parse": "pipeline.commands.parse:parse_command",
    "ship": "pipeline.commands.ship:ship_command",
    "schemas": "pipeline.commands.schemas:schemas_command",
    "lookup": "pipeline.commands.lookup:lookup_command",
    "setup": "pipeline.commands.setup:setup_command",
    "exec-filter": "pipeline.commands.exec_filter:exec_filter_command",
    "agent": "pipeline.commands.agent:agent_command",
    "sample": "pipeline.commands.sample:sample_command",
    "report": "pipeline.commands.report:report_command",
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use (click's documented pattern)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return super().get_command(ctx, cmd_name)
        module_name, attribute = COMMANDS[cmd_name].split(":")
        command = getattr(importlib.import_module(module_name), attribute)
        assert isinstance(command, click.Command)
        return command


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from pipeline import native  # only for --version: says which parse path is installed

    click.echo(f"ktcp, version {PARSER_VERSION} ({native.describe()})")
    ctx.exit()


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Show the version (and whether the compiled fast path is installed) and exit.",
)
def cli() -> None:
    """Turn the Linux kernel's TCP warnings into typed, ISP-attributed events."""


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
