"""The outlet's one entrance: a domain event in, the rows it causes out (same transaction)."""
from __future__ import annotations

from ..engine.events import DomainEvent
from .events import on_booking_event
from .maintenance import maintenance_cancelled
from .orders import order_step
from .services import qualification_granted, training_declined, training_requested, waitlist_offered


def on_event(event: DomainEvent) -> None:
    """Queue the mail (and plan the reminders) that `event` calls for; flush only."""
    family = event.name.partition(".")[0]
    if family == "reservation":
        on_booking_event(event.subject)
    elif family == "order":
        order_step(event.subject, event.actor)
    elif event.name == "waitlist.offered":
        waitlist_offered(event.subject, event.at)
    elif event.name == "qualification.requested":
        training_requested(event.subject, event.at)
    elif event.name == "qualification.granted":
        qualification_granted(event.subject, event.at)
    elif event.name == "qualification.declined":
        training_declined(event.subject, event.at)
    elif event.name == "maintenance.cancelled":
        maintenance_cancelled(event.subject, event.data)
