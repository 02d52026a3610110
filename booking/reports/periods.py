"""Report periods: a month, a quarter, a year or any run of days, read in each platform's zone.

A period is a run of local calendar days [first, last]; a platform in Asia/Shanghai and one in
Europe/Berlin each count their own midnights, so "March 2027" is the March each of them lived.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from ..engine.calendars import zone
from ..engine.text import _
from .errors import BadPeriod

_YEAR = re.compile(r"^(\d{4})$")
_QUARTER = re.compile(r"^(\d{4})-?[Qq]([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")

MAX_DAYS = 3 * 366  # a report over more than three years is a mistake, not a request


@dataclass(frozen=True)
class Period:
    """Local days `first` to `last`, both included."""

    first: date
    last: date

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise BadPeriod(_("The period ends before it starts."), fields={"to": self.last.isoformat()})
        if (self.last - self.first).days >= MAX_DAYS:
            raise BadPeriod(_("A report covers at most three years."), fields={"to": self.last.isoformat()})

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        first = date(year, month, 1)
        following = date(year + month // 12, month % 12 + 1, 1)
        return cls(first, following - timedelta(days=1))

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        first = cls.month(year, 3 * quarter - 2).first
        return cls(first, cls.month(year, 3 * quarter).last)

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(date(year, 1, 1), date(year, 12, 31))

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def label(self) -> str:
        return f"{self.first.isoformat()}/{self.last.isoformat()}"

    def bounds(self, tz: str) -> tuple[datetime, datetime]:
        """[start, end) in UTC of the period's local days in zone `tz` (DST days keep their length)."""
        zone_ = zone(tz)
        start = datetime.combine(self.first, time(0), tzinfo=zone_).astimezone(UTC)
        end = datetime.combine(self.last + timedelta(days=1), time(0), tzinfo=zone_).astimezone(UTC)
        return start, end


def parse_day(text: str, field: str = "from") -> date:
    try:
        return date.fromisoformat(text.strip())
    except (ValueError, AttributeError):
        raise BadPeriod(_("Write dates as YYYY-MM-DD."), fields={field: str(text)}) from None


def parse_period(text: str) -> Period:
    """'2027' (a year), '2027-Q1' (a quarter), '2027-03' (a month) or '2027-03-01/2027-03-31'."""
    text = (text or "").strip()
    try:
        if m := _YEAR.match(text):
            return Period.year(int(m[1]))
        if m := _QUARTER.match(text):
            return Period.quarter(int(m[1]), int(m[2]))
        if m := _MONTH.match(text):
            return Period.month(int(m[1]), int(m[2]))
    except ValueError:
        pass
    else:
        if "/" in text:
            first, last = text.split("/", 1)
            return Period(parse_day(first, "from"), parse_day(last, "to"))
    raise BadPeriod(_("Name a period as 2027, 2027-Q1, 2027-03 or 2027-03-01/2027-03-31."), fields={"period": text})


def period_between(first: str, last: str) -> Period:
    """The period of the `from` and `to` fields of a form, the API or the command line."""
    return Period(parse_day(first, "from"), parse_day(last, "to"))
