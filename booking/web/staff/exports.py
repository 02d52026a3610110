"""/staff/bookings/export: a platform's bookings as CSV or XLSX (booking.web.bookings.export has
the rows and the files). Staff export their own platform; administrators name one (?platform=CODE)."""
from __future__ import annotations

from typing import Any

from flask import abort, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ...accounts.access import role_required
from ...engine.calendars import zone
from ...extensions import db
from ...models import Platform, Reservation, Resource, utcnow
from ..bookings.export import BadExport, bad_export, bookings_between, export_query, export_response
from .blueprint import bp


def _platform() -> Platform:
    """Staff: their own platform (naming another is refused). Admins: the one they name."""
    code = request.args.get("platform", "").strip()
    if current_user.role == "admin":
        if not code:
            raise BadExport(_("Name the platform to export: ?platform=CODE."), field="platform")
        platform = db.session.scalar(select(Platform).where(Platform.code == code))
        if platform is None:
            abort(404)
        return platform
    own = current_user.platform
    if own is None or (code and code != own.code):
        abort(403)
    return own


@bp.get("/bookings/export")
@role_required("staff")
def bookings_export() -> Any:
    """Every booking of the platform that starts in the range (days in the platform's zone)."""
    try:
        platform = _platform()
        query = export_query(utcnow().astimezone(zone(platform.timezone)).date())
    except BadExport as exc:
        return bad_export(exc)
    start, end = query.bounds(platform.timezone)
    bookings = bookings_between(select(Reservation).join(Resource, Resource.id == Reservation.resource_id).where(
        Resource.platform_id == platform.id, Reservation.start >= start, Reservation.start < end))
    return export_response(bookings, query, f"bookings-{platform.code}", platform.code)
