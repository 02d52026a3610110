"""Shared parts of iCalendar files (the feeds, the .ics downloads and mail invitations): VTIMEZONE
components, and the SEQUENCE of a reservation's event.

Building a VTIMEZONE costs tens of milliseconds, so each (zone, years) is built once per process.
"""
from __future__ import annotations

from datetime import date
from functools import lru_cache

import icalendar
from sqlalchemy import func, select

from .extensions import db
from .models import BookingEvent


@lru_cache(maxsize=64)
def _vtimezone(tzid: str, first_year: int, last_year: int) -> bytes:
    return icalendar.Timezone.from_tzid(tzid, first_date=date(first_year, 1, 1),
                                        last_date=date(last_year + 1, 1, 1)).to_ical()


def add_timezones(cal: icalendar.Calendar, first_year: int, last_year: int) -> icalendar.Calendar:
    """Add one VTIMEZONE per TZID the calendar uses, with the zone's rules for those years."""
    for tzid in sorted(cal.get_used_tzids()):
        cal.add_component(icalendar.Timezone.from_ical(_vtimezone(tzid, first_year, last_year)))
    return cal


def reservation_sequence(reservation_id: int) -> int:
    """iCalendar SEQUENCE of a reservation's event: the number of its booking events less one, so
    the first invitation is 0 and every later change (a move, an approval, a cancellation) is one
    higher than the invitation before it. No column needed: the events are the record."""
    count = db.session.scalar(
        select(func.count()).select_from(BookingEvent).where(BookingEvent.reservation_id == reservation_id))
    return max(0, int(count or 1) - 1)
