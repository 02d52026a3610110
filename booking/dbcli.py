"""`onestop db upgrade`: apply the Alembic migrations."""
from __future__ import annotations

import click
import flask_migrate

from .cli import with_appcontext


@click.group("db")
def db_group() -> None:
    """Database schema."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@with_appcontext
def upgrade(revision: str) -> None:
    """Apply migrations up to REVISION."""
    flask_migrate.upgrade(revision=revision)
    click.echo("database is up to date")
