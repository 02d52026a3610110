"""The `onestop` command line (docs/contract.md §3): 0 success, 1 user error, 2 usage error."""
from __future__ import annotations

import sys
from collections.abc import Callable
from functools import update_wrapper
from typing import Any

import click
from flask import Flask


def make_app() -> Flask:
    from . import create_app
    from .config import ConfigError

    try:
        return create_app()
    except ConfigError as exc:
        raise click.ClickException(f"configuration: {exc}") from None


def with_appcontext(f: Callable[..., Any]) -> Callable[..., Any]:
    """Run the command inside a fresh application context."""

    @click.pass_context
    def run(ctx: click.Context, *args: Any, **kwargs: Any) -> Any:
        app = ctx.obj if isinstance(ctx.obj, Flask) else make_app()
        ctx.obj = app
        with app.app_context():
            return ctx.invoke(f, *args, **kwargs)

    return update_wrapper(run, f)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """OneStop: search and book shared science and technology resources."""


def register_commands() -> None:
    from .accounts.cli import users
    from .catalog.cli import demo_command, import_command, import_platforms_command
    from .dbcli import db_group
    from .organisations.cli import orgs, vouchers
    from .reports.cli import report_group
    from .searching.cli import index_group, search_command
    from .serve import scheduler_command, serve_command

    for command in (
        users, demo_command, import_command, import_platforms_command, db_group,
        index_group, search_command, scheduler_command, serve_command, orgs, vouchers, report_group,
    ):
        cli.add_command(command)


def main(argv: list[str] | None = None) -> None:
    register_commands()
    try:
        cli.main(args=argv, prog_name="onestop", standalone_mode=True)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(1)
