"""`onestop orgs create | add-member | list` and `onestop vouchers issue` (docs/contract.md §3)."""
from __future__ import annotations

from collections.abc import Callable

import click
from sqlalchemy import func, select

from ..cli import with_appcontext
from ..engine.vouchers import issue_vouchers
from ..errors import DomainError, InvalidInput
from ..extensions import db
from ..models import ORG_KINDS, Organisation, Platform, User
from .service import by_uscc, create_organisation, find_user, put_in


def _run(work: Callable[[], str]) -> None:
    """Commit what `work` did, or roll back and exit 1 with its one-line message."""
    try:
        message = work()
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    click.echo(message)


@click.group("orgs")
def orgs() -> None:
    """Organisations (companies, universities, institutes) and their members."""


@orgs.command("create")
@click.option("--name", required=True, help="registered (Chinese) name")
@click.option("--name-en", default="")
@click.option("--uscc", required=True, help="统一社会信用代码, 18 characters")
@click.option("--kind", required=True, type=click.Choice(ORG_KINDS))
@click.option("--city", default="")
@click.option("--verified", is_flag=True, help="verified now (the programme office checked the register)")
@click.option("--owns", "owns", multiple=True, metavar="PLATFORM_CODE",
              help="it owns this platform, so its members pay the internal rate (repeatable)")
@with_appcontext
def create(name: str, name_en: str, uscc: str, kind: str, city: str, verified: bool, owns: tuple[str, ...]) -> None:
    """Make an organisation."""

    def work() -> str:
        org = create_organisation(None, name=name, name_en=name_en, uscc=uscc, kind=kind, city=city,
                                  verified=verified)
        for code in owns:
            platform = db.session.scalar(select(Platform).where(Platform.code == code))
            if platform is None:
                raise InvalidInput(f"no platform with code {code!r}")
            platform.owner_org_id = org.id
        owned = f", owns {', '.join(owns)}" if owns else ""
        return f"created {org.state} {org.kind} {org.name_zh} ({org.uscc}){owned}"

    _run(work)


@orgs.command("add-member")
@click.argument("uscc")
@click.argument("email")
@click.option("--manager", is_flag=True, help="as a manager (approves join requests, sees statements)")
@with_appcontext
def add_member_command(uscc: str, email: str, manager: bool) -> None:
    """Put the account EMAIL in the organisation USCC."""
    def work() -> str:
        org, user = by_uscc(uscc), find_user(email)
        put_in(org, user, "manager" if manager else "member")
        return f"{user.email} is now a {user.org_role} of {org.name_zh}"

    _run(work)


@orgs.command("list")
@with_appcontext
def list_command() -> None:
    """Every organisation with its state and number of members."""
    counts: dict[int | None, int] = {
        org_id: n for org_id, n in db.session.execute(select(User.organisation_id, func.count())
                                                      .group_by(User.organisation_id))}
    for org in db.session.scalars(select(Organisation).order_by(Organisation.name_zh)):
        click.echo(f"{org.uscc or '-':18}  {org.state:10}  {org.kind:10}  {counts.get(org.id, 0):4}  {org.name_zh}")


@click.group("vouchers")
def vouchers() -> None:
    """Innovation vouchers (科技创新券)."""


@vouchers.command("issue")
@click.option("--org", "uscc", required=True, help="the organisation's USCC (it must be verified)")
@click.option("--amount", required=True, help="CNY; negative takes back unused vouchers")
@click.option("--note", default="")
@with_appcontext
def issue(uscc: str, amount: str, note: str) -> None:
    """Grant vouchers to a verified organisation."""
    def work() -> str:
        org = by_uscc(uscc)
        account = issue_vouchers(None, org, amount, note)
        return f"{org.name_zh} now holds {account.balance} CNY in innovation vouchers"

    _run(work)
