"""Monthly statements: bookings (fee, voucher share, due) and priced testing-service orders of an
organisation's members or of one user, in one calendar month.

The month is a calendar month in the time zone the caller passes: the site's own (its
`ONESTOP_DEFAULT_TIMEZONE`), since one statement spans platforms in several zones. Who may read
which statement is decided by `scope_for`; the web only renders the result.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from ..engine.calendars import zone
from ..engine.pricing import charged
from ..engine.reservations import status_label
from ..engine.text import _
from ..engine.vouchers import account_for, balance_of
from ..extensions import db
from ..models import Order, Organisation, Reservation, User, VoucherEntry, utcnow

BILLED_STATUSES = ("confirmed", "completed", "no_show")
ORDER_STATUSES = ("accepted", "received", "testing", "reported", "completed")
ZERO = Decimal("0.00")


@dataclass
class Line:
    kind: str  # booking | order
    ref: int
    when: datetime
    title: str
    platform: str
    who: str
    status: str
    detail: str
    fee: Decimal
    voucher: Decimal

    @property
    def due(self) -> Decimal:
        return self.fee - self.voucher


@dataclass
class Statement:
    organisation: str  # the title: the organisation's name, or the user's own
    month: date
    tz: str
    lines: list[Line] = field(default_factory=list)
    issued: Decimal = ZERO
    balance: Decimal = ZERO

    @property
    def fees(self) -> Decimal:
        return sum((line.fee for line in self.lines), ZERO)

    @property
    def vouchers(self) -> Decimal:
        return sum((line.voucher for line in self.lines), ZERO)

    @property
    def due(self) -> Decimal:
        return self.fees - self.vouchers


@dataclass(frozen=True)
class Scope:
    """Whose lines a statement holds: an organisation's members, or one user."""

    title: str
    org: Organisation | None = None
    user: User | None = None

    def user_ids(self) -> Any:
        if self.org is not None:
            return select(User.id).where(User.organisation_id == self.org.id)
        return select(User.id).where(User.id == (self.user.id if self.user else -1))


def scope_for(user: User, org_id: int | None) -> Scope | None:
    """An administrator reads any organisation's (None until one is chosen); a manager of a
    verified organisation the whole organisation's; everyone else only their own lines."""
    if user.is_admin:
        org = db.session.get(Organisation, org_id) if org_id is not None else None
        return Scope(org.name_zh, org=org) if org is not None else None
    if user.is_org_manager and user.verified_organisation is not None and user.organisation is not None:
        return Scope(user.organisation.name_zh, org=user.organisation)
    return Scope(user.name or user.email, user=user)


def next_month(month: date) -> date:
    return month.replace(year=month.year + (month.month == 12), month=month.month % 12 + 1, day=1)


def previous_month(month: date) -> date:
    return (month.replace(day=1) - timedelta(days=1)).replace(day=1)


def month_asked(value: str, tz: str, now: datetime | None = None) -> date:
    """The month of `YYYY-MM`, else (malformed, or outside 2000–2100) this month in `tz`."""
    this_month = (now or utcnow()).astimezone(zone(tz)).date().replace(day=1)
    try:
        month = datetime.strptime(value, "%Y-%m").date()
    except ValueError:
        return this_month
    return month if 2000 <= month.year <= 2100 else this_month


def month_bounds(month: date, tz: str) -> tuple[datetime, datetime]:
    first = datetime.combine(month.replace(day=1), time(0), tzinfo=zone(tz))
    return first, datetime.combine(next_month(month), time(0), tzinfo=zone(tz))


def monthly_statement(scope: Scope, month: date, tz: str, language: str) -> Statement:
    """Everything the scope's users used in `month`: bookings and priced orders."""
    start, end = month_bounds(month, tz)
    statement = Statement(scope.title, month.replace(day=1), tz)
    members = scope.user_ids()
    for r in db.session.scalars(select(Reservation).where(
            Reservation.user_id.in_(members), Reservation.status.in_(BILLED_STATUSES),
            Reservation.start >= start, Reservation.start < end).order_by(Reservation.start, Reservation.id)):
        hours = (r.end - r.start).total_seconds() / 3600
        statement.lines.append(Line(
            "booking", r.id, r.start, r.resource.display_title(language), r.resource.platform.name(language),
            r.user.name or r.user.email, status_label(r.status), _("%(h)s h booked", h=f"{hours:g}"),
            charged(r), r.voucher_amount or ZERO))
    for o in db.session.scalars(select(Order).where(
            Order.user_id.in_(members), Order.price_amount.isnot(None), Order.status.in_(ORDER_STATUSES),
            Order.created_at >= start, Order.created_at < end).order_by(Order.created_at, Order.id)):
        statement.lines.append(Line(
            "order", o.id, o.created_at, o.resource.display_title(language), o.platform.name(language),
            o.user.name or o.user.email, o.status, _("%(n)s samples", n=o.samples), o.price_amount or ZERO, ZERO))
    statement.lines.sort(key=lambda line: line.when)
    account = account_for(scope.org)
    if account is not None and scope.org is not None:
        statement.balance = balance_of(scope.org)
        statement.issued = sum((a for a in db.session.scalars(select(VoucherEntry.amount).where(
            VoucherEntry.account_id == account.id, VoucherEntry.kind == "issue",
            VoucherEntry.created_at >= start, VoucherEntry.created_at < end))), ZERO)
    return statement


def statement_csv(statement: Statement) -> str:
    """The statement as CSV with a BOM, so that spreadsheet programs read the Chinese names as UTF-8."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["type", "number", "date", "resource", "platform", "user", "status", "detail", "fee_cny",
                     "voucher_cny", "due_cny"])
    for line in statement.lines:
        writer.writerow([line.kind, line.ref, line.when.astimezone(zone(statement.tz)).strftime("%Y-%m-%d %H:%M"),
                         line.title, line.platform, line.who, line.status, line.detail, f"{line.fee:.2f}",
                         f"{line.voucher:.2f}", f"{line.due:.2f}"])
    writer.writerow(["total", "", "", "", "", "", "", "", f"{statement.fees:.2f}", f"{statement.vouchers:.2f}",
                     f"{statement.due:.2f}"])
    return "\ufeff" + out.getvalue()
