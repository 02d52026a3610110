"""The booking panel of a resource's page: an hour grid of free and busy time in the platform's
zone (a week, or one day), a booking form prefilled with a window the rules allow, and the
alternatives a refusal offers.

Every free cell of the grid is a link that fills the form with a legal window starting there, so
the page works without JavaScript; booking/static/grid.js adds click-and-drag choice on top. The
grid itself, as plain data, is `hour_grid`."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
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

from ...engine.calendars import zone
from ...engine.rules import effective_rules
from ...engine.timefmt import describe
from ...errors import DomainError
from ...models import Resource, utcnow
from ..fields import DATE_INPUT, HHMM, TIME_INPUT
from .hour_grid import CELL_LABELS, Grid, build_grid, default_length, first_free_start, monday_of, week_start

DAY_RE = r"^\d{4}-\d{2}-\d{2}$"


WEEKDAY_CHOICES = [SelectChoice("mon", _l("Mon")), SelectChoice("tue", _l("Tue")), SelectChoice("wed", _l("Wed")),
                   SelectChoice("thu", _l("Thu")), SelectChoice("fri", _l("Fri")), SelectChoice("sat", _l("Sat")),
                   SelectChoice("sun", _l("Sun"))]

class BookingForm(FlaskForm):
    day = DateField(_l("Date"), validators=[DataRequired(message=_l("Choose a date as YYYY-MM-DD."))],
                    render_kw=DATE_INPUT)
    start = StringField(_l("From"), validators=[DataRequired(), Regexp(HHMM, message=_l("Use a time like 09:30."))],
                        render_kw=TIME_INPUT)
    end = StringField(_l("Until"), validators=[DataRequired(), Regexp(HHMM, message=_l("Use a time like 11:00."))],
                      render_kw=TIME_INPUT)
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
