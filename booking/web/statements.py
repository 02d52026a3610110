"""Monthly statements per organisation: bookings (fees, voucher share, due) and priced
testing-service orders, as a printable page and a CSV download.

Who sees which: an administrator any organisation (?org=<id>); a manager of a verified
organisation the whole organisation; everyone else (members, unaffiliated or unverified users)
only their own lines. The month is the calendar month in the site's default time zone.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from ..engine.calendars import zone
from ..engine.pricing import charged
from ..engine.reservations import status_label
from ..engine.vouchers import account_for, balance_of
from ..extensions import db
from ..models import Order, Organisation, Reservation, User, VoucherEntry, utcnow
from .filters import lang
from .validate import id_arg

bp = Blueprint("statements", __name__)

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


def month_bounds(month: date, tz: str) -> tuple[datetime, datetime]:
    first = datetime.combine(month.replace(day=1), time(0), tzinfo=zone(tz))
    following = month.replace(year=month.year + (month.month == 12), month=month.month % 12 + 1, day=1)
    return first, datetime.combine(following, time(0), tzinfo=zone(tz))


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


def monthly_statement(scope: Scope, month: date, tz: str = "Asia/Shanghai") -> Statement:
    """Everything the scope's users used in `month`: bookings and priced orders."""
    start, end = month_bounds(month, tz)
    statement = Statement(scope.title, month.replace(day=1), tz)
    members = scope.user_ids()
    lg = lang()
    for r in db.session.scalars(select(Reservation).where(
            Reservation.user_id.in_(members), Reservation.status.in_(BILLED_STATUSES),
            Reservation.start >= start, Reservation.start < end).order_by(Reservation.start, Reservation.id)):
        hours = (r.end - r.start).total_seconds() / 3600
        statement.lines.append(Line(
            "booking", r.id, r.start, r.resource.display_title(lg), r.resource.platform.name(lg),
            r.user.name or r.user.email, status_label(r.status), _("%(h)s h booked", h=f"{hours:g}"),
            charged(r), r.voucher_amount or ZERO))
    for o in db.session.scalars(select(Order).where(
            Order.user_id.in_(members), Order.price_amount.isnot(None), Order.status.in_(ORDER_STATUSES),
            Order.created_at >= start, Order.created_at < end).order_by(Order.created_at, Order.id)):
        statement.lines.append(Line(
            "order", o.id, o.created_at, o.resource.display_title(lg), o.platform.name(lg), o.user.name or o.user.email,
            o.status, _("%(n)s samples", n=o.samples), o.price_amount or ZERO, ZERO))
    statement.lines.sort(key=lambda line: line.when)
    account = account_for(scope.org)
    if account is not None:
        statement.balance = balance_of(scope.org)
        statement.issued = sum((a for a in db.session.scalars(select(VoucherEntry.amount).where(
            VoucherEntry.account_id == account.id, VoucherEntry.kind == "issue",
            VoucherEntry.created_at >= start, VoucherEntry.created_at < end))), ZERO)
    return statement


def _chosen() -> tuple[Scope | None, date, str]:
    tz = "Asia/Shanghai"
    user = current_user._get_current_object()
    scope: Scope | None
    chosen = id_arg(request.args.get("org"))
    if user.is_admin:
        org = db.session.get(Organisation, chosen) if chosen is not None else None
        scope = Scope(org.name_zh, org=org) if org is not None else None
    elif user.is_org_manager and user.verified_organisation is not None:
        scope = Scope(user.organisation.name_zh, org=user.organisation)
    else:
        scope = Scope(user.name or user.email, user=user)
    today = utcnow().astimezone(zone(tz)).date()
    try:
        month = datetime.strptime(request.args.get("month", ""), "%Y-%m").date()
    except ValueError:
        month = today.replace(day=1)
    if not 2000 <= month.year <= 2100:
        month = today.replace(day=1)
    return scope, month, tz


@bp.get("/statements")
@login_required
def statement_page() -> Any:
    scope, month, tz = _chosen()
    statement = monthly_statement(scope, month, tz) if scope else None
    organisations: list[Organisation] = []
    if current_user.is_admin:
        organisations = list(db.session.scalars(select(Organisation).order_by(Organisation.name_zh).limit(2000)))
    prev = (month.replace(day=1) - timedelta(days=1)).replace(day=1)
    following = month.replace(year=month.year + (month.month == 12), month=month.month % 12 + 1, day=1)
    return render_template("services/statement.html", statement=statement, scope=scope, month=month,
                           organisations=organisations, prev=prev.strftime("%Y-%m"), next=following.strftime("%Y-%m"),
                           tz=tz)


@bp.get("/statements.csv")
@login_required
def statement_csv() -> Response:
    scope, month, tz = _chosen()
    if scope is None:
        abort(404)
    statement = monthly_statement(scope, month, tz)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["type", "number", "date", "resource", "platform", "user", "status", "detail", "fee_cny",
                     "voucher_cny", "due_cny"])
    for line in statement.lines:
        writer.writerow([line.kind, line.ref, line.when.astimezone(zone(tz)).strftime("%Y-%m-%d %H:%M"), line.title,
                         line.platform, line.who, line.status, line.detail, f"{line.fee:.2f}", f"{line.voucher:.2f}",
                         f"{line.due:.2f}"])
    writer.writerow(["total", "", "", "", "", "", "", "", f"{statement.fees:.2f}", f"{statement.vouchers:.2f}",
                     f"{statement.due:.2f}"])
    name = f"statement-{month:%Y-%m}.csv"
    # A BOM so that spreadsheet programs read the Chinese names as UTF-8.
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
