"""`ktcp schemas`: regenerate (or check) the JSON Schemas and Elasticsearch templates."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from pipeline import kibana, schemas


@click.command("schemas")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("schemas"),
    show_default=True,
)
@click.option(
    "--kibana-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("kibana"),
    show_default=True,
    help="Where the Kibana saved objects (ktcp.ndjson) go.",
)
@click.option("--check", is_flag=True, help="Only report stale files; exit 1 if any.")
def schemas_command(directory: Path, kibana_dir: Path, check: bool) -> None:
    """Write schemas/ from the event models and the ECS field table, and kibana/ktcp.ndjson."""
    if check:
        paths = [directory / name for name in schemas.stale(directory)]
        paths += [kibana_dir / name for name in kibana.stale(kibana_dir)]
        for path in paths:
            click.echo(f"stale: {path}", err=True)
        sys.exit(1 if paths else 0)
    for path in [*schemas.write(directory), *kibana.write(kibana_dir)]:
        click.echo(f"wrote {path}")
