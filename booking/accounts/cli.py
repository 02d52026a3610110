"""`onestop users create`."""
from __future__ import annotations

import sys

import click

from ..cli import with_appcontext
from ..errors import DomainError
from ..extensions import db


@click.group("users")
def users() -> None:
    """Accounts."""


@users.command("create")
@click.option("--email", required=True)
@click.option("--password-stdin", is_flag=True, help="read the password from standard input")
@click.option("--role", type=click.Choice(["user", "staff", "admin"]), default="user", show_default=True)
@click.option("--platform", "platform_code", help="platform code (required for staff)")
@click.option("--name", default="")
@click.option("--org", "uscc", help="the USCC of the organisation the account belongs to (as a member)")
@with_appcontext
def create(email: str, password_stdin: bool, role: str, platform_code: str | None, name: str,
           uscc: str | None) -> None:
    """Make an account (counted as e-mail-verified: the operator made it)."""
    from ..organisations.service import by_uscc, put_in
    from .service import create_user

    if not password_stdin:
        raise click.UsageError("give the password on standard input with --password-stdin")
    password = sys.stdin.readline().rstrip("\r\n")
    try:
        org = by_uscc(uscc) if uscc else None
        user = create_user(email, password, role=role, platform_code=platform_code, name=name, verified=True)
        if org is not None:
            put_in(org, user)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    click.echo(f"created {user.role} {user.email}" + (f", member of {org.name_zh}" if org is not None else ""))
