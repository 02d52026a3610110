"""The booking panel of a resource's page: an hour grid of free and busy time in the platform's
zone (a week, or one day), a booking form prefilled with a window the rules allow, and the
alternatives a refusal offers.

Every free cell of the grid is a link that fills the form with a legal window starting there, so
the page works without JavaScript; booking/static/grid.js adds click-and-drag choice on top."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from ...engine.availability import blocked, busy_intervals, find_free_slots
from ...engine.calendars import effective_opening_hours, parse_hours, resource_opening_intervals, zone
from ...engine.intervals import Interval
from ...engine.rules import BookingRules, effective_rules
from ...engine.timefmt import describe
from ...errors import DomainError
from ...extensions import db
from ...models import Reservation, Resource, utcnow

HHMM = r"^([01]\d|2[0-3]):[0-5]\d$"
DAY_RE = r"^\d{4}-\d{2}-\d{2}$"
STEPS = (30, 15, 10, 5)  # grid rows, in minutes: the coarsest that fits the rules and opening hours
SEARCH_WEEKS = 8  # how far ahead the page looks for the first week with free time
DEFAULT_MINUTES = 60  # a click chooses an hour, unless the rules say otherwise


WEEKDAY_CHOICES = [SelectChoice("mon", _l("Mon")), SelectChoice("tue", _l("Tue")), SelectChoice("wed", _l("Wed")),
                   SelectChoice("thu", _l("Thu")), SelectChoice("fri", _l("Fri")), SelectChoice("sat", _l("Sat")),
                   SelectChoice("sun", _l("Sun"))]
# Text inputs, not type=date/time: a browser draws those in its own locale (12-hour clocks,
# MM/DD/YYYY); the page promises YYYY-MM-DD and a 24-hour clock in both languages.
_TIME_KW = {"inputmode": "numeric", "autocomplete": "off", "maxlength": 5, "pattern": "[0-2][0-9]:[0-5][0-9]",
            "placeholder": "HH:MM"}


class BookingForm(FlaskForm):
    day = DateField(_l("Date"), validators=[DataRequired(message=_l("Choose a date as YYYY-MM-DD."))],
                    render_kw={"type": "text", "inputmode": "numeric", "autocomplete": "off", "maxlength": 10,
                               "pattern": r"\d{4}-\d{2}-\d{2}", "placeholder": "YYYY-MM-DD"})
    start = StringField(_l("From"), validators=[DataRequired(), Regexp(HHMM, message=_l("Use a time like 09:30."))],
                        render_kw=_TIME_KW)
    end = StringField(_l("Until"), validators=[DataRequired(), Regexp(HHMM, message=_l("Use a time like 11:00."))],
                      render_kw=_TIME_KW)
    purpose = TextAreaField(_l("Purpose"), validators=[Optional(), Length(max=2000)],
                            render_kw={"rows": 2, "placeholder": _l("e.g. SEM imaging of 6 battery samples")})
    repeat = SelectField(_l("Repeat"), choices=[SelectChoice("", _l("Does not repeat")), SelectChoice("daily", _l("Every day")),
                                  SelectChoice("weekly", _l("Every week")),
                                  SelectChoice("monthly", _l("Every month (same weekday)"))],
                         default="")
    weekdays = SelectMultipleField(_l("On"), choices=WEEKDAY_CHOICES, validators=[Optional()],
                                   widget=widgets.ListWidget(prefix_label=False),
                                   option_widget=widgets.CheckboxInput())
    count = IntegerField(_l("Times"), default=4, validators=[Optional(), NumberRange(min=1, max=100)])
    skip_conflicts = BooleanField(_l("Skip the dates that cannot be booked"))
    use_voucher = BooleanField(_l("Pay part of the fee with innovation vouchers"))


# --- the grid -----------------------------------------------------------------------------------

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

def _arg_date(name: str, notices: list[str]) -> date | None:
    value = request.args.get(name)
    if not value:
        return None
    try:
        if not re.match(DAY_RE, value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        notices.append(_("“%(value)s” is not a date like 2027-03-01; it was ignored.", value=value[:40]))
        return None


def booking_panel(resource: Resource, form: BookingForm | None = None) -> dict[str, Any]:
    """The grid and the booking form for bookings/_resource_booking.html. `form` is a posted form
    that was refused: the grid then shows its date and highlights its times."""
    tz = resource.platform.timezone
    zone_ = zone(tz)
    now = utcnow()
    today = now.astimezone(zone_).date()
    rules = effective_rules(resource)
    notices: list[str] = []
    view = request.args.get("view") or "week"
    if view not in ("week", "day"):
        notices.append(_("“%(value)s” is not a view (day or week); showing the week.", value=view[:40]))
        view = "week"
    week_arg, day_arg = _arg_date("week", notices), _arg_date("day", notices)
    for arg in (week_arg, day_arg):
        if arg is not None and abs((arg - today).days) > 800:
            notices.append(_("%(day)s is too far from today; showing the nearest weeks instead.", day=arg.isoformat()))
            week_arg = day_arg = None
    posted_day = form.day.data if form is not None and isinstance(form.day.data, date) else None
    if posted_day is not None and abs((posted_day - today).days) > 800:
        posted_day = None
    times = {name: request.args.get(name, "") for name in ("start", "end")}
    for name, value in times.items():
        if value and not re.match(HHMM, value):
            notices.append(_("“%(value)s” is not a time like 09:30; it was ignored.", value=value[:40]))
            times[name] = ""

    anchor = posted_day or day_arg
    if anchor is not None and (week_arg is None or view == "day" or posted_day is not None):
        monday = monday_of(anchor)
    elif week_arg is not None:
        monday = monday_of(week_arg)
    else:
        first = first_free_start(resource, now=now, rules=rules)
        monday = monday_of(first.date()) if first is not None else week_start(None, tz, today)
    viewer_id = current_user.id if current_user.is_authenticated else None
    grid = build_grid(resource, [monday + timedelta(days=i) for i in range(7)], now=now, viewer_id=viewer_id,
                      rules=rules)
    if view == "day":  # one column of the week: the day asked for, else its first with free time
        if anchor is not None and monday_of(anchor) == monday:
            shown = anchor
        else:
            window = grid.first_window()
            shown = window[0].date() if window is not None else max(monday, today) if monday_of(today) == monday else monday
        grid = grid.only(shown)
        day_arg = day_arg or shown
    days = grid.days

    prefill = form if form is not None else BookingForm(formdata=None)
    if form is None:
        _prefill(prefill, grid, day_arg, times, today)
    chosen = _chosen_window(prefill, tz)
    chosen_free = False
    if chosen is not None:
        grid.select(*chosen)
        chosen_free = _all_free(grid, *chosen)
    shown_day = days[0]
    form_day = prefill.day.data if isinstance(prefill.day.data, date) else None
    focus = form_day if form_day is not None and monday_of(form_day) == monday else None
    return {
        "grid": grid, "view": view, "monday": monday, "sunday": monday + timedelta(days=6), "day": shown_day,
        "days": days, "today": today, "tz": tz, "rules": rules, "notices": notices, "form": prefill,
        "chosen": chosen, "chosen_free": chosen_free, "chosen_length": length_label(_minutes(chosen)) if chosen else "",
        "focus_day": focus or (max(monday, today) if monday_of(today) == monday else monday),
        "labels": {kind: str(label) for kind, label in CELL_LABELS.items()}, "default_minutes": int(default_length(rules, grid.step).total_seconds() // 60),
        "prev": (monday - timedelta(days=7)).isoformat(), "next": (monday + timedelta(days=7)).isoformat(),
        "prev_day": shown_day - timedelta(days=1), "next_day": shown_day + timedelta(days=1),
    }


def _prefill(form: BookingForm, grid: Grid, day_arg: date | None, times: dict[str, str], today: date) -> None:
    """Fill a blank form: the times of a link (?day=&start=&end=), else the first free window of
    the day asked for or of the grid, else the day alone and no times (never a refused window)."""
    if times["start"] and times["end"]:  # a link's times: on its day, else on the grid's first free day
        first = grid.first_window()
        form.day.data = day_arg or (first[0].date() if first is not None else max(grid.days[0], today))
        form.start.data, form.end.data = times["start"], times["end"]
        return
    window = None
    for column in grid.columns:
        if day_arg is not None and column[0].day != day_arg:
            continue
        window = next((c.window for c in column if c.kind == "free" and c.window), None)
        if window is not None:
            break
    if window is None and day_arg is None:
        window = grid.first_window()
    if window is not None:
        form.day.data = window[0].date()
        form.start.data, form.end.data = f"{window[0]:%H:%M}", f"{window[1]:%H:%M}"
    else:
        form.day.data = day_arg or max(grid.days[0], today)


def _all_free(grid: Grid, start: datetime, end: datetime) -> bool:
    """Whether the grid shows [start, end) and every cell of it is free (one run)."""
    picked = [c for column in grid.columns for c in column if c.selected]
    if not picked or picked[0].start.astimezone(UTC) > start.astimezone(UTC) \
            or picked[-1].end.astimezone(UTC) < end.astimezone(UTC):
        return False
    return all(c.kind == "free" for c in picked) and len({c.run for c in picked}) == 1


def length_label(minutes: int) -> str:
    """A chosen length as people say it: "4 hours", "90 minutes" → "1 hour 30 minutes" (as grid.js)."""
    from flask_babel import ngettext

    hours, rest = divmod(int(minutes), 60)
    parts = [ngettext("%(num)s hour", "%(num)s hours", hours)] if hours else []
    if rest or not hours:
        parts.append(ngettext("%(num)s minute", "%(num)s minutes", rest))
    return " ".join(parts)


def _minutes(span: tuple[datetime, datetime]) -> int:
    """A span's real length in minutes (in UTC: aware datetimes of one zone subtract as wall time)."""
    return int((span[1].astimezone(UTC) - span[0].astimezone(UTC)).total_seconds() // 60)


def _chosen_window(form: BookingForm, tz: str) -> tuple[datetime, datetime] | None:
    """The form's day and times as a span, when they make one."""
    from ..localtime import local_span

    day, start, end = form.day.data, form.start.data or "", form.end.data or ""
    if not isinstance(day, date) or not re.match(HHMM, start) or not re.match(HHMM, end):
        return None
    s, e = local_span(day, start, end, tz)
    return (s, e) if s < e else None


def slot_choices(resource: Resource, refusal: DomainError | None) -> list[tuple[str, str]]:
    """The free alternatives a refusal offers, as (label, link that fills the form in)."""
    if refusal is None:
        return []
    tz = resource.platform.timezone
    choices = []
    for slot in refusal.details.get("alternatives", []):
        s, e = datetime.fromisoformat(slot["start"]), datetime.fromisoformat(slot["end"])
        link = url_for("main.resource", resource_id=resource.id, day=s.date().isoformat(), start=f"{s:%H:%M}",
                       end=f"{e:%H:%M}", week=(s.date() - timedelta(days=s.weekday())).isoformat()) + "#book-form"
        choices.append((describe(s, e, tz), link))
    return choices
