"""Recurring bookings: daily, weekly on chosen weekdays, monthly on the nth weekday.

Occurrences are expanded in the platform's local time (dateutil.rrule on wall-clock times), so a
weekly 09:00 booking stays at 09:00 across a daylight-saving change. Each occurrence is checked
and stored as its own reservation; the person booking sees which ones conflict and may skip them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from dateutil import rrule
from sqlalchemy import select

from ..errors import DomainError, Forbidden
from ..extensions import db
from ..models import Reservation, ReservationSeries, Resource, User, utcnow
from .calendars import WEEKDAYS, zone
from .checks import check_rules, find_conflict
from .errors import InvalidRecurrence, SeriesConflicts, SlotTaken
from .reservations import cancel_reservation, create_reservation
from .rules import effective_rules
from .text import _
from .timefmt import describe, span_json

FREQUENCIES = {"daily": rrule.DAILY, "weekly": rrule.WEEKLY, "monthly": rrule.MONTHLY}
MAX_OCCURRENCES = 100


@dataclass(frozen=True)
class Recurrence:
    """`freq` daily|weekly|monthly; `weekdays` (0 = Monday) for weekly; monthly repeats on the
    nth weekday of the first occurrence (`nth` 1–4, or -1 for the last); `count` or `until`."""

    freq: str
    interval: int = 1
    weekdays: tuple[int, ...] = ()
    nth: int | None = None
    count: int | None = None
    until: date | None = None

    def to_json(self) -> dict[str, Any]:
        return {"freq": self.freq, "interval": self.interval, "weekdays": [WEEKDAYS[d] for d in self.weekdays],
                "nth": self.nth, "count": self.count, "until": self.until.isoformat() if self.until else None}


def parse_recurrence(data: Any) -> Recurrence:
    """Read a recurrence from JSON/form data, e.g. {"freq": "weekly", "weekdays": ["mon", "thu"], "count": 8}."""
    if not isinstance(data, dict):
        raise InvalidRecurrence(_("The recurrence must be an object such as {\"freq\": \"weekly\", \"count\": 4}."))
    freq = data.get("freq")
    if freq not in FREQUENCIES:
        raise InvalidRecurrence(_("Repeat daily, weekly or monthly."))
    interval = data.get("interval", 1)
    if not isinstance(interval, int) or isinstance(interval, bool) or not 1 <= interval <= 12:
        raise InvalidRecurrence(_("The interval must be a whole number from 1 to 12."))
    weekdays: list[int] = []
    for day in data.get("weekdays") or []:
        if day not in WEEKDAYS:
            raise InvalidRecurrence(_("Unknown weekday: %(day)s.", day=str(day)))
        weekdays.append(WEEKDAYS.index(day))
    nth = data.get("nth")
    if nth is not None and (not isinstance(nth, int) or isinstance(nth, bool) or nth not in (1, 2, 3, 4, -1)):
        raise InvalidRecurrence(_("The week of the month must be 1, 2, 3, 4 or -1 (the last)."))
    count, until = data.get("count"), data.get("until")
    if count is not None and (not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_OCCURRENCES):
        raise InvalidRecurrence(_("The number of occurrences must be from 1 to %(n)s.", n=MAX_OCCURRENCES))
    if until is not None:
        try:
            until = until if isinstance(until, date) else date.fromisoformat(str(until))
        except ValueError:
            raise InvalidRecurrence(_("The last date must look like 2027-06-30.")) from None
    if (count is None) == (until is None):
        raise InvalidRecurrence(_("Say how often to repeat: a number of occurrences or a last date (one of them)."))
    return Recurrence(freq, interval, tuple(sorted(set(weekdays))), nth, count, until)


def expand(rec: Recurrence, start: datetime, end: datetime, tz: str) -> list[tuple[datetime, datetime]]:
    """Occurrences (UTC) of the first booking [start, end) under `rec`, keeping local wall-clock times."""
    zone_ = zone(tz)
    first = start.astimezone(zone_).replace(tzinfo=None)
    wall_length = end.astimezone(zone_).replace(tzinfo=None) - first
    options: dict[str, Any] = {"dtstart": first, "interval": rec.interval}
    if rec.freq == "weekly":
        options["byweekday"] = rec.weekdays or (first.weekday(),)
    elif rec.freq == "monthly":
        nth = rec.nth if rec.nth is not None else (first.day - 1) // 7 + 1
        if nth == 5:
            nth = -1
        options["byweekday"] = rrule.weekday(first.weekday())(nth)
    if rec.count is not None:
        options["count"] = rec.count
    else:
        options["until"] = datetime.combine(rec.until, time(23, 59))  # type: ignore[arg-type]
    result: list[tuple[datetime, datetime]] = []
    for local_start in rrule.rrule(FREQUENCIES[rec.freq], **options):
        if len(result) >= MAX_OCCURRENCES:
            break
        s = local_start.replace(tzinfo=zone_).astimezone(UTC)
        e = (local_start + wall_length).replace(tzinfo=zone_).astimezone(UTC)
        result.append((s, e))
    if not result:
        raise InvalidRecurrence(_("The recurrence gives no dates; check the weekdays and the last date."))
    return result


@dataclass
class Occurrence:
    start: datetime
    end: datetime
    problem: DomainError | None = None
    reservation: Reservation | None = field(default=None)

    def to_json(self, tz: str) -> dict[str, Any]:
        data: dict[str, Any] = span_json(self.start, self.end, tz)
        if self.problem is not None:
            data["problem"] = self.problem.message
            data["reason"] = self.problem.details.get("reason", self.problem.code)
        if self.reservation is not None:
            data["id"] = self.reservation.id
            data["status"] = self.reservation.status
        return data


def plan_series(user: User, resource: Resource, start: datetime, end: datetime, rec: Recurrence, *,
                now: datetime | None = None) -> list[Occurrence]:
    """Every occurrence with the reason it cannot be booked (None when it can). Changes nothing."""
    now = now or utcnow()
    rules = effective_rules(resource)
    buffer = timedelta(minutes=rules.buffer_minutes)
    plan = []
    for s, e in expand(rec, start, end, resource.platform.timezone):
        occurrence = Occurrence(s, e)
        try:
            check_rules(resource, s, e, now, rules)
            other = find_conflict(resource.id, s, e + buffer)
            if other is not None:
                raise SlotTaken(_("Taken: another booking holds %(span)s.",
                                  span=describe(other.start, other.end, resource.platform.timezone)))
        except DomainError as exc:
            occurrence.problem = exc
        plan.append(occurrence)
    return plan


def create_series(user: User, resource: Resource, start: datetime, end: datetime, rec: Recurrence,
                  purpose: str = "", *, skip_conflicts: bool = False,
                  now: datetime | None = None) -> tuple[ReservationSeries, list[Occurrence]]:
    """Book every occurrence. With a conflict and not `skip_conflicts`: SeriesConflicts listing them
    all, nothing booked. With `skip_conflicts`: the free ones are booked, the others returned with
    their problem. Returns the series and all occurrences."""
    now = now or utcnow()
    tz = resource.platform.timezone
    plan = plan_series(user, resource, start, end, rec, now=now)
    bad = [o for o in plan if o.problem is not None]
    if bad and (not skip_conflicts or len(bad) == len(plan)):
        message = (_("None of the %(n)s dates can be booked.", n=len(plan)) if len(bad) == len(plan) else
                   _("%(bad)s of %(n)s dates cannot be booked; skip them or choose another time.",
                     bad=len(bad), n=len(plan)))
        raise SeriesConflicts(message, occurrences=[o.to_json(tz) for o in plan])
    series = ReservationSeries(resource_id=resource.id, user_id=user.id, rule=rec.to_json(), skipped=[], created_at=now)
    db.session.add(series)
    db.session.flush()
    for occurrence in plan:
        if occurrence.problem is not None:
            continue
        try:
            occurrence.reservation = create_reservation(user, resource, occurrence.start, occurrence.end, purpose,
                                                        now=now, series_id=series.id)
        except SlotTaken as exc:  # taken between the plan and now
            occurrence.problem = exc
    series.skipped = [o.start.isoformat() for o in plan if o.problem is not None]
    if not any(o.reservation for o in plan):
        raise SeriesConflicts(_("None of the %(n)s dates can be booked.", n=len(plan)),
                              occurrences=[o.to_json(tz) for o in plan])
    db.session.flush()
    return series, plan


def cancel_rest_of_series(user: User, reservation: Reservation, reason: str = "", *,
                          now: datetime | None = None) -> list[Reservation]:
    """Cancel this occurrence and every later active one of its series."""
    now = now or utcnow()
    if reservation.series_id is None:
        return [cancel_reservation(user, reservation, reason, now=now)]
    if reservation.user_id != user.id and not user.is_staff_of(reservation.resource.platform_id):
        raise Forbidden(_("This booking is not yours to cancel."))
    later = db.session.scalars(
        select(Reservation).where(
            Reservation.series_id == reservation.series_id,
            Reservation.start >= reservation.start,
            Reservation.status.in_(("pending", "confirmed")),
        ).order_by(Reservation.start)
    ).all()
    return [cancel_reservation(user, r, reason, now=now) for r in later]
