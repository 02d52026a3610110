"""Availability: free bookable intervals of one resource, and which resources are free.

free = opening hours − platform closures − maintenance windows − active reservations (each
widened by the resource's buffer on both sides, since two bookings must be a buffer apart),
cut to the booking horizon [now + notice, now + max_advance_days]. All computed in UTC from
local wall-clock hours placed with zoneinfo, answered in the platform's zone.
"""
from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, String, and_, any_, cast, exists, func, literal, select, union_all
from sqlalchemy.dialects.postgresql import ARRAY

from ..extensions import db
from ..models import ACTIVE_STATUSES, Closure, Maintenance, Platform, Reservation, Resource, utcnow
from .calendars import opening_intervals, resource_opening_intervals
from .intervals import Interval, clip, covers, merge, subtract
from .rules import MAX_BLOCK, BookingRules, effective_rules
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

    For search (`available_from` / `available_to`); `candidate_ids=None` means every resource.
    Free means: no active reservation block, maintenance window or platform closure overlaps the
    interval, and the resource's opening hours (else its platform's; none = any hour) admit all
    of it. Booking rules (notice, horizon, lengths) are not applied: the booking enforces them.

    A small candidate set (≤ SMALL_CANDIDATE_SET) is filtered in one SQL statement with NOT EXISTS
    sub-queries (`free_resources_clause`); opening hours are then checked once per distinct
    (zone, hours) among the survivors. For large sets or every resource, shipping 100,000 rows
    back would cost more than the work, so the database returns only the few *busy* ids and the
    bookable catalogue's hours are kept grouped in memory (reloaded whenever the resource or
    platform tables change); opening hours are again decided once per group, not per resource.
    """
    if start.tzinfo is None or end.tzinfo is None or end <= start:
        raise ValueError("free_resource_ids needs aware datetimes with start < end")
    wanted = set(candidate_ids) if candidate_ids is not None else None
    if wanted is not None and len(wanted) <= SMALL_CANDIDATE_SET:
        return _free_among(start, end, wanted) if wanted else set()
    catalogue = _catalogue()
    verdict = _HoursVerdicts(start, end)
    closed = set(db.session.scalars(select(Closure.platform_id).where(Closure.start < end, Closure.end > start)))
    busy = set(db.session.scalars(select(Reservation.resource_id).where(  # ix_reservation_span, bounded
        Reservation.block_start > start - MAX_BLOCK, Reservation.block_start < end, Reservation.block_end > start,
        Reservation.status.in_(ACTIVE_STATUSES))))
    busy.update(db.session.scalars(select(Maintenance.resource_id).where(Maintenance.start < end, Maintenance.end > start)))
    found: set[int] = set()
    for (platform_id, own_hours), ids in catalogue.groups.items():
        if platform_id in closed:
            continue
        tz, platform_hours = catalogue.platforms[platform_id]
        if verdict(tz, own_hours if own_hours is not None else platform_hours):
            found.update(ids)
    found -= busy
    return found & wanted if wanted is not None else found


SMALL_CANDIDATE_SET = 500  # above this, the catalogue path is the cheaper one


class _HoursVerdicts:
    """Does a weekly-hours text admit [start, end) in a zone? Decided once per distinct pair."""

    def __init__(self, start: datetime, end: datetime) -> None:
        self.start, self.end = start, end
        self.known: dict[tuple[str, str | None], bool] = {}

    def __call__(self, tz: str, hours_text: str | None) -> bool:
        key = (tz, hours_text)
        if key not in self.known:
            hours = None if hours_text in (None, "null") else json.loads(hours_text)
            self.known[key] = covers(opening_intervals(hours, tz, self.start, self.end), self.start, self.end)
        return self.known[key]


def _free_among(start: datetime, end: datetime, wanted: set[int]) -> set[int]:
    query = (
        select(Resource.id, Platform.timezone, cast(Resource.opening_hours, String).label("own_hours"),
               cast(Platform.opening_hours, String).label("platform_hours"))
        .join(Platform, Platform.id == Resource.platform_id)
        .where(_id_among(wanted), Resource.status == "active", free_resources_clause(start, end))
    )
    verdict = _HoursVerdicts(start, end)
    return {rid for rid, tz, own, platform in db.session.execute(query).tuples()
            if verdict(tz, own if own not in (None, "null") else platform)}


def _id_among(ids: set[int]) -> Any:
    """Resource.id IN ids: one array parameter on PostgreSQL (no plan per list length)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return Resource.id == any_(cast(sorted(ids), ARRAY(Integer)))
    return Resource.id.in_(ids)


@dataclass
class _Catalogue:
    version: tuple[Any, ...]
    groups: dict[tuple[int, str | None], list[int]]  # (platform id, own hours text) → resource ids
    platforms: dict[int, tuple[str, str | None]]      # platform id → (zone, hours text)
    loaded: float


CATALOGUE_MAX_AGE = 300.0  # seconds

_catalogues: dict[str, _Catalogue] = {}


def _catalogue() -> _Catalogue:
    """The bookable resources grouped by hours, cached per database and reloaded when the resource
    or platform tables change (the importer and the ORM both stamp updated_at)."""
    # Separate sub-selects, so each max() is one look-up in its index (ix_resource_updated_at).
    # Two index look-ups (primary key, ix_resource_updated_at) tell whether anything was added or
    # changed; a deleted row is noticed at the latest by the periodic reload.
    version = tuple(db.session.execute(select(*(select(aggregate).scalar_subquery() for aggregate in (
        func.max(Resource.id), func.max(Resource.updated_at))))).one())
    platforms = {pid: (tz, None if hours in (None, "null") else hours) for pid, tz, hours in db.session.execute(
        select(Platform.id, Platform.timezone, cast(Platform.opening_hours, String))).tuples()}
    key = str(db.engine.url)
    cached = _catalogues.get(key)
    if cached is not None and cached.version == version and time.monotonic() - cached.loaded < CATALOGUE_MAX_AGE:
        cached.platforms = platforms  # a few rows: always fresh (zones and hours may change)
        return cached
    groups: dict[tuple[int, str | None], list[int]] = {}
    for rid, platform_id, hours in db.session.execute(
            select(Resource.id, Resource.platform_id, cast(Resource.opening_hours, String))
            .where(Resource.bookable.is_(True), Resource.status == "active")).tuples():
        groups.setdefault((platform_id, None if hours in (None, "null") else hours), []).append(rid)
    cached = _catalogues[key] = _Catalogue(version, groups, platforms, time.monotonic())
    return cached


def free_resources_clause(start: datetime, end: datetime) -> Any:
    """The SQL half of `free_resource_ids` as a WHERE clause on Resource (no opening hours)."""
    return and_(
        Resource.bookable.is_(True),
        ~exists().where(Reservation.resource_id == Resource.id, Reservation.status.in_(ACTIVE_STATUSES),
                        Reservation.block_start < end, Reservation.block_end > start),
        ~exists().where(Maintenance.resource_id == Resource.id, Maintenance.start < end, Maintenance.end > start),
        ~exists().where(Closure.platform_id == Resource.platform_id, Closure.start < end, Closure.end > start),
    )
