"""`onestop index rebuild` and `onestop search` (placeholder until search lands)."""
from __future__ import annotations

import click


@click.group("index")
def index_group() -> None:
    """The search index."""


@index_group.command("rebuild")
def rebuild() -> None:
    """Rebuild the search index from the database."""
    raise click.ClickException("not implemented yet")


@click.command("search")
@click.argument("query")
def search_command(query: str) -> None:
    """Search from the shell."""
    raise click.ClickException("not implemented yet")
