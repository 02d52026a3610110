"""Times typed into a page: a day and HH:MM in a platform's zone, as aware datetimes.

One rule lives here: an end time of 00:00 means midnight, the end of that day (a booking from
22:00 to 00:00 ends on the next day), since no span ends where it starts.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from ..engine.calendars import zone

MIDNIGHT = "00:00"


def local_datetime(day: date, hhmm: str, tz: str) -> datetime:
    """`day` at `hhmm` on the wall clock of `tz`."""
    return datetime.combine(day, time.fromisoformat(hhmm), tzinfo=zone(tz))


def local_span(day: date, start: str, end: str, tz: str) -> tuple[datetime, datetime]:
    """A span typed as one day and two times; an end of 00:00 is the midnight that ends the day."""
    end_day = day + timedelta(days=1) if end == MIDNIGHT else day
    return local_datetime(day, start, tz), local_datetime(end_day, end, tz)


def day_bounds(first: date, last: date, tz: str) -> tuple[datetime, datetime]:
    """Whole local days, `first` to `last` inclusive: from the midnight that starts the first to
    the midnight that ends the last."""
    return local_datetime(first, MIDNIGHT, tz), local_datetime(last + timedelta(days=1), MIDNIGHT, tz)
