"""`ktcp schemas`: regenerate (or check) the JSON Schemas and Elasticsearch templates."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from pipeline import schemas


@click.command("schemas")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("schemas"),
    show_default=True,
)
@click.option("--check", is_flag=True, help="Only report stale files; exit 1 if any.")
def schemas_command(directory: Path, check: bool) -> None:
    """Write schemas/ from the event models and the ECS field table."""
    if check:
        names = schemas.stale(directory)
        for name in names:
            click.echo(f"stale: {directory / name}", err=True)
        sys.exit(1 if names else 0)
    for path in schemas.write(directory):
        click.echo(f"wrote {path}")
