"""The hour grid of a resource's booking panel, as plain data: for each day and step, what the
time is (free, booked, yours, maintenance, closed, buffer, past, not open, or a wall-clock time that
does not exist that day), and for a free cell the window a click on it chooses — a length the
rules allow, aligned to the step, inside its free run. Also where the page opens: the first week
with free time, and the first free start that is not past."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ...engine.availability import blocked, busy_intervals, find_free_slots
from ...engine.calendars import effective_opening_hours, parse_hours, resource_opening_intervals, zone
from ...engine.intervals import Interval
from ...engine.rules import BookingRules, effective_rules
from ...extensions import db
from ...models import Reservation, Resource, utcnow

STEPS = (30, 15, 10, 5)  # grid rows, in minutes: the coarsest that fits the rules and opening hours
SEARCH_WEEKS = 8  # how far ahead the page looks for the first week with free time
DEFAULT_MINUTES = 60  # a click chooses an hour, unless the rules say otherwise


@dataclass
class Cell:
    """One step of one day. `kind`: free | mine | booked | pending | maintenance | closed | buffer |
    past | unavailable (open, but the rules or a short gap refuse it) | shut (not open) | none (a
    wall-clock time that does not exist that day, when daylight saving starts)."""
    day: date
    start: datetime  # aware, platform zone
    end: datetime
    kind: str = "shut"
    run: int | None = None  # free cells: which run of free cells (one column, no gap) it belongs to
    window: tuple[datetime, datetime] | None = None  # free cells: what a click on it chooses
    selected: bool = False
    first: bool = False  # the first cell of a busy block in its column (where its label goes)

    @property
    def hhmm(self) -> str:
        return f"{self.start:%H:%M}"


@dataclass
class Grid:
    days: list[date]
    times: list[time]  # the rows: wall-clock times in the platform's zone
    columns: list[list[Cell]]
    step: int
    tz: str
    runs: list[Interval] = field(default_factory=list)

    @property
    def rows(self) -> list[tuple[time, list[Cell]]]:
        return [(t, [column[i] for column in self.columns]) for i, t in enumerate(self.times)]

    def only(self, day: date) -> Grid:
        """The same grid cut to one of its days (the day view)."""
        i = self.days.index(day)
        return Grid(days=[day], times=self.times, columns=[self.columns[i]], step=self.step, tz=self.tz, runs=self.runs)

    def first_window(self) -> tuple[datetime, datetime] | None:
        """The window a visitor most likely wants: the first free cell's."""
        for column in self.columns:
            for cell in column:
                if cell.kind == "free" and cell.window:
                    return cell.window
        return None

    def select(self, start: datetime, end: datetime) -> None:
        """Mark the cells of a chosen window (the form's), so the grid shows what the form says."""
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        for column in self.columns:
            for cell in column:
                cell.selected = (cell.kind != "none" and cell.start.astimezone(UTC) < end
                                 and cell.end.astimezone(UTC) > start)


CELL_LABELS = {
    "free": _l("Free"), "mine": _l("Your booking"), "booked": _l("Booked"), "pending": _l("Awaiting approval"),
    "maintenance": _l("Maintenance"), "closed": _l("Closed"), "buffer": _l("Buffer between bookings"),
    "past": _l("Past"), "unavailable": _l("Not bookable now"), "shut": _l("Not open"), "none": "",
}


def grid_step(rules: BookingRules, hours: Any) -> int:
    """Minutes per row: the coarsest of 30/15/10/5 that every opening time falls on and that has a
    multiple between the shortest and the longest booking."""
    week = parse_hours(hours) or ()
    marks = [t.hour * 60 + t.minute for day in week for span in day for t in span if t is not None]
    for step in STEPS:
        if all(m % step == 0 for m in marks) and -(-rules.min_minutes // step) * step <= rules.max_minutes:
            return step
    return STEPS[-1]


def default_length(rules: BookingRules, step: int) -> timedelta:
    """What a click chooses: an hour, or the shortest booking if longer, never over the longest;
    a whole number of steps when that stays within the rules."""
    minutes = min(max(DEFAULT_MINUTES, rules.min_minutes), rules.max_minutes)
    aligned = minutes - minutes % step
    return timedelta(minutes=aligned if aligned >= rules.min_minutes else minutes)


def choose_window(run: Interval, at: datetime, rules: BookingRules, step: int) -> Interval | None:
    """The window a click at `at` chooses inside a free run: the default length starting there,
    moved back to end with the run when the run is shorter; None when no legal booking fits.
    Computed in UTC (real durations), answered in `at`'s zone."""
    tz = at.tzinfo
    run_start, run_end = run[0].astimezone(UTC), run[1].astimezone(UTC)
    length = default_length(rules, step)
    start = at.astimezone(UTC)
    end = start + length
    if end > run_end:
        end = run_end
        start = max(run_start, end - length)
    if end - start < timedelta(minutes=rules.min_minutes) or end - start > timedelta(minutes=rules.max_minutes):
        return None
    return start.astimezone(tz), end.astimezone(tz)


def _exists(day: date, at: time, zone_: Any) -> datetime | None:
    """`day` at `at` in the zone, or None when that wall-clock time is skipped (daylight saving)."""
    local = datetime.combine(day, at, tzinfo=zone_)
    back = local.astimezone(UTC).astimezone(zone_)
    return local if (back.date(), back.time()) == (day, at) else None


def build_grid(resource: Resource, days: list[date], *, now: datetime | None = None, viewer_id: int | None = None,
               rules: BookingRules | None = None) -> Grid:
    """The hour grid of `resource` for `days` (consecutive), each cell classified; free cells carry
    the window a click on them chooses. Rows are local wall-clock times of the platform's zone."""
    now = now or utcnow()
    rules = rules or effective_rules(resource)
    tz = resource.platform.timezone
    zone_ = zone(tz)
    step = grid_step(rules, effective_opening_hours(resource))
    first_hour, last_hour = shown_hours(resource)
    times = [time(m // 60, m % 60) for m in range(first_hour * 60, last_hour * 60, step)]
    span_start = datetime.combine(days[0], time(0), tzinfo=zone_).astimezone(UTC)
    span_end = datetime.combine(days[-1] + timedelta(days=1), time(0), tzinfo=zone_).astimezone(UTC)
    buffer = timedelta(minutes=rules.buffer_minutes)
    opening = resource_opening_intervals(resource, span_start, span_end)
    free = [(a.astimezone(UTC), b.astimezone(UTC))
            for a, b in find_free_slots(resource, span_start, span_end, now=now, rules=rules)]
    busy = busy_intervals(resource, span_start, span_end, buffer)
    ids = [b.ref for b in busy if b.kind == "reservation"]
    reservations = ({r.id: r for r in db.session.scalars(select(Reservation).where(Reservation.id.in_(ids)))}
                    if ids else {})
    held: list[tuple[datetime, datetime, str]] = []  # (start, end, kind) of bookings, maintenance and closures
    for b in busy:
        if b.kind == "reservation":
            r = reservations.get(b.ref)
            if r is not None:
                whose = "mine" if viewer_id is not None and r.user_id == viewer_id else (
                    "pending" if r.status == "pending" else "booked")
                held.append((r.start, r.end, whose))
        else:
            held.append((b.start, b.end, "closed" if b.kind == "closure" else "maintenance"))
    buffers = blocked(busy, buffer) if buffer else []

    def overlaps(spans: Any, s: datetime, e: datetime) -> bool:
        return any(a < e and b > s for a, b in spans)

    grid = Grid(days=list(days), times=times, columns=[], step=step, tz=tz)
    for d in days:
        column: list[Cell] = []
        for t in times:
            start = _exists(d, t, zone_)
            if start is None:
                column.append(Cell(d, datetime.combine(d, t, tzinfo=zone_), datetime.combine(d, t, tzinfo=zone_), "none"))
                continue
            s_utc = start.astimezone(UTC)  # compared in UTC: one zone's aware times compare as wall time
            e_utc = s_utc + timedelta(minutes=step)
            cell = Cell(d, start, e_utc.astimezone(zone_))
            kind: str | None = next((k for a, b, k in held if a < e_utc and b > s_utc), None)
            if kind is None:
                if s_utc < now:
                    kind = "past"
                elif any(a <= s_utc and e_utc <= b for a, b in free):
                    kind = "free"
                elif overlaps(buffers, s_utc, e_utc):
                    kind = "buffer"
                elif overlaps(opening, s_utc, e_utc):
                    kind = "unavailable"
                else:
                    kind = "shut"
            cell.kind = kind
            column.append(cell)
        _mark_runs(grid, column, rules, step)
        grid.columns.append(column)
    return grid


def _mark_runs(grid: Grid, column: list[Cell], rules: BookingRules, step: int) -> None:
    """Group a column's free cells into runs (touching in time), give each free cell its window,
    and mark runs too short for any booking as unavailable; flag the first cell of busy blocks."""
    real = [c for c in column if c.kind != "none"]
    i = 0
    while i < len(real):
        if real[i].kind != "free":
            real[i].first = i == 0 or real[i - 1].kind != real[i].kind
            i += 1
            continue
        j = i
        while j + 1 < len(real) and real[j + 1].kind == "free" and real[j + 1].start.astimezone(UTC) == real[j].end.astimezone(UTC):
            j += 1
        run = (real[i].start, real[j].end)
        if run[1].astimezone(UTC) - run[0].astimezone(UTC) < timedelta(minutes=rules.min_minutes):
            for cell in real[i:j + 1]:
                cell.kind = "unavailable"
        else:
            number = len(grid.runs)
            grid.runs.append(run)
            for cell in real[i:j + 1]:
                cell.run = number
                cell.window = choose_window(run, cell.start, rules, step)
        i = j + 1


def shown_hours(resource: Resource) -> tuple[int, int]:
    """The hours of the day the calendar shows: the week's earliest opening to its latest closing,
    at least 08:00–18:00; a resource open at any hour shows the whole day."""
    week = parse_hours(effective_opening_hours(resource))
    if week is None:
        return 0, 24
    spans = [span for day in week for span in day]
    first = min((opens.hour for opens, _closes in spans), default=8)
    last = max((24 if closes is None else closes.hour + (1 if closes.minute else 0) for _opens, closes in spans),
               default=18)
    return min(first, 8), max(last, 18)


# --- which week, which day ----------------------------------------------------------------------

def week_start(value: str | None, tz: str, today: date | None = None) -> date:
    """The Monday of the week asked for (`week=YYYY-MM-DD`), else of this week (at the weekend, of
    the coming one); out-of-range or malformed values fall back to that default."""
    today = today or utcnow().astimezone(zone(tz)).date()
    if today.weekday() >= 5:
        today += timedelta(days=7 - today.weekday())
    chosen = today
    if value:
        try:
            chosen = date.fromisoformat(value)
        except ValueError:
            chosen = today
        if abs((chosen - today).days) > 800:
            chosen = today
    return chosen - timedelta(days=chosen.weekday())


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def first_free_start(resource: Resource, *, now: datetime | None = None, weeks: int = SEARCH_WEEKS,
                     rules: BookingRules | None = None) -> datetime | None:
    """The start of the first window the grid would offer, searched from now up to `weeks` weeks
    ahead: the first free time, rounded up to the grid's step on the wall clock, that leaves room
    for the shortest booking before the free time (or its day) ends."""
    now = now or utcnow()
    rules = rules or effective_rules(resource)
    tz = resource.platform.timezone
    zone_ = zone(tz)
    step = grid_step(rules, effective_opening_hours(resource))
    first_hour, last_hour = shown_hours(resource)
    today = now.astimezone(zone_).date()
    until = datetime.combine(monday_of(today) + timedelta(weeks=weeks), time(0), tzinfo=zone_)
    shortest = timedelta(minutes=rules.min_minutes)
    for s, e in find_free_slots(resource, now, until.astimezone(UTC), now=now, rules=rules):
        day = s.astimezone(zone_).date()
        while datetime.combine(day, time(0), tzinfo=zone_) < e:
            top = datetime.combine(day, time(first_hour), tzinfo=zone_)
            bottom = (datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone_) if last_hour == 24
                      else datetime.combine(day, time(last_hour), tzinfo=zone_))
            lo, hi = max(s, top), min(e, bottom)
            if lo < hi:
                begin, finish = _align(lo, step, zone_, up=True), _align(hi, step, zone_, up=False)
                if finish.astimezone(UTC) - begin.astimezone(UTC) >= shortest:
                    return begin
            day += timedelta(days=1)
    return None


def _align(value: datetime, step: int, zone_: Any, *, up: bool) -> datetime:
    """`value` moved to a grid line (a multiple of `step` minutes on the local wall clock)."""
    local = value.astimezone(zone_)
    minutes = local.hour * 60 + local.minute
    if up and (local.second or local.microsecond or minutes % step):
        minutes += step - minutes % step
    elif not up:
        minutes -= minutes % step
    moved = datetime.combine(local.date(), time(0), tzinfo=zone_) + timedelta(minutes=minutes)
    return moved.astimezone(UTC).astimezone(zone_)  # a time skipped by daylight saving moves on


def first_free_week(resource: Resource, *, now: datetime | None = None) -> date | None:
    """The Monday of the first week (from this one, up to SEARCH_WEEKS ahead) with free time."""
    found = first_free_start(resource, now=now)
    return monday_of(found.date()) if found is not None else None


# --- the panel the page draws -------------------------------------------------------------------

