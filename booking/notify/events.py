"""From a booking event to rows: the mails it causes and the reminders it (re)plans.

Called for every `reservation.*` domain event inside the transaction of the change, so a booking
and its notifications are committed together or not at all. What each mail must say is taken
here, while the state it describes is the state of the event, and queued (booking.notify.outbox);
the dispatcher renders and sends it.

A recurring booking creates (or cancels) many occurrences in one transaction; their mails are
gathered per series, kind and recipient and queued once, just before the commit, as one
message listing every date (with one VEVENT each), rather than one message per occurrence.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import force_locale, gettext
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from ..engine.references import reservation_reference
from ..extensions import db
from ..ical import reservation_sequence
from ..models import BookingEvent, OutgoingMail, Reservation, utcnow
from .messages import calendar_event, format_span, lang_of, reservation_context, reservation_links
from .outbox import queue_mail
from .recipients import Recipient, platform_recipients, user_recipient
from .reminders import schedule_reminders

# event kind → (mail kind for the booker, iCalendar method or None)
USER_MAILS: dict[str, tuple[str, str | None]] = {
    "approved": ("approved", "REQUEST"),
    "rejected": ("rejected", None),
    "cancelled": ("cancelled", "CANCEL"),
    "changed": ("changed", "REQUEST"),
    "expired": ("expired", None),
}
SERIES_KINDS = ("created", "cancelled")  # the events a whole series goes through at once
_GATHERED = "onestop_notify_series"  # Session.info key: mails of series waiting for the commit


@dataclass
class PlannedMail:
    kind: str
    method: str | None
    recipient: Recipient
    for_staff: bool = False
    events: list[BookingEvent] = field(default_factory=list)


def on_booking_event(event: BookingEvent) -> list[OutgoingMail]:
    """Queue the mails of `event` and bring the reservation's reminders up to date (flush only)."""
    db.session.flush()  # ids for the reservation and the event: they name the mails
    reservation = event.reservation
    now = event.at or utcnow()
    schedule_reminders(reservation, now)
    planned = _plan(event, reservation)
    if reservation.series_id is not None and event.kind in SERIES_KINDS:
        gathered = db.session.info.setdefault(_GATHERED, {})
        for mail in planned:
            key = (reservation.series_id, mail.kind, mail.recipient.key)
            gathered.setdefault(key, PlannedMail(mail.kind, mail.method, mail.recipient, mail.for_staff)).events.append(event)
        return []
    rows = [_queue(mail, [event], now) for mail in planned]
    db.session.flush()
    return rows


def _plan(event: BookingEvent, reservation: Reservation) -> list[PlannedMail]:
    booker = user_recipient(reservation.user)
    if event.kind == "created":
        if reservation.status == "pending":
            staff = [PlannedMail("staff_pending", None, r, for_staff=True) for r in platform_recipients(reservation.resource.platform)]
            return [PlannedMail("pending", None, booker), *staff]
        if reservation.status == "confirmed":
            return [PlannedMail("confirmed", "REQUEST", booker)]
        return []
    if event.kind not in USER_MAILS:
        return []
    if event.kind == "changed" and ("outcome" in (event.payload or {}) or not reservation.active):
        return []  # staff recorded completed / no-show: nothing to tell the booker
    if event.kind == "changed" and (event.payload or {}).get("purpose_only"):
        return []  # the purpose was edited: the time and the invitation stand
    kind, method = USER_MAILS[event.kind]
    return [PlannedMail(kind, method, booker)]


def _sequence(reservation: Reservation) -> int:
    """iCalendar SEQUENCE: grows with every event of the reservation (the first invitation is 0)."""
    return reservation_sequence(reservation.id)


def _calendar_event(reservation: Reservation, lang: str) -> dict[str, Any]:
    """The invitation's event, its description opening with the booking's reference."""
    item = calendar_event(reservation, _sequence(reservation), lang)
    with force_locale(lang):
        label = f"{gettext('Booking no.')}: {reservation_reference(reservation)}"
    item["purpose"] = f"{label}\n{item['purpose']}" if item["purpose"] else label
    return item


def _event_context(event: BookingEvent, reservation: Reservation, lang: str) -> dict[str, Any]:
    payload = event.payload or {}
    reason = str(payload.get("reason") or (reservation.decision_reason if event.kind in ("rejected", "cancelled") else "") or "")
    old_when = ""
    old_start = payload.get("old_start") or payload.get("previous_start")
    old_end = payload.get("old_end") or payload.get("previous_end")
    if old_start and old_end:
        try:
            old_when = format_span(datetime.fromisoformat(old_start), datetime.fromisoformat(old_end),
                                   reservation.resource.platform.timezone, lang)
        except (TypeError, ValueError):
            old_when = ""
    by_staff = event.actor_id is not None and event.actor_id != reservation.user_id
    return {"reason": reason, "old_when": old_when, "by_staff": by_staff}


def _queue(mail: PlannedMail, events: list[BookingEvent], now: datetime) -> OutgoingMail:
    """One message about one event, or about the same event of several occurrences of a series."""
    events = sorted(events, key=lambda e: (e.reservation.start, e.id))
    first = events[0].reservation
    lang = lang_of(mail.recipient.language)
    context = reservation_context(first, lang)
    context.update(_event_context(events[0], first, lang))
    context["expiry_hours"] = first.resource.platform.approval_expiry_hours
    context["count"] = len(events)
    tz = first.resource.platform.timezone
    context["occurrences"] = [format_span(e.reservation.start, e.reservation.end, tz, lang) for e in events] \
        if len(events) > 1 else []
    calendar = None
    if mail.method:
        calendar = {"method": mail.method,
                    "events": [_calendar_event(e.reservation, lang) for e in events]}
    if len(events) == 1:
        message_id = f"<event-{events[0].id}-{mail.kind}-{mail.recipient.key}@onestop>"
    else:
        message_id = (f"<series-{first.series_id}-{mail.kind}-e{min(e.id for e in events)}-"
                      f"{mail.recipient.key}@onestop>")
    return queue_mail(f"email/{mail.kind}", kind=mail.kind, to_email=mail.recipient.email,
                      to_name=mail.recipient.name, language=lang, message_id=message_id, context=context,
                      links=reservation_links(first.id, for_staff=mail.for_staff), calendar=calendar,
                      reservation_id=first.id, event_id=events[0].id, now=now)


@sa_event.listens_for(Session, "before_commit")
def _queue_gathered(session: Session) -> None:
    """Queue the gathered series mails, in the transaction that is being committed."""
    gathered = session.info.pop(_GATHERED, None)
    if not gathered:
        return
    if session.in_nested_transaction():  # a savepoint, not the commit: keep gathering
        session.info[_GATHERED] = gathered
        return
    now = utcnow()
    for mail in gathered.values():
        _queue(mail, mail.events, max((e.at for e in mail.events), default=now))


@sa_event.listens_for(Session, "after_transaction_end")
def _forget_gathered(session: Session, transaction: Any) -> None:
    """When the outermost transaction ends (committed: queued above; rolled back: the changes
    are gone), nothing gathered may leak into the next one."""
    if transaction.parent is None:
        session.info.pop(_GATHERED, None)
