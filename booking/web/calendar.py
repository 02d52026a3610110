"""iCalendar feeds: a user's secret subscription, each resource's busy times, one booking.

Events carry DTSTART/DTEND with the platform's TZID and a matching VTIMEZONE, so Outlook,
Google and Apple calendars show the platform's local time correctly.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import icalendar
from flask import Blueprint, Response, abort, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from ..engine.calendars import zone
from ..extensions import db
from ..ical import add_timezones, reservation_sequence, reservation_uid, uid_domain
from ..models import ACTIVE_STATUSES, Closure, Maintenance, Reservation, Resource, User, utcnow

bp = Blueprint("calendar", __name__, url_prefix="/calendar")

ICS_STATUS = {"pending": "TENTATIVE", "confirmed": "CONFIRMED", "completed": "CONFIRMED",
              "cancelled": "CANCELLED", "rejected": "CANCELLED", "no_show": "CANCELLED"}


def new_calendar(name: str) -> icalendar.Calendar:
    cal = icalendar.Calendar()
    cal.add("prodid", "-//OneStop//Shared resources//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    return cal


def _event(uid: str, start: datetime, end: datetime, tz: str, summary: str, stamp: datetime) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("dtstart", start.astimezone(zone(tz)))
    event.add("dtend", end.astimezone(zone(tz)))
    event.add("summary", summary)
    return event


def reservation_event(reservation: Reservation, host: str | None = None) -> icalendar.Event:
    """A reservation's event: the UID and SEQUENCE of its mailed invitation (booking.ical), so a
    calendar holding both shows one event. (`host` is ignored: kept for old callers.)"""
    resource = reservation.resource
    tz = resource.platform.timezone
    event = _event(reservation_uid(reservation.id), reservation.start, reservation.end, tz,
                   resource.display_title(), reservation.updated_at)
    event.add("sequence", reservation_sequence(reservation.id))
    event.add("status", ICS_STATUS.get(reservation.status, "CONFIRMED"))
    where = ", ".join(filter(None, [resource.location, resource.platform.name()]))
    if where:
        event.add("location", where)
    lines = [f"{_('Status')}: {reservation.status}"]
    if reservation.purpose:
        lines.append(f"{_('Purpose')}: {reservation.purpose}")
    event.add("description", "\n".join(lines))
    event.add("url", url_for("main.resource", resource_id=resource.id, _external=True))
    return event


def finish(cal: icalendar.Calendar) -> bytes:
    """Add one VTIMEZONE per TZID used (covering last year to two years ahead) and serialise."""
    year = utcnow().year
    return add_timezones(cal, year - 1, year + 2).to_ical()


def ics_response(body: bytes, filename: str, *, attachment: bool = False) -> Response:
    disposition = "attachment" if attachment else "inline"
    return Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": f'{disposition}; filename="{filename}"', "Cache-Control": "private, max-age=300"})


def user_calendar(user: User, reservations: Iterable[Reservation]) -> bytes:
    cal = new_calendar(_("OneStop bookings of %(name)s", name=user.name or user.email))
    for reservation in reservations:
        cal.add_component(reservation_event(reservation))
    return finish(cal)


def resource_busy_calendar(resource: Resource) -> bytes:
    """When the resource is taken: bookings, maintenance, closures. No names, no purposes."""
    now = utcnow()
    start, end = now - timedelta(days=30), now + timedelta(days=366)
    tz = resource.platform.timezone
    cal = new_calendar(_("%(title)s — busy times", title=resource.display_title()))
    host = uid_domain()
    for r in db.session.scalars(select(Reservation).where(
            Reservation.resource_id == resource.id, Reservation.status.in_(ACTIVE_STATUSES),
            Reservation.end > start, Reservation.start < end).order_by(Reservation.start)):
        event = _event(f"busy-{r.id}@{host}", r.start, r.end, tz, _("Booked"), r.updated_at)
        event.add("transp", "OPAQUE")
        cal.add_component(event)
    for m in db.session.scalars(select(Maintenance).where(
            Maintenance.resource_id == resource.id, Maintenance.end > start, Maintenance.start < end)):
        cal.add_component(_event(f"maintenance-{m.id}@{host}", m.start, m.end, tz, _("Maintenance"), m.created_at))
    for c in db.session.scalars(select(Closure).where(
            Closure.platform_id == resource.platform_id, Closure.end > start, Closure.start < end)):
        cal.add_component(_event(f"closure-{c.id}@{host}", c.start, c.end, tz,
                                 _("Closed: %(title)s", title=c.title), c.created_at))
    return finish(cal)


@bp.get("/<token>.ics")
def user_feed(token: str) -> Response:
    """The user's bookings as a calendar to subscribe to; the secret token is the only key."""
    user = db.session.scalar(select(User).where(User.calendar_token == token)) if len(token) <= 64 else None
    if user is None or not user.active:
        abort(404)
    since = utcnow() - timedelta(days=90)
    reservations = db.session.scalars(select(Reservation).where(
        Reservation.user_id == user.id, Reservation.end > since,
        Reservation.status.in_(("pending", "confirmed", "completed", "cancelled"))).order_by(Reservation.start))
    return ics_response(user_calendar(user, reservations), "onestop.ics")
