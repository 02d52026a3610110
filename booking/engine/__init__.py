"""The booking engine: calendars, availability, reservations, recurrence, events.

Plain functions over the database session. They take the acting user as an argument, raise the
domain errors of `booking.engine.errors` with messages fit to show, and only flush: the caller
(a view, a CLI command, a scheduler job) commits once at its boundary, or rolls back. What
happened is published as a domain event (`events.publish`); the engine renders no mail and builds
no links: booking.notify listens and queues the mail.

Layers, each importing only those below it: intervals, text, errors, rules, calendars, timefmt,
availability, money → checks, restrictions, vouchers, events → pricing, qualifications, waitlist →
reservations → attendance, recurrence, equivalents.
"""
from .availability import find_free_slots, free_resource_ids, is_free
from .calendars import effective_opening_hours, opening_intervals
from .errors import (
    BookingRefused,
    Closed,
    InvalidRecurrence,
    NotBookable,
    NotPending,
    OutsideOpeningHours,
    SeriesConflicts,
    SlotTaken,
    TooFarAhead,
    TooLateToBook,
    TooLateToCancel,
    TooLong,
    TooShort,
    UnderMaintenance,
)
from .reservations import (
    approve_reservation,
    cancel_reservation,
    create_reservation,
    expire_pending,
    reject_reservation,
)
from .rules import BookingRules, effective_rules

__all__ = [
    "BookingRefused", "BookingRules", "Closed", "InvalidRecurrence", "NotBookable", "NotPending",
    "OutsideOpeningHours", "SeriesConflicts", "SlotTaken", "TooFarAhead", "TooLateToBook", "TooLateToCancel",
    "TooLong", "TooShort", "UnderMaintenance",
    "approve_reservation", "cancel_reservation", "create_reservation", "effective_opening_hours",
    "effective_rules", "expire_pending", "find_free_slots", "free_resource_ids", "is_free", "opening_intervals",
    "reject_reservation",
]
