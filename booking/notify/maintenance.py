"""The cancellation mail of a booking that a maintenance window or a closure took over.

Staff cancel through the engine's own cancellation, whose `reservation.cancelled` event has already
queued the ordinary cancellation mail (booking.notify.events). The engine then publishes
`maintenance.cancelled` (booking.engine.maintenance) with the window and the nearest alternatives;
here that queued mail becomes the maintenance mail: the same message (Message-ID, the invitation's
withdrawal), now saying why and what is free instead, in the booker's language. An occurrence of a
recurring series is told with its series' one mail at the commit; that mail keeps the ordinary
wording, whose reason names the maintenance.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask_babel import force_locale, gettext
from sqlalchemy import select

from ..extensions import db
from ..models import BookingEvent, OutgoingMail, Reservation, Resource
from .links import page
from .messages import format_span, lang_of

TEMPLATE = "email/maintenance_cancelled"


def maintenance_cancelled(reservation: Reservation, data: dict[str, Any]) -> None:
    """Turn the queued cancellation mail of `reservation` into the maintenance mail (flush only)."""
    event = db.session.scalars(select(BookingEvent).where(
        BookingEvent.reservation_id == reservation.id, BookingEvent.kind == "cancelled",
    ).order_by(BookingEvent.id.desc()).limit(1)).first()
    if event is None:
        return
    for mail in db.session.scalars(select(OutgoingMail).where(
            OutgoingMail.event_id == event.id, OutgoingMail.kind == "cancelled", OutgoingMail.raw == "")):
        _rewrite(mail, reservation, data)
    db.session.flush()


def _form_link(resource_id: int, start: datetime, end: datetime) -> dict[str, Any]:
    """A link to the resource's booking form, filled with that time (the platform's wall clock)."""
    monday = start.date() - timedelta(days=start.weekday())
    return page("main.resource", f"/resources/{resource_id}", "book", resource_id=resource_id,
                day=start.date().isoformat(), start=f"{start:%H:%M}", end=f"{end:%H:%M}", week=monday.isoformat())


def _rewrite(mail: OutgoingMail, reservation: Reservation, data: dict[str, Any]) -> None:
    lang = lang_of(mail.language)
    tz = reservation.resource.platform.timezone
    window = data.get("window") or {}
    params = dict(mail.params or {})
    context = dict(params.get("context") or {})
    links = dict(params.get("links") or {})
    alternatives: list[dict[str, str]] = []
    for i, slot in enumerate(data.get("alternatives") or []):
        a, b = datetime.fromisoformat(slot["start"]), datetime.fromisoformat(slot["end"])
        links[f"alt_link_{i}"] = _form_link(reservation.resource_id, a, b)
        alternatives.append({"when": format_span(a, b, tz, lang)})
    elsewhere: list[dict[str, str]] = []
    for item in data.get("elsewhere") or []:
        resource = db.session.get(Resource, item["resource_id"])
        if resource is None:
            continue
        a, b = datetime.fromisoformat(item["start"]), datetime.fromisoformat(item["end"])
        links[f"else_link_{len(elsewhere)}"] = _form_link(resource.id, a, b)
        platform = resource.platform
        elsewhere.append({"title": resource.display_title(lang), "platform": platform.name(lang),
                          "city": resource.city or platform.city(lang) or "",
                          "when": format_span(a, b, platform.timezone, lang)})
    when = ""
    if window.get("start") and window.get("end"):
        when = format_span(datetime.fromisoformat(window["start"]), datetime.fromisoformat(window["end"]), tz, lang)
    kind = "closure" if window.get("kind") == "closure" else "maintenance"
    context.update(maintenance={"kind": kind, "reason": str(window.get("reason") or ""), "when": when},
                   alternatives=alternatives, elsewhere=elsewhere)
    values = {"title": context.get("title", ""), "when": context.get("when", "")}
    with force_locale(lang):
        subject = (gettext("Booking cancelled for maintenance: %(title)s, %(when)s", **values) if kind == "maintenance"
                   else gettext("Booking cancelled, the platform is closed: %(title)s, %(when)s", **values))
    params.update(context=context, links=links, subject=subject)
    mail.params = params
    mail.subject = subject[:300]
    mail.template = TEMPLATE
