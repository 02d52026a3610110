"""How long users wait for a popular instrument (issue 13): for the instruments of the scope with
the most bookings in the period, the median days from request to the booked start (how far ahead
people had to book) and, for a period that includes today, the wait from now to the first free
slot of an hour — the figure a startup asks before it plans a test.

The popular instruments and their medians are SQL aggregates over the period's bookings; the
first free slot is the booking engine's own answer (opening hours, closures, maintenance,
bookings, the booking horizon), computed for those few instruments only.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, select, true

from ..engine.availability import find_free_slots
from ..engine.rules import effective_rules
from ..extensions import db
from ..models import Reservation, Resource
from .figures import FigureRow, held_clause, make_frame, reservation_frame
from .periods import Period
from .scope import Scope
from .sql import grouped_percentiles, hours_between

POPULAR = 10
LOOK_AHEAD = timedelta(days=90)


@dataclass
class PopularWait:
    """One popular instrument: its bookings in the period, the median days users booked ahead,
    and (today) when its next free slot of at least an hour begins."""

    resource: Resource
    bookings: int
    lead_median_days: float | None
    next_free: datetime | None = None
    wait_days: float | None = None  # from now to next_free
    looked: bool = False  # the period includes today, so the next free slot was looked for


def popular_waits(scope: Scope, period: Period, now: datetime, limit: int = POPULAR, *,
                  by_resource: list[FigureRow] | None = None) -> list[PopularWait]:
    """The `limit` bookable instruments of the scope booked most often in the period, busiest
    first. `by_resource`, the period's report rows by resource when the caller has them, spares
    counting the bookings a second time."""
    frame = make_frame(scope, period, "resource", now)
    counted = and_(held_clause(), frame.starts_in(Reservation.start), Resource.bookable.is_(true()))
    if by_resource is not None:
        top = _busiest_rows(by_resource, limit)
    else:
        top = [(rid, int(n)) for rid, n in db.session.execute(
            reservation_frame(frame, Reservation.resource_id, func.count(Reservation.id).label("n"))
            .where(counted).group_by(Reservation.resource_id)
            .order_by(func.count(Reservation.id).desc(), Reservation.resource_id).limit(limit))]
    if not top:
        return []
    ids = [rid for rid, _n in top]
    lead = hours_between(Reservation.created_at, Reservation.start, frame.dialect) / 24.0
    medians = grouped_percentiles(
        reservation_frame(frame, Reservation.resource_id, lead.label("v")).where(counted, Reservation.resource_id.in_(ids)),
        (50,))
    resources = {r.id: r for r in db.session.scalars(select(Resource).where(Resource.id.in_(ids)))}
    found = []
    for rid, n in top:
        wait = PopularWait(resources[rid], int(n), round(max(0.0, medians[rid][50]), 1) if rid in medians else None)
        if frame.earliest <= now < frame.latest:
            wait.looked, wait.next_free = True, first_free_hour(wait.resource, now)
            if wait.next_free is not None:
                wait.wait_days = round(max(0.0, (wait.next_free - now).total_seconds()) / 86400, 1)
        found.append(wait)
    return found


def _busiest_rows(rows: list[FigureRow], limit: int) -> list[tuple[int, int]]:
    """(resource id, bookings) of the busiest bookable resources among report rows by resource."""
    busy = sorted(((row.key, row.bookings) for row in rows if row.bookings), key=lambda kn: (-kn[1], kn[0]))
    if not busy:
        return []
    bookable = set(db.session.scalars(select(Resource.id).where(
        Resource.id.in_([rid for rid, _n in busy]), Resource.bookable.is_(true()))))
    return [(rid, n) for rid, n in busy if rid in bookable][:limit]


def first_free_hour(resource: Resource, now: datetime) -> datetime | None:
    """The start of the first free time of at least an hour (or the resource's minimum booking,
    if longer) that can still be booked, within LOOK_AHEAD."""
    rules = effective_rules(resource)
    need = timedelta(minutes=max(60, rules.min_minutes))
    for start, end in find_free_slots(resource, now, now + LOOK_AHEAD, now=now, rules=rules):
        if end - start >= need:
            return start
    return None


WAIT_HEADERS = (("仪器", "Instrument"), ("平台", "Platform"), ("预约次数", "Bookings"),
                ("提前预约天数中位数", "Median days booked ahead"), ("下一个空闲时段", "Next free slot"),
                ("等待天数", "Days to wait"))


def wait_rows(waits: list[PopularWait]) -> list[list[Any]]:
    """The rows of the waiting-time sheet and CSV (the next free slot in the platform's zone)."""
    return [[w.resource.display_title("zh"), w.resource.platform.code, w.bookings, w.lead_median_days,
             w.next_free.strftime("%Y-%m-%d %H:%M") if w.next_free else None, w.wait_days] for w in waits]


__all__ = ["WAIT_HEADERS", "PopularWait", "first_free_hour", "popular_waits", "wait_rows"]
