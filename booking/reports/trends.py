"""The numbers behind the report pages' charts: effective hours month by month, and when in the
week the instruments are used (weekday × hour), as SQL aggregates over the bookings.

Both read the same bookings, with the same conditions, as `figures` does (`reservation_frame`,
`effective_clause`, `effective_span`, `internal_clause`), so a month's bar adds up to that month's
report and the heat map's cells add up to the period's effective hours.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import BigInteger, String, and_, case, cast, func, literal, select, true, union_all

from ..engine.calendars import opening_intervals, zone
from ..engine.intervals import Interval, clip, merge, subtract
from ..extensions import db
from ..models import Closure, Maintenance, Platform, Resource, utcnow
from .figures import (
    Frame,
    clipped_hours,
    effective_clause,
    effective_span,
    internal_clause,
    make_frame,
    reservation_frame,
)
from .periods import Period
from .scope import Scope
from .sql import epoch_seconds, greatest, instant, least, zoned

HOUR = 3600
DAY = 86400
MAX_SPAN_HOURS = 24  # the heat map splits the first 24 hours of a booking (see weekday_hour_heat)


# --- monthly trend -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class MonthPoint:
    """One month of the period (`month` is its first day; the first and last may be partial)."""

    month: date
    effective_hours: float
    external_hours: float

    @property
    def label(self) -> str:
        return f"{self.month.year}-{self.month.month:02d}"


def month_starts(period: Period) -> list[date]:
    """The first day of each calendar month the period touches (the period's own first day first)."""
    starts = [period.first]
    year, month = period.first.year, period.first.month
    while True:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        start = date(year, month, 1)
        if start > period.last:
            return starts
        starts.append(start)


def _local_midnight(day: date, tz: str) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone(tz)).astimezone(UTC)


def monthly_trend(scope: Scope, period: Period, now: datetime | None = None) -> list[MonthPoint]:
    """Effective and external hours of each month of `period`, in one query.

    Each booking's month is found by a CASE over the month boundaries in its platform's zone
    (midnight of the 1st, local time); the part of a booking that runs past its month's end
    (a session across midnight on the 31st) is counted in the following month, so each month
    matches that month's report. (A booking longer than a month would put all of its remainder
    in the next month; the booking rules do not allow one.)"""
    frame = make_frame(scope, period, "service", now or utcnow())
    starts = month_starts(period)
    eff_start, eff_end = effective_span(frame)
    boundaries = [zoned({tz: instant(_local_midnight(day, tz)) for tz in frame.zones}, Platform.timezone)
                  for day in starts[1:]]
    if boundaries:
        bucket: Any = case(*((eff_start < b, n) for n, b in enumerate(boundaries)), else_=len(boundaries))
        bucket_end: Any = case(*((eff_start < b, b) for b in boundaries), else_=frame.hi)
    else:
        bucket, bucket_end = literal(0), frame.hi
    d = frame.dialect
    this_month = clipped_hours(frame, eff_start, least(eff_end, bucket_end, d))
    next_month = clipped_hours(frame, greatest(eff_start, bucket_end, d), eff_end)
    internal = case((internal_clause(), 1), else_=0)
    per_booking = _streamed(reservation_frame(
        frame, bucket.label("bucket"), internal.label("internal"),
        this_month.label("hours"), next_month.label("spill"),
    ).where(effective_clause(frame)), frame, "per_booking")
    b = per_booking.c
    pieces = union_all(
        select(b.bucket.label("bucket"), b.internal.label("internal"), b.hours.label("hours")),
        select((b.bucket + 1).label("bucket"), b.internal, b.spill).where(b.spill > 0),
    ).subquery("pieces")
    p = pieces.c
    query = select(p.bucket, func.sum(p.hours), func.sum(case((p.internal == 0, p.hours), else_=0.0))).group_by(
        p.bucket)
    found = {int(n): (float(eff or 0), float(ext or 0)) for n, eff, ext in db.session.execute(query)}
    return [MonthPoint(day, round(found.get(n, (0.0, 0.0))[0], 2), round(found.get(n, (0.0, 0.0))[1], 2))
            for n, day in enumerate(starts)]


# --- weekday × hour heat map ------------------------------------------------------------------------

@dataclass
class HeatMap:
    """Effective hours and open hours per local weekday (0 = Monday) and hour of day (0–23)."""

    effective: list[list[float]] = field(default_factory=lambda: [[0.0] * 24 for _ in range(7)])
    open: list[list[float]] = field(default_factory=lambda: [[0.0] * 24 for _ in range(7)])

    def utilisation(self, weekday: int, hour: int) -> float | None:
        """Effective / open hours of the cell; None where nothing was open."""
        whole = self.open[weekday][hour]
        return round(self.effective[weekday][hour] / whole, 4) if whole > 1e-9 else None

    @property
    def total_effective(self) -> float:
        return round(sum(map(sum, self.effective)), 2)


def weekday_hour_heat(scope: Scope, period: Period, now: datetime | None = None) -> HeatMap:
    """Effective hours per (local weekday, local hour) cell, and the open hours of each cell.

    Each booking's effective span (as `figures` clips it: to the period and to now) is split into
    the clock hours it covers by joining a small table of hour offsets 0–24, in one query; the
    local weekday and hour of each piece come from its platform's zone, daylight saving included
    (the zone's offset at each piece, a CASE over the zone's transitions in the period). Only the
    first 24 hours of a booking are split: a booking longer than that (rare: the booking rules
    allow 8 hours by default) counts only its first day here, while the figures count all of it.

    The open hours of a cell are laid out from opening hours, closures and maintenance as
    `figures` does for utilisation, once per distinct calendar."""
    frame = make_frame(scope, period, "service", now or utcnow())
    heat = HeatMap()
    _effective_cells(frame, heat)
    _open_cells(frame, heat)
    for grid in (heat.effective, heat.open):
        for row in grid:
            row[:] = [round(value, 4) for value in row]
    return heat


def _transitions(tz: str, start: datetime, end: datetime) -> list[tuple[int, int]]:
    """[(epoch second from which, UTC offset in seconds)] of zone `tz` over [start, end), the first
    entry at `start`: the offsets daylight saving moves between (to the second)."""
    zone_ = zone(tz)

    def offset(at: int) -> int:
        return int(datetime.fromtimestamp(at, UTC).astimezone(zone_).utcoffset().total_seconds())  # type: ignore[union-attr]

    first, last = int(start.timestamp()), int(end.timestamp())
    found = [(first, offset(first))]
    day = first
    while day < last:
        following = min(day + DAY, last)
        if offset(following) != found[-1][1]:
            lo, hi = day, following  # offset(lo) is the old one, offset(hi) the new one
            while hi - lo > 1:
                mid = (lo + hi) // 2
                lo, hi = (mid, hi) if offset(mid) == found[-1][1] else (lo, mid)
            found.append((hi, offset(hi)))
        day = following
    return found


def _offset_at(seconds: Any, zone_column: Any, transitions: dict[str, list[tuple[int, int]]]) -> Any:
    """The UTC offset (seconds) at epoch `seconds` in the zone named by `zone_column`."""
    per_zone: dict[str, Any] = {}
    for tz, steps in transitions.items():
        if len(steps) == 1:
            per_zone[tz] = literal(steps[0][1])
        else:
            per_zone[tz] = case(*((seconds < at, off) for (at, _), (_, off) in zip(steps[1:], steps)),
                                else_=steps[-1][1])
    return zoned(per_zone, zone_column)


def _whole_seconds(value: Any, dialect: str) -> Any:
    return cast(func.round(epoch_seconds(value, dialect)), BigInteger)


def _streamed(query: Any, frame: Frame, name: str) -> Any:
    """A per-booking sub-select read once per row (SQLite: LIMIT -1 keeps it from being folded
    into the outer query and its julianday()s worked out once per use)."""
    return (query.limit(-1) if frame.dialect == "sqlite" else query).subquery(name)


def _effective_cells(frame: Frame, heat: HeatMap) -> None:
    d = frame.dialect
    margin = timedelta(days=2)  # pieces start up to an hour before a booking and end a day after
    transitions = {tz: _transitions(tz, lo - margin, hi + margin) for tz, (lo, hi) in frame.zones.items()}
    eff_start, eff_end = effective_span(frame)
    start_s = _whole_seconds(eff_start, d)
    per_booking = _streamed(reservation_frame(
        frame, Platform.timezone.label("tz"), start_s.label("s"), _whole_seconds(eff_end, d).label("e"),
        # the start of the local clock hour the booking begins in, as an instant
        (start_s - (start_s + _offset_at(start_s, Platform.timezone, transitions)) % HOUR).label("h0"),
    ).where(effective_clause(frame), eff_end > eff_start), frame, "per_booking")
    b = per_booking.c
    offsets = union_all(*(select(literal(k).label("k")) for k in range(MAX_SPAN_HOURS + 1))).subquery("hour_offsets")
    piece = b.h0 + offsets.c.k * HOUR
    until = least(b.e, b.s + MAX_SPAN_HOURS * HOUR, d)
    local = piece + _offset_at(piece, b.tz, transitions)
    weekday = ((local // DAY) + 3) % 7  # 1970-01-01 was a Thursday
    hour = (local // HOUR) % 24
    covered = least(until, piece + HOUR, d) - greatest(b.s, piece, d)
    cells = (
        select(weekday.label("weekday"), hour.label("hour"), func.sum(covered))
        .select_from(per_booking)
        .join(offsets, true())
        .where(piece < until)
        .group_by(weekday, hour)
    )
    for day, hour_, seconds in db.session.execute(cells):
        heat.effective[int(day)][int(hour_)] += float(seconds or 0) / HOUR


def _cells_of(intervals: list[Interval], tz: str, grid: list[list[float]], sign: float = 1.0) -> None:
    """Add (or take off) the hours of `intervals` to the local weekday × hour cells they cover."""
    zone_ = zone(tz)
    for start, end in intervals:
        cursor = start
        while cursor < end:
            local = cursor.astimezone(zone_)
            into_hour = timedelta(minutes=local.minute, seconds=local.second, microseconds=local.microsecond)
            following = min(end, cursor + timedelta(hours=1) - into_hour)
            grid[local.weekday()][local.hour] += sign * (following - cursor).total_seconds() / HOUR
            cursor = following


def _open_cells(frame: Frame, heat: HeatMap) -> None:
    """Open hours of the scope's bookable resources per cell: weekly hours (the resource's, else
    its platform's; none = round the clock) less the platform's closures, per distinct calendar
    multiplied by the resources sharing it, less each resource's maintenance."""
    own_hours = cast(Resource.opening_hours, String).label("own")
    platform_hours = cast(Platform.opening_hours, String).label("wide")
    bookable = and_(Resource.bookable.is_(true()), Resource.status == "active")
    counts = frame.in_scope(
        select(Platform.id, Platform.timezone, own_hours, platform_hours, func.count(Resource.id))
        .join(Platform, Platform.id == Resource.platform_id)
        .where(bookable)
        .group_by(Platform.id, Platform.timezone, own_hours, platform_hours))
    closures: dict[int, list[Interval]] = {}
    closure_query = select(Closure.platform_id, Closure.start, Closure.end).where(
        Closure.start < frame.latest, Closure.end > frame.earliest)
    if frame.scope.platform_id is not None:
        closure_query = closure_query.where(Closure.platform_id == frame.scope.platform_id)
    for pid, start, end in db.session.execute(closure_query):
        closures.setdefault(pid, []).append((start, end))

    laid_out: dict[tuple[Any, ...], list[Interval]] = {}

    def layout(pid: int, tz: str, own: str | None, wide: str | None) -> list[Interval]:
        """The open intervals of one calendar in the period (laid out once)."""
        if (pid, tz, own, wide) in laid_out:
            return laid_out[pid, tz, own, wide]
        text = own if own not in (None, "null") else wide
        hours = None if text in (None, "null") else json.loads(text)
        lo, hi = frame.zones[tz]
        laid_out[pid, tz, own, wide] = subtract(clip(opening_intervals(hours, tz, lo, hi), lo, hi),
                                                merge(closures.get(pid, [])))
        return laid_out[pid, tz, own, wide]

    for pid, tz, own, wide, n in db.session.execute(counts):
        single = [[0.0] * 24 for _ in range(7)]
        _cells_of(layout(pid, tz, own, wide), tz, single)
        for day in range(7):
            for hour in range(24):
                heat.open[day][hour] += single[day][hour] * int(n)
    maintenance = frame.in_scope(
        select(Platform.id, Platform.timezone, own_hours, platform_hours, Maintenance.start, Maintenance.end)
        .select_from(Maintenance)
        .join(Resource, Resource.id == Maintenance.resource_id)
        .join(Platform, Platform.id == Resource.platform_id)
        .where(bookable, Maintenance.start < frame.latest, Maintenance.end > frame.earliest))
    for pid, tz, own, wide, start, end in db.session.execute(maintenance):
        _cells_of(clip(layout(pid, tz, own, wide), start, end), tz, heat.open, -1.0)
    for row in heat.open:
        row[:] = [max(0.0, value) for value in row]


__all__ = ["HeatMap", "MonthPoint", "month_starts", "monthly_trend", "weekday_hour_heat"]
