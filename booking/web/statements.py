"""/statements: the monthly statement as a printable page and a CSV download (booking.billing).

Who sees which is booking.billing.statements.scope_for; the month is a calendar month in the
site's time zone (ONESTOP_DEFAULT_TIMEZONE).
"""
from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask_login import current_user, login_required
from sqlalchemy import select

from ..billing.statements import (
    Scope,
    Statement,
    month_asked,
    monthly_statement,
    next_month,
    previous_month,
    scope_for,
    statement_csv,
)
from ..engine.references import order_reference, reservation_reference
from ..extensions import db
from ..models import Order, Organisation, Reservation
from ..orders.labels import status_label as order_status_label
from .filters import lang
from .validate import id_arg

bp = Blueprint("statements", __name__)


def _chosen() -> tuple[Scope | None, date, str]:
    """Whose statement, which month, in which zone: from the query string and the reader."""
    tz = current_app.config["ONESTOP_DEFAULT_TIMEZONE"]
    scope = scope_for(current_user._get_current_object(), id_arg(request.args.get("org")))
    return scope, month_asked(request.args.get("month", ""), tz), tz


def _named(statement: Statement) -> Statement:
    """The statement with its orders' statuses named in the reader's language ("reported" →
    "报告已出具"), as its bookings' already are: the page and the CSV never show a raw code."""
    for line in statement.lines:
        if line.kind == "order":
            line.status = order_status_label(line.status)
    return statement


def _references(statement: Statement) -> dict[tuple[str, int], str]:
    """The readable reference (OS-2026-000123, OR-2026-000045) of each line, as pages and mails show it."""
    references: dict[tuple[str, int], str] = {}
    for line in statement.lines:
        row = db.session.get(Order if line.kind == "order" else Reservation, line.ref)
        if isinstance(row, Order):
            references[(line.kind, line.ref)] = order_reference(row)
        elif isinstance(row, Reservation):
            references[(line.kind, line.ref)] = reservation_reference(row)
    return references


@bp.get("/statements")
@login_required
def statement_page() -> Any:
    scope, month, tz = _chosen()
    statement = _named(monthly_statement(scope, month, tz, lang())) if scope else None
    organisations: list[Organisation] = []
    if current_user.is_admin:
        organisations = list(db.session.scalars(select(Organisation).order_by(Organisation.name_zh).limit(2000)))
    return render_template("statements/statement.html", statement=statement, scope=scope, month=month,
                           references=_references(statement) if statement else {},
                           organisations=organisations, prev=previous_month(month).strftime("%Y-%m"),
                           next=next_month(month).strftime("%Y-%m"), tz=tz)


@bp.get("/statements.csv", endpoint="statement_csv")
@login_required
def statement_csv_download() -> Response:
    scope, month, tz = _chosen()
    if scope is None:
        abort(404)
    return Response(statement_csv(_named(monthly_statement(scope, month, tz, lang()))), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="statement-{month:%Y-%m}.csv"'})
