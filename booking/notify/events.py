"""From a booking event to rows: the mails it causes and the reminders it (re)plans.

Called by `booking.engine.events.emit` inside the transaction of the change, so a booking and its
notifications are committed together or not at all. Mails are rendered here, while the state they
describe is the state of the event, and queued as `OutgoingMail` rows; the dispatcher sends them.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from ..extensions import db
from ..models import BookingEvent, OutgoingMail, Reservation, User, utcnow
from .messages import format_span, invitation, lang_of, render_message, reservation_context
from .reminders import schedule_reminders

# event kind → (mail kind for the booker, iCalendar method or None)
USER_MAILS: dict[str, tuple[str, str | None]] = {
    "approved": ("approved", "REQUEST"),
    "rejected": ("rejected", None),
    "cancelled": ("cancelled", "CANCEL"),
    "changed": ("changed", "REQUEST"),
    "expired": ("expired", None),
}


def on_booking_event(event: BookingEvent) -> list[OutgoingMail]:
    """Queue the mails of `event` and bring the reservation's reminders up to date (flush only)."""
    db.session.flush()  # ids for the reservation and the event: they name the mails
    reservation = event.reservation
    now = event.at or utcnow()
    schedule_reminders(reservation, now)
    mails: list[OutgoingMail] = []
    if event.kind == "created":
        if reservation.status == "pending":
            mails.append(_user_mail(event, reservation, "pending", None, now))
            mails.extend(_staff_mails(event, reservation, now))
        elif reservation.status == "confirmed":
            mails.append(_user_mail(event, reservation, "confirmed", "REQUEST", now))
    elif event.kind in USER_MAILS:
        kind, method = USER_MAILS[event.kind]
        if event.kind == "changed" and ("outcome" in (event.payload or {}) or not reservation.active):
            return mails  # staff recorded completed / no-show: nothing to tell the booker
        mails.append(_user_mail(event, reservation, kind, method, now))
    db.session.add_all(mails)
    db.session.flush()
    return mails


def _sequence(reservation: Reservation) -> int:
    """iCalendar SEQUENCE: grows with every event of the reservation (the first invitation is 0)."""
    count = db.session.scalar(
        select(func.count()).select_from(BookingEvent).where(BookingEvent.reservation_id == reservation.id)
    )
    return max(0, int(count or 1) - 1)


def _event_context(event: BookingEvent, reservation: Reservation, lang: str) -> dict[str, Any]:
    payload = event.payload or {}
    reason = str(payload.get("reason") or (reservation.decision_reason if event.kind in ("rejected", "cancelled") else "") or "")
    old_when = ""
    old_start, old_end = payload.get("old_start") or payload.get("previous_start"), payload.get("old_end") or payload.get("previous_end")
    if old_start and old_end:
        try:
            old_when = format_span(datetime.fromisoformat(old_start), datetime.fromisoformat(old_end),
                                   reservation.resource.platform.timezone, lang)
        except (TypeError, ValueError):
            old_when = ""
    by_staff = event.actor_id is not None and event.actor_id != reservation.user_id
    return {"reason": reason, "old_when": old_when, "by_staff": by_staff}


def _user_mail(event: BookingEvent, reservation: Reservation, kind: str, method: str | None,
               now: datetime) -> OutgoingMail:
    user = reservation.user
    lang = lang_of(user.language)
    context = reservation_context(reservation, lang)
    context.update(_event_context(event, reservation, lang))
    ics = None
    if method:
        ics = (method, invitation(reservation, method, _sequence(reservation), lang, context["link"], now))
    message_id = f"<event-{event.id}-{kind}-u{user.id}@onestop>"
    rendered = render_message(kind, lang=lang, to_email=user.email, to_name=user.name, message_id=message_id,
                              context=context, ics=ics, date=now)
    return _row(event, reservation, kind, rendered.recipient, rendered.subject, message_id,
                rendered.as_bytes(), now)


def platform_staff(reservation: Reservation) -> list[tuple[str, str, str, str]]:
    """(key, e-mail, name, language) of whoever decides bookings of the reservation's platform:
    its active staff accounts, else the platform's contact address."""
    platform = reservation.resource.platform
    staff = db.session.scalars(
        select(User).where(User.role == "staff", User.platform_id == platform.id, User.active.is_(True)).order_by(User.id)
    ).all()
    if staff:
        return [(f"u{u.id}", u.email, u.name, u.language) for u in staff]
    if platform.email:
        return [(f"p{platform.id}", platform.email, platform.name("zh"), "zh")]
    return []


def _staff_mails(event: BookingEvent, reservation: Reservation, now: datetime) -> list[OutgoingMail]:
    mails = []
    for key, address, name, language in platform_staff(reservation):
        lang = lang_of(language)
        context = reservation_context(reservation, lang, for_staff=True)
        context.update(_event_context(event, reservation, lang))
        expiry_hours = reservation.resource.platform.approval_expiry_hours
        context["expiry_hours"] = expiry_hours
        message_id = f"<event-{event.id}-staff_pending-{key}@onestop>"
        rendered = render_message("staff_pending", lang=lang, to_email=address, to_name=name,
                                  message_id=message_id, context=context, date=now)
        mails.append(_row(event, reservation, "staff_pending", address, rendered.subject, message_id,
                          rendered.as_bytes(), now))
    return mails


def _row(event: BookingEvent, reservation: Reservation, kind: str, recipient: str, subject: str,
         message_id: str, raw: bytes, now: datetime) -> OutgoingMail:
    return OutgoingMail(
        kind=kind, reservation_id=reservation.id, event_id=event.id, recipient=recipient,
        subject=subject[:300], message_id=message_id, raw=raw.decode("ascii"), status="pending",
        attempts=0, next_attempt_at=now, last_error="", created_at=now,
    )
