"""The checks a booking must pass before it is written, and the calendar lock they run under.

Below reservations, waitlist, recurrence and equivalents, which all ask "may this time be
booked?" without booking it.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from ..errors import InvalidInput
from ..extensions import db
from ..models import ACTIVE_STATUSES, Closure, Maintenance, Reservation, Resource
from .availability import nearest_alternatives
from .calendars import resource_opening_intervals
from .errors import (
    Closed,
    NotBookable,
    OutsideOpeningHours,
    SlotTaken,
    TooFarAhead,
    TooLateToBook,
    TooLong,
    TooShort,
    UnderMaintenance,
)
from .intervals import covers
from .rules import BookingRules
from .text import _
from .timefmt import describe, span_json


def minutes_label(n: int) -> str:
    if n % (60 * 24) == 0 and n >= 60 * 24:
        return _("%(n)s days", n=n // (60 * 24))
    if n % 60 == 0 and n >= 60:
        return _("%(n)s hours", n=n // 60)
    return _("%(n)s minutes", n=n)


def check_times(start: Any, end: Any) -> None:
    if not isinstance(start, datetime) or not isinstance(end, datetime) or start.tzinfo is None or end.tzinfo is None:
        raise InvalidInput(_("Give the start and end with a time zone offset."),
                           fields={"start": _("an ISO 8601 time with offset")})
    if end <= start:
        raise InvalidInput(_("The end must come after the start."), fields={"end": _("must come after the start")})


def check_rules(resource: Resource, start: datetime, end: datetime, now: datetime, rules: BookingRules) -> None:
    """Every rule a booking must keep, except overlaps with other bookings, in the order a person
    would want to hear about them."""
    if not resource.bookable or not resource.active:
        raise NotBookable(_("This resource cannot be booked online."))
    check_times(start, end)
    tz = resource.platform.timezone
    length = end - start
    if length < timedelta(minutes=rules.min_minutes):
        raise TooShort(_("Too short: bookings of this resource last at least %(d)s.", d=minutes_label(rules.min_minutes)))
    if length > timedelta(minutes=rules.max_minutes):
        raise TooLong(_("Too long: bookings of this resource last at most %(d)s.", d=minutes_label(rules.max_minutes)))
    if start < now:
        raise TooLateToBook(_("That time has already passed."))
    if start < now + timedelta(minutes=rules.min_notice_minutes):
        raise TooLateToBook(_("Too late to book: this resource must be booked at least %(d)s ahead.",
                              d=minutes_label(rules.min_notice_minutes)))
    if end > now + timedelta(days=rules.max_advance_days):
        raise TooFarAhead(_("Too far ahead: this resource can be booked at most %(n)s days ahead.",
                            n=rules.max_advance_days), fields={"end": _("too far ahead")})
    if not covers(resource_opening_intervals(resource, start, end), start, end):
        raise OutsideOpeningHours(_("Outside opening hours: %(span)s is not within the resource's opening hours "
                                    "(local time, %(tz)s).", span=describe(start, end, tz), tz=tz))
    closure = db.session.scalars(select(Closure).where(
        Closure.platform_id == resource.platform_id, Closure.start < end, Closure.end > start).limit(1)).first()
    if closure is not None:
        raise Closed(_("The platform is closed then (%(title)s, %(span)s).", title=closure.title,
                       span=describe(closure.start, closure.end, tz)),
                     conflict=span_json(closure.start, closure.end, tz))
    window = db.session.scalars(select(Maintenance).where(
        Maintenance.resource_id == resource.id, Maintenance.start < end, Maintenance.end > start).limit(1)).first()
    if window is not None:
        raise UnderMaintenance(_("The resource is under maintenance then (%(span)s).",
                                 span=describe(window.start, window.end, tz)),
                               conflict=span_json(window.start, window.end, tz))


def find_conflict(resource_id: int, block_start: datetime, block_end: datetime, *,
                  exclude_id: int | None = None) -> Reservation | None:
    """The first active booking whose block overlaps; `exclude_id` leaves out a booking being moved."""
    query = select(Reservation).where(
        Reservation.resource_id == resource_id,
        Reservation.status.in_(ACTIVE_STATUSES),
        Reservation.block_start < block_end,
        Reservation.block_end > block_start,
    )
    if exclude_id is not None:
        query = query.where(Reservation.id != exclude_id)
    return db.session.scalars(query.order_by(Reservation.block_start).limit(1)).first()


def slot_taken(resource: Resource, other: Reservation, start: datetime, end: datetime, now: datetime) -> SlotTaken:
    tz = resource.platform.timezone
    alternatives = nearest_alternatives(resource, start, end, now=now)
    return SlotTaken(
        _("That time is taken: another booking holds %(span)s.", span=describe(other.start, other.end, tz)),
        conflict=span_json(other.start, other.end, tz),
        alternatives=[span_json(s, e, tz) for s, e in alternatives],
    )


def lock_calendar() -> None:
    """Serialise bookings on SQLite: take the write lock before the overlap check.

    pysqlite opens transactions lazily (only before an INSERT/UPDATE/DELETE), so a plain read
    would let two bookings both see a free slot. BEGIN IMMEDIATE takes the write lock now; other
    writers wait (busy_timeout) until we commit. When this connection already writes, it already
    holds the lock. PostgreSQL needs nothing here: the exclusion constraint decides."""
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        return
    raw = connection.connection.dbapi_connection
    if raw is not None and not raw.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
