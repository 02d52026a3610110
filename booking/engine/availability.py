"""Availability: free bookable intervals of one resource, and which resources are free.

free = opening hours − platform closures − maintenance windows − active reservations (each
widened by the resource's buffer on both sides, since two bookings must be a buffer apart),
cut to the booking horizon [now + notice, now + max_advance_days]. All computed in UTC from
local wall-clock hours placed with zoneinfo, answered in the platform's zone.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, and_, cast, exists, literal, select, union_all

from ..extensions import db
from ..models import ACTIVE_STATUSES, Closure, Maintenance, Platform, Reservation, Resource, utcnow
from .calendars import opening_intervals, resource_opening_intervals
from .intervals import Interval, clip, covers, merge, subtract
from .rules import BookingRules, effective_rules
from .timefmt import local


@dataclass(frozen=True)
class Busy:
    start: datetime
    end: datetime
    kind: str  # reservation | maintenance | closure
    ref: int   # the row's id


def busy_intervals(resource: Resource, start: datetime, end: datetime, buffer: timedelta = timedelta(0)) -> list[Busy]:
    """Everything that blocks `resource` in [start, end): reservations (their blocks), maintenance,
    closures of its platform. One query."""
    r = select(Reservation.block_start, Reservation.block_end, literal("reservation"), Reservation.id).where(
        Reservation.resource_id == resource.id,
        Reservation.status.in_(ACTIVE_STATUSES),
        Reservation.block_start < end + buffer,
        Reservation.block_end > start - buffer,
    )
    m = select(Maintenance.start, Maintenance.end, literal("maintenance"), Maintenance.id).where(
        Maintenance.resource_id == resource.id, Maintenance.start < end, Maintenance.end > start
    )
    c = select(Closure.start, Closure.end, literal("closure"), Closure.id).where(
        Closure.platform_id == resource.platform_id, Closure.start < end, Closure.end > start
    )
    rows = db.session.execute(union_all(r, m, c)).all()
    return [Busy(s, e, kind, ref) for s, e, kind, ref in rows]


def blocked(busy: Iterable[Busy], buffer: timedelta) -> list[Interval]:
    """The times a new booking may not touch: reservations widened by the buffer before them
    (their stored block already carries the buffer after them)."""
    return merge((b.start - buffer, b.end) if b.kind == "reservation" else (b.start, b.end) for b in busy)


def horizon(rules: BookingRules, now: datetime) -> Interval:
    return now + timedelta(minutes=rules.min_notice_minutes), now + timedelta(days=rules.max_advance_days)


def find_free_slots(resource: Resource, start: datetime, end: datetime, *, now: datetime | None = None,
                    rules: BookingRules | None = None) -> list[Interval]:
    """Free bookable intervals of `resource` in [start, end), in the platform's zone.

    Intervals shorter than the resource's minimum booking are left out."""
    now = now or utcnow()
    rules = rules or effective_rules(resource)
    earliest, latest = horizon(rules, now)
    lo, hi = max(start, earliest), min(end, latest)
    if lo >= hi:
        return []
    buffer = timedelta(minutes=rules.buffer_minutes)
    free = subtract(resource_opening_intervals(resource, lo, hi), blocked(busy_intervals(resource, lo, hi, buffer), buffer))
    free = clip(free, lo, hi)
    shortest = timedelta(minutes=rules.min_minutes)
    tz = resource.platform.timezone
    return [(local(s, tz), local(e, tz)) for s, e in free if e - s >= shortest]


def is_free(resource: Resource, start: datetime, end: datetime, *, now: datetime | None = None) -> bool:
    """Could [start, end) be booked now as far as time goes (hours, closures, bookings, horizon)?"""
    return covers(find_free_slots(resource, start - timedelta(minutes=1), end + timedelta(minutes=1), now=now), start, end)


def nearest_alternatives(resource: Resource, start: datetime, end: datetime, *, now: datetime | None = None,
                         count: int = 3) -> list[Interval]:
    """Up to `count` free slots of the same length as [start, end), nearest to it first
    (searched from two days before to a week after)."""
    length = end - start
    slots = find_free_slots(resource, start - timedelta(days=2), end + timedelta(days=7), now=now)
    options = []
    for s, e in slots:
        if e - s < length:
            continue
        best = min(max(start, s), e - length)  # the start in this slot closest to the one asked for
        options.append((abs(best - start), best))
    options.sort()
    tz = resource.platform.timezone
    return [(local(b, tz), local(b + length, tz)) for _, b in options[:count]]


def free_resource_ids(start: datetime, end: datetime, candidate_ids: Iterable[int] | None = None) -> set[int]:
    """Ids of the active, bookable resources free for the whole of [start, end).

    For search (`available_from`/`available_to`). The database removes, in one statement, every
    candidate with an overlapping active reservation (its stored block, buffer after it included),
    maintenance window or platform closure (NOT EXISTS sub-queries on indexed columns); Python
    then checks opening hours once per distinct (zone, hours) pair among the survivors, not per
    resource. Booking rules (notice, horizon, lengths) are not applied: this answers "is the time
    free", and the booking itself enforces the rules. `candidate_ids=None` means every resource.
    """
    if start.tzinfo is None or end.tzinfo is None or end <= start:
        raise ValueError("free_resource_ids needs aware datetimes with start < end")
    query = (
        select(Resource.id, Platform.timezone, cast(Resource.opening_hours, String).label("own_hours"),
               cast(Platform.opening_hours, String).label("platform_hours"))
        .join(Platform, Platform.id == Resource.platform_id)
        .where(Resource.status == "active", free_resources_clause(start, end))
    )
    wanted: set[int] | None = None
    if candidate_ids is not None:
        wanted = set(candidate_ids)
        if not wanted:
            return set()
        if len(wanted) <= 2000:  # small sets go to the database; big ones are intersected here
            query = query.where(Resource.id.in_(wanted))
    verdicts: dict[tuple[Any, ...], bool] = {}
    found: set[int] = set()
    for rid, tz, own_hours, platform_hours in db.session.execute(query).tuples():
        key = (tz, own_hours, platform_hours)
        ok = verdicts.get(key)
        if ok is None:
            hours = _hours(own_hours)
            if hours is None:
                hours = _hours(platform_hours)
            ok = verdicts[key] = covers(opening_intervals(hours, tz, start, end), start, end)
        if ok:
            found.add(rid)
    return found & wanted if wanted is not None else found


def _hours(text: str | None) -> Any:
    if text is None or text == "null":
        return None
    return json.loads(text)


def free_resources_clause(start: datetime, end: datetime) -> Any:
    """The SQL half of `free_resource_ids` as a WHERE clause on Resource (no opening hours)."""
    return and_(
        Resource.bookable.is_(True),
        ~exists().where(Reservation.resource_id == Resource.id, Reservation.status.in_(ACTIVE_STATUSES),
                        Reservation.block_start < end, Reservation.block_end > start),
        ~exists().where(Maintenance.resource_id == Resource.id, Maintenance.start < end, Maintenance.end > start),
        ~exists().where(Closure.platform_id == Resource.platform_id, Closure.start < end, Closure.end > start),
    )
