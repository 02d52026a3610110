"""Shared parts of iCalendar files (the feeds, the .ics downloads and mail invitations): VTIMEZONE
components, the UID and the SEQUENCE of a reservation's event.

A reservation is one event wherever a calendar gets it from (the invitation mailed with it, its
.ics download, the user's subscription): the same UID, `reservation-<id>@<uid_domain()>`, and a
SEQUENCE that grows with each of its booking events, so a calendar keeps the latest and shows one.

Building a VTIMEZONE costs tens of milliseconds, so each (zone, years) is built once per process.
"""
from __future__ import annotations

from datetime import date
from functools import lru_cache
from urllib.parse import urlsplit

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


def uid_domain() -> str:
    """The right-hand side of every UID: the host (and port) of the site's base URL
    (ONESTOP_BASE_URL, else the address served), never the host a request happened to name."""
    from .notify.settings import base_url  # late: booking.notify imports this module

    return urlsplit(base_url()).netloc or "onestop"


def reservation_uid(reservation_id: int) -> str:
    """The UID of a reservation's event in invitations, downloads and feeds alike."""
    return f"reservation-{reservation_id}@{uid_domain()}"
