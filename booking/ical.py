"""VTIMEZONE components for iCalendar files: the feeds, the .ics downloads and mail invitations.

Building one costs tens of milliseconds, so each (zone, years) is built once per process.
"""
from __future__ import annotations

from datetime import date
from functools import lru_cache

import icalendar


@lru_cache(maxsize=64)
def _vtimezone(tzid: str, first_year: int, last_year: int) -> bytes:
    return icalendar.Timezone.from_tzid(tzid, first_date=date(first_year, 1, 1),
                                        last_date=date(last_year + 1, 1, 1)).to_ical()


def add_timezones(cal: icalendar.Calendar, first_year: int, last_year: int) -> icalendar.Calendar:
    """Add one VTIMEZONE per TZID the calendar uses, with the zone's rules for those years."""
    for tzid in sorted(cal.get_used_tzids()):
        cal.add_component(icalendar.Timezone.from_ical(_vtimezone(tzid, first_year, last_year)))
    return cal
