"""The booking panel of a resource's page: a week of free and busy time in the platform's zone,
a booking form prefilled from a clicked slot, and the alternatives a refusal offers."""
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

from ...engine.availability import busy_intervals, find_free_slots
from ...engine.calendars import effective_opening_hours, parse_hours, resource_opening_intervals, zone
from ...engine.rules import effective_rules
from ...engine.timefmt import describe
from ...errors import DomainError
from ...extensions import db
from ...models import Reservation, Resource, utcnow

HHMM = r"^([01]\d|2[0-3]):[0-5]\d$"


WEEKDAY_CHOICES = [SelectChoice("mon", _l("Mon")), SelectChoice("tue", _l("Tue")), SelectChoice("wed", _l("Wed")),
                   SelectChoice("thu", _l("Thu")), SelectChoice("fri", _l("Fri")), SelectChoice("sat", _l("Sat")),
                   SelectChoice("sun", _l("Sun"))]


class BookingForm(FlaskForm):
    day = DateField(_l("Date"), validators=[DataRequired(message=_l("Choose a date."))])
    start = StringField(_l("From"), validators=[DataRequired(), Regexp(HHMM, message=_l("Use a time like 09:30."))],
                        render_kw={"type": "time", "step": 300})
    end = StringField(_l("Until"), validators=[DataRequired(), Regexp(HHMM, message=_l("Use a time like 11:00."))],
                      render_kw={"type": "time", "step": 300})
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


@dataclass
class Segment:
    kind: str  # free | booked | mine | closed | maintenance
    start: datetime
    end: datetime
    left: float = 0.0
    width: float = 0.0
    label: str = ""


@dataclass
class Day:
    date: date
    segments: list[Segment] = field(default_factory=list)
    free: list[tuple[datetime, datetime]] = field(default_factory=list)
    open_today: bool = False


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


def week_panel(resource: Resource, monday: date) -> dict[str, Any]:
    """Everything the week calendar of the resource page shows, computed in the platform's zone."""
    tz = resource.platform.timezone
    zone_ = zone(tz)
    start = datetime.combine(monday, time(0), tzinfo=zone_).astimezone(UTC)
    end = datetime.combine(monday + timedelta(days=7), time(0), tzinfo=zone_).astimezone(UTC)
    opening = resource_opening_intervals(resource, start, end)
    free = find_free_slots(resource, start, end)
    busy = busy_intervals(resource, start, end)
    booked_ids = [b.ref for b in busy if b.kind == "reservation"]
    reservations = {r.id: r for r in db.session.scalars(
        select(Reservation).where(Reservation.id.in_(booked_ids)))} if booked_ids else {}
    viewer_id = current_user.id if current_user.is_authenticated else None
    first_hour, last_hour = shown_hours(resource)
    days = []
    for offset in range(7):
        d = monday + timedelta(days=offset)
        day_start = datetime.combine(d, time(first_hour), tzinfo=zone_)
        day_end = (datetime.combine(d + timedelta(days=1), time(0), tzinfo=zone_) if last_hour == 24
                   else datetime.combine(d, time(last_hour), tzinfo=zone_))
        span = (day_end - day_start).total_seconds()
        day = Day(d)

        def add(kind: str, s: datetime, e: datetime, label: str = "", day: Day = day, day_start: datetime = day_start,
                day_end: datetime = day_end, span: float = span) -> None:
            """Draw [s, e) on this day's bar, clipped to the hours shown."""
            s, e = max(s, day_start), min(e, day_end)
            if s < e:
                day.segments.append(Segment(kind, s.astimezone(zone_), e.astimezone(zone_),
                                            round((s - day_start).total_seconds() / span * 100, 3),
                                            round((e - s).total_seconds() / span * 100, 3), label))

        for s, e in opening:
            if s < day_end and e > day_start:
                day.open_today = True
                add("open", s, e)
        for s, e in free:
            add("free", s, e, _("Free"))
            if s < day_end and e > day_start:
                day.free.append((max(s, day_start).astimezone(zone_), min(e, day_end).astimezone(zone_)))
        for b in busy:
            if b.kind == "reservation":
                r = reservations.get(b.ref)
                if r is None:
                    continue
                kind = "mine" if r.user_id == viewer_id else ("pending" if r.status == "pending" else "booked")
                add(kind, r.start, r.end, _("Your booking") if kind == "mine" else _("Booked"))
            else:
                add(b.kind, b.start, b.end, _("Closed") if b.kind == "closure" else _("Maintenance"))
        days.append(day)
    return {
        "monday": monday, "days": days, "tz": tz, "first_hour": first_hour, "last_hour": last_hour,
        "hours": list(range(first_hour, last_hour, 2 if last_hour - first_hour > 12 else 1)),
        "sunday": monday + timedelta(days=6),
        "prev": (monday - timedelta(days=7)).isoformat(), "next": (monday + timedelta(days=7)).isoformat(),
        "rules": effective_rules(resource),
    }


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


def booking_panel(resource: Resource) -> dict[str, Any]:
    """The week calendar and a blank booking form for bookings/_resource_booking.html."""
    week = request.args.get("week")
    if request.method == "POST":  # a refused booking: show the week of the date asked for
        week = request.form.get("day") or week
    panel = week_panel(resource, week_start(week, resource.platform.timezone))
    form = BookingForm(formdata=None)
    # Prefill from a clicked free slot or an alternative (?day=&start=&end=).
    tz = resource.platform.timezone
    day_arg = request.args.get("day")
    try:
        form.day.data = date.fromisoformat(day_arg) if day_arg else _first_free_day(panel, tz)
    except ValueError:
        form.day.data = _first_free_day(panel, tz)
    for name in ("start", "end"):
        value = request.args.get(name, "")
        if re.match(HHMM, value):
            getattr(form, name).data = value
    if not form.start.data:
        form.start.data, form.end.data = _first_free_times(panel)
    panel["form"] = form
    return panel


def _first_free_day(panel: dict[str, Any], tz: str) -> date:
    """The first day of the shown week with free time, else the week's first day not yet past."""
    for day in panel["days"]:
        if day.free:
            return day.date
    return max(panel["monday"], utcnow().astimezone(zone(tz)).date())


def _first_free_times(panel: dict[str, Any]) -> tuple[str, str]:
    rules = panel["rules"]
    for day in panel["days"]:
        for s, e in day.free:
            length = min(timedelta(minutes=max(60, rules.min_minutes)), timedelta(minutes=rules.max_minutes), e - s)
            return f"{s:%H:%M}", f"{(s + length):%H:%M}"
    return "09:00", "10:00"


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
