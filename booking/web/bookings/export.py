"""/bookings/export: a user's own bookings as CSV or XLSX, for any range of days (at most three years).

The same rows serve the platform's export (booking.web.staff.exports): one row per booking with
its reference, resource, platform, user, organisation, local start and end (the platform's zone),
hours, translated status, fee, voucher share and purpose. CSV is UTF-8 with a byte-order mark, so
Excel opens Chinese correctly; XLSX is written by openpyxl with numbers as numbers.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from flask import Response, current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from openpyxl import Workbook
from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from ...engine.calendars import zone
from ...engine.references import reservation_reference
from ...engine.reservations import status_label
from ...errors import DomainError
from ...extensions import db
from ...models import Reservation, User, utcnow
from ..filters import lang
from .blueprint import bp

MAX_RANGE = timedelta(days=3 * 366)  # three years, leap days included
FORMATS = ("csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class BadExport(DomainError):
    """A bad `from`, `to` or `format` (400, with the message on the page or in the JSON)."""

    code = "bad_request"
    status = 400


@dataclass(frozen=True)
class ExportQuery:
    first: date
    last: date
    fmt: str

    def bounds(self, tz: str) -> tuple[datetime, datetime]:
        """From the midnight starting `first` to the one ending `last`, in zone `tz`."""
        zone_ = zone(tz)
        return (datetime.combine(self.first, datetime.min.time(), tzinfo=zone_),
                datetime.combine(self.last + timedelta(days=1), datetime.min.time(), tzinfo=zone_))

    def filename(self, prefix: str) -> str:
        return f"{prefix}-{self.first.isoformat()}-{self.last.isoformat()}.{self.fmt}"


def _day(name: str, default: date) -> date:
    text = request.args.get(name, "").strip()
    if not text:
        return default
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadExport(_("'%(name)s' must be a date like 2027-03-01.", name=name), field=name) from None


def export_query(today: date) -> ExportQuery:
    """`from` and `to` (dates, both included; by default a year back and a year ahead) and
    `format` (csv or xlsx), checked: a clear 400 for anything else."""
    fmt = request.args.get("format", "csv").strip().lower() or "csv"
    if fmt not in FORMATS:
        raise BadExport(_("'format' must be csv or xlsx."), field="format")
    first = _day("from", today - timedelta(days=365))
    last = _day("to", today + timedelta(days=365))
    if not (2000 <= first.year <= 2100 and 2000 <= last.year <= 2100):
        raise BadExport(_("Dates must lie between the years 2000 and 2100."), field="from")
    if last < first:
        raise BadExport(_("'to' must not come before 'from'."), field="to")
    if last - first >= MAX_RANGE:
        raise BadExport(_("Export at most three years at a time."), field="to")
    return ExportQuery(first, last, fmt)


def _money(value: Decimal | None) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(Decimal("0.01"))


def headers() -> list[str]:
    return [_("Reference"), _("Resource"), _("Platform"), _("User"), _("Organisation"), _("Start (local)"),
            _("End (local)"), _("Time zone"), _("Hours"), _("Status"), _("Fee"), _("Currency"), _("Voucher share"),
            _("Purpose")]


def booking_row(r: Reservation, language: str) -> list[Any]:
    """One booking as export cells (dates as local wall-clock datetimes without a zone, for Excel)."""
    resource = r.resource
    platform = resource.platform
    tz = platform.timezone
    start, end = r.start.astimezone(zone(tz)), r.end.astimezone(zone(tz))
    fee = r.fee_actual if r.fee_actual is not None else r.fee_estimate
    hours = Decimal((r.end - r.start).total_seconds()) / Decimal(3600)
    return [
        reservation_reference(r), resource.display_title(language), platform.name(language),
        r.user.name or r.user.email, r.user.organisation_label(language), start.replace(tzinfo=None),
        end.replace(tzinfo=None), tz, hours.quantize(Decimal("0.01")), status_label(r.status), _money(fee),
        r.fee_currency or "", _money(r.voucher_amount or Decimal("0")), r.purpose or "",
    ]


def bookings_between(query: Select[tuple[Reservation]]) -> list[Reservation]:
    return list(db.session.scalars(query.options(selectinload(Reservation.user)).order_by(
        Reservation.start, Reservation.id)))


def _csv_cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value  # a spreadsheet must not run what a user typed as a formula
    return "" if value is None else value


def csv_bytes(rows: Iterable[list[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headers())
    for row in rows:
        writer.writerow([_csv_cell(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def xlsx_bytes(rows: Iterable[list[Any]], title: str) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    widths = (16, 36, 28, 20, 28, 17, 17, 16, 8, 14, 12, 9, 12, 40)
    for i, width in enumerate(widths):
        sheet.column_dimensions[chr(ord("A") + i)].width = width
    sheet.freeze_panes = "A2"
    sheet.append(headers())
    for row in rows:
        sheet.append([_xlsx_cell(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xlsx_cell(value: Any) -> Any:
    if isinstance(value, str) and value[:1] == "=":
        return "'" + value
    return value


def export_response(bookings: list[Reservation], query: ExportQuery, prefix: str, title: str) -> Response:
    language = lang()
    rows = [booking_row(r, language) for r in bookings]
    name = query.filename(prefix)
    if query.fmt == "xlsx":
        body, mimetype = xlsx_bytes(rows, title), XLSX_TYPE
    else:
        body, mimetype = csv_bytes(rows), "text/csv; charset=utf-8"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def bad_export(exc: BadExport) -> Any:
    """A 400 page (or JSON) saying what to fix; the global handler would redirect instead."""
    if request.accept_mimetypes.best == "application/json":
        return {"error": exc.code, "message": exc.message, "fields": {exc.details.get("field", "from"): exc.message}}, 400
    return render_template("error.html", code=400, message=exc.message), 400


def site_zone() -> str:
    return str(current_app.config.get("ONESTOP_DEFAULT_TIMEZONE", "Asia/Shanghai"))


@bp.get("/bookings/export")
@login_required
def export_mine() -> Any:
    """The signed-in user's own bookings that start in the range (days in the site's zone)."""
    user: User = current_user
    tz = site_zone()
    try:
        query = export_query(utcnow().astimezone(zone(tz)).date())
    except BadExport as exc:
        return bad_export(exc)
    start, end = query.bounds(tz)
    bookings = bookings_between(select(Reservation).where(
        Reservation.user_id == user.id, Reservation.start >= start, Reservation.start < end))
    return export_response(bookings, query, "my-bookings", _("My bookings"))
