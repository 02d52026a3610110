"""Domain events: what happened, told within the transaction of the change to whoever listens.

The engine and the order service only publish; they know nothing of mail. The notification
outlet (booking.notify) subscribes when it is imported and turns events into queued mail rows and
reminders in the same transaction, so a change and its notifications commit together or not at
all. Names: `reservation.<kind>` (created, approved, rejected, cancelled, changed, expired; the
subject is the `BookingEvent` row), `order.<action>` (submit, quote, accept, …; an `OrderEvent`),
`waitlist.offered` (a `WaitlistEntry`), `qualification.requested` (a `TrainingRequest`),
`qualification.granted` (a `Qualification`), `qualification.declined` (a `TrainingRequest`).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..extensions import db
from ..models import BookingEvent, Reservation, User, utcnow


@dataclass(frozen=True)
class DomainEvent:
    name: str
    subject: Any  # the row the event is about
    actor: User | None
    at: datetime
    data: dict[str, Any] = field(default_factory=dict)


Handler = Callable[[DomainEvent], None]
_handlers: list[Handler] = []


class NoSubscriber(RuntimeError):
    """An event was published while nothing listens: its mail would be lost silently."""


def subscribe(handler: Handler) -> None:
    """Listen to every event (booking.notify does, when imported)."""
    if handler not in _handlers:
        _handlers.append(handler)


def publish(name: str, subject: Any, actor: User | None, at: datetime | None = None, **data: Any) -> DomainEvent:
    """Tell every subscriber that `name` happened to `subject` (in the caller's transaction)."""
    if not _handlers:
        raise NoSubscriber(f"nothing listens to {name}: import booking.notify before changing bookings")
    event = DomainEvent(name, subject, actor, at or utcnow(), data)
    for handler in list(_handlers):
        handler(event)
    return event


def emit(reservation: Reservation, kind: str, actor: User | None, now: datetime | None = None,
         **payload: Any) -> BookingEvent:
    """Record that `kind` happened to `reservation` (a `booking_event` row) and publish it."""
    payload.setdefault("status", reservation.status)
    payload.setdefault("start", reservation.start.isoformat())
    payload.setdefault("end", reservation.end.isoformat())
    event = BookingEvent(reservation=reservation, kind=kind, actor_id=actor.id if actor else None,
                         at=now or utcnow(), payload=payload)
    db.session.add(event)
    publish(f"reservation.{kind}", event, actor, event.at)
    return event
