"""Import commands (placeholder until the importer lands)."""
from __future__ import annotations

import click


@click.command("import")
@click.argument("file", type=click.Path())
@click.option("--full", is_flag=True)
def import_command(file: str, full: bool) -> None:
    """Upsert resources from FILE."""
    raise click.ClickException("not implemented yet")


@click.command("import-platforms")
@click.argument("file", type=click.Path())
def import_platforms_command(file: str) -> None:
    """Upsert platforms from FILE.json."""
    raise click.ClickException("not implemented yet")


@click.command("demo")
def demo_command() -> None:
    """Seed the demo data."""
    raise click.ClickException("not implemented yet")
