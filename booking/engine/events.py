"""Domain events: one row per change of a reservation, written in the same transaction."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from ..extensions import db
from ..models import BookingEvent, Reservation, User, utcnow


def emit(reservation: Reservation, kind: str, actor: User | None, now: datetime | None = None,
         **payload: Any) -> BookingEvent:
    """Record that `kind` happened to `reservation`; the notification work turns these into mail."""
    payload.setdefault("status", reservation.status)
    payload.setdefault("start", reservation.start.isoformat())
    payload.setdefault("end", reservation.end.isoformat())
    event = BookingEvent(reservation=reservation, kind=kind, actor_id=actor.id if actor else None,
                         at=now or utcnow(), payload=payload)
    db.session.add(event)
    from ..notify import on_booking_event  # mails and reminders, in this same transaction

    on_booking_event(event)
    return event
