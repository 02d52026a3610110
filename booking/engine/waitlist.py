"""The waitlist: wait for a taken slot, hear when it is freed, book it like anyone else.

A user joins the waitlist of a time another booking holds. When that booking is cancelled,
rejected or expires, every waiting entry overlapping the freed time is mailed, in the order the
entries were made (their mails are queued as `OutgoingMail` rows in the same transaction, in that
order, and the dispatcher sends them oldest first), and marked notified. Nothing is reserved for
them: the first to book gets the slot through the normal booking, and that user's entry becomes
fulfilled; the others get nothing more.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import select
from werkzeug.routing import BuildError

from ..errors import Forbidden, InvalidInput, NotFound
from ..extensions import db
from ..models import OutgoingMail, Reservation, Resource, User, WaitlistEntry, utcnow
from ..notify.messages import Rendered, absolute_url, compose_message, format_span, lang_of
from .text import _


def join_waitlist(user: User, resource: Resource, start: datetime, end: datetime, *,
                  now: datetime | None = None) -> WaitlistEntry:
    """Wait for [start, end) of `resource`; it must be taken by someone else now."""
    from .reservations import check_times, find_conflict

    now = now or utcnow()
    check_times(start, end)
    if start <= now:
        raise InvalidInput(_("That time has already passed."), fields={"start": _("in the past")})
    if not resource.bookable or not resource.active:
        raise InvalidInput(_("This resource cannot be booked online."), fields={"resource_id": _("not bookable")})
    other = find_conflict(resource.id, start, end)
    if other is None:
        raise InvalidInput(_("That time is free: book it now instead."), fields={"start": _("free")})
    if other.user_id == user.id:
        raise InvalidInput(_("You already hold that time."), fields={"start": _("yours")})
    existing = db.session.scalars(select(WaitlistEntry).where(
        WaitlistEntry.user_id == user.id, WaitlistEntry.resource_id == resource.id,
        WaitlistEntry.start == start, WaitlistEntry.end == end, WaitlistEntry.status == "waiting")).first()
    if existing is not None:
        return existing
    entry = WaitlistEntry(resource_id=resource.id, user_id=user.id, start=start, end=end, status="waiting",
                          created_at=now)
    entry.resource, entry.user = resource, user
    db.session.add(entry)
    db.session.flush()
    return entry


def leave_waitlist(user: User, entry: WaitlistEntry) -> WaitlistEntry:
    if entry.user_id != user.id:
        raise Forbidden(_("This waitlist entry is not yours."))
    if entry.status in ("waiting", "notified"):
        entry.status = "cancelled"
    db.session.flush()
    return entry


def get_entry(user: User, entry_id: int) -> WaitlistEntry:
    entry = db.session.get(WaitlistEntry, entry_id)
    if entry is None or entry.user_id != user.id:
        raise NotFound(_("No such waitlist entry."))
    return entry


def my_entries(user: User, now: datetime | None = None) -> list[WaitlistEntry]:
    now = now or utcnow()
    return list(db.session.scalars(select(WaitlistEntry).where(
        WaitlistEntry.user_id == user.id, WaitlistEntry.status.in_(("waiting", "notified")), WaitlistEntry.end > now,
    ).order_by(WaitlistEntry.start, WaitlistEntry.id)))


def notify_freed(reservation: Reservation, now: datetime | None = None) -> list[OutgoingMail]:
    """The time of `reservation` was freed: mail the waiting entries it overlaps, oldest first."""
    now = now or utcnow()
    entries = db.session.scalars(select(WaitlistEntry).where(
        WaitlistEntry.resource_id == reservation.resource_id, WaitlistEntry.status == "waiting",
        WaitlistEntry.start < reservation.block_end, WaitlistEntry.end > reservation.block_start,
        WaitlistEntry.start > now,
    ).order_by(WaitlistEntry.created_at, WaitlistEntry.id)).all()
    mails = []
    for entry in entries:
        entry.status, entry.notified_at = "notified", now
        mail = _mail(entry, now)
        db.session.add(mail)
        db.session.flush()  # one at a time: ids (the dispatcher's order) follow the waitlist's
        mails.append(mail)
    return mails


def fulfil(reservation: Reservation, now: datetime | None = None) -> None:
    """The booker's own entries overlapping their new booking are fulfilled."""
    for entry in db.session.scalars(select(WaitlistEntry).where(
            WaitlistEntry.user_id == reservation.user_id, WaitlistEntry.resource_id == reservation.resource_id,
            WaitlistEntry.status.in_(("waiting", "notified")),
            WaitlistEntry.start < reservation.end, WaitlistEntry.end > reservation.start)):
        entry.status, entry.reservation_id = "fulfilled", reservation.id


# --- the mail ------------------------------------------------------------------------------------

def _link(entry: WaitlistEntry) -> str:
    start = entry.start.astimezone(_zone(entry))
    end = entry.end.astimezone(_zone(entry))
    try:
        path = current_app.url_map.bind("localhost").build("main.resource", {
            "resource_id": entry.resource_id, "day": start.date().isoformat(), "start": f"{start:%H:%M}",
            "end": f"{end:%H:%M}"})
    except BuildError:
        path = f"/resources/{entry.resource_id}"
    return absolute_url(path) + "#book-form"


def _zone(entry: WaitlistEntry) -> Any:
    from .calendars import zone

    return zone(entry.resource.platform.timezone)


def _mail(entry: WaitlistEntry, now: datetime) -> OutgoingMail:
    user, resource = entry.user, entry.resource
    lang = lang_of(user.language)
    tz = resource.platform.timezone
    when = format_span(entry.start, entry.end, tz, lang)
    with force_locale(lang):
        subject = _("Free again: %(title)s, %(when)s", title=resource.display_title(lang), when=when)
    message_id = f"<waitlist-{entry.id}-{now:%Y%m%dT%H%M%S}@onestop>"
    context = {"title": resource.display_title(lang), "platform_name": resource.platform.name(lang), "when": when,
               "timezone": tz, "link": _link(entry), "home": absolute_url("/"), "subject": subject}
    rendered = render_services_mail("waitlist_free", lang=lang, to_email=user.email, to_name=user.name,
                                    message_id=message_id, context=context, now=now)
    return OutgoingMail(kind="waitlist_free", reservation_id=None, event_id=None, recipient=user.email,
                        subject=subject[:300], message_id=message_id, raw=rendered.as_bytes().decode("ascii"),
                        status="pending", attempts=0, next_attempt_at=now, last_error="", created_at=now)


def render_services_mail(template: str, *, lang: str, to_email: str, to_name: str, message_id: str,
                         context: dict[str, Any], now: datetime) -> Rendered:
    """Like booking.notify.messages.render_message, from templates/services/email/<template>.*
    (the services' own mails), with the subject given in `context["subject"]`."""
    values = dict(context, kind=template, lang=lang, recipient_name=to_name or to_email)
    with force_locale(lang):
        text = render_template(f"services/email/{template}.txt", **values)
        html = render_template(f"services/email/{template}.html", **values)
    return compose_message(subject=context["subject"], text=text, html=html, to_email=to_email, to_name=to_name,
                           message_id=message_id, lang=lang, date=now)
