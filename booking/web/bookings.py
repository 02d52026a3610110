"""Booking pages: the booking panel on a resource page, the booking form, "My bookings"."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, DateField, IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms import widgets
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from ..engine.availability import busy_intervals, find_free_slots
from ..engine.calendars import WEEKDAYS, effective_opening_hours, parse_hours, resource_opening_intervals, zone
from ..engine.equivalents import equivalents_elsewhere, offers_elsewhere
from ..engine.errors import SeriesConflicts
from ..engine.recurrence import cancel_rest_of_series, create_series, parse_recurrence
from ..engine.reservations import cancel_reservation, create_reservation, get_reservation, status_label
from ..engine.rules import effective_rules
from ..engine.timefmt import describe
from ..errors import DomainError, NotFound
from ..extensions import db
from ..models import Reservation, Resource, utcnow
from .filters import lang
from .transaction import discard_changes

bp = Blueprint("bookings", __name__)

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
    start = datetime.combine(monday, time(0), tzinfo=zone_).astimezone(timezone.utc)
    end = datetime.combine(monday + timedelta(days=7), time(0), tzinfo=zone_).astimezone(timezone.utc)
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

        def add(kind: str, s: datetime, e: datetime, label: str = "") -> None:
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
    """Template global for bookings/_resource_booking.html: the week calendar and a booking form."""
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


@bp.app_context_processor
def booking_globals() -> dict[str, Any]:
    return {"booking_panel": booking_panel, "status_label": status_label, "describe_span": describe,
            "slot_choices": slot_choices}


def _local(day: date, hhmm: str, tz: str) -> datetime:
    return datetime.combine(day, time.fromisoformat(hhmm), tzinfo=zone(tz))


def _render_resource(resource: Resource, form: BookingForm, refusal: DomainError | None, status: int,
                     elsewhere: list[Any] = ()) -> Any:
    return render_template("resource.html", resource=resource, booking_form=form, booking_refusal=refusal,
                           elsewhere=list(elsewhere)), status


@bp.post("/resources/<int:resource_id>/book")
@login_required
def book(resource_id: int) -> Any:
    resource = db.get_or_404(Resource, resource_id)
    form = BookingForm()
    if not form.validate_on_submit():
        return _render_resource(resource, form, None, 422)
    tz = resource.platform.timezone
    start = _local(form.day.data, form.start.data, tz)
    end_day = form.day.data + timedelta(days=1) if form.end.data == "00:00" else form.day.data  # until midnight
    end = _local(end_day, form.end.data, tz)
    try:
        if form.repeat.data:
            rec = parse_recurrence({"freq": form.repeat.data, "count": form.count.data or 1,
                                    "weekdays": form.weekdays.data or [WEEKDAYS[form.day.data.weekday()]]})
            series, plan = create_series(current_user, resource, start, end, rec, form.purpose.data or "",
                                         skip_conflicts=form.skip_conflicts.data)
            booked = [o for o in plan if o.reservation is not None]
            flash(_("Booked %(n)s dates of %(title)s.", n=len(booked), title=resource.display_title(lang())), "success")
            skipped = [o for o in plan if o.reservation is None]
            if skipped:
                flash(_("Skipped: %(dates)s.", dates="; ".join(describe(o.start, o.end, tz) for o in skipped)), "warning")
            if any(o.reservation.status == "pending" for o in booked):
                flash(_("The platform must approve these bookings; you will hear from it."), "info")
            if form.use_voucher.data:
                flash(_("Innovation vouchers pay for single bookings only; this series was booked without them."),
                      "warning")
        else:
            reservation = create_reservation(current_user, resource, start, end, form.purpose.data or "",
                                             use_voucher=bool(form.use_voucher.data))
            if reservation.status == "pending":
                flash(_("Requested %(title)s for %(span)s. The platform must approve it; you will hear from it.",
                        title=resource.display_title(lang()), span=describe(start, end, tz)), "info")
            else:
                flash(_("Booked %(title)s for %(span)s.", title=resource.display_title(lang()),
                        span=describe(start, end, tz)), "success")
    except DomainError as exc:
        discard_changes()  # the week drawn with the refusal shows what is stored, not the refused booking
        if isinstance(exc, SeriesConflicts):
            form.skip_conflicts.data = True
        elsewhere = []
        if not form.repeat.data and offers_elsewhere(exc):  # the same type at other platforms, free then
            elsewhere = equivalents_elsewhere(current_user._get_current_object(), resource, start, end)
        return _render_resource(resource, form, exc, exc.status, elsewhere)
    return redirect(url_for("bookings.mine"), 303)


@bp.get("/bookings")
@login_required
def mine() -> Any:
    now = utcnow()
    rows = db.session.scalars(select(Reservation).where(Reservation.user_id == current_user.id)
                              .order_by(Reservation.start)).all()
    upcoming = [r for r in rows if r.end > now and r.status in ("pending", "confirmed")]
    past = sorted((r for r in rows if r not in upcoming), key=lambda r: r.start, reverse=True)[:100]
    feed_url = url_for("calendar.user_feed", token=current_user.calendar_token, _external=True)
    return render_template("bookings/mine.html", upcoming=upcoming, past=past, now=now, feed_url=feed_url)


@bp.post("/bookings/<int:reservation_id>/cancel")
@login_required
def cancel(reservation_id: int) -> Any:
    reservation = db.get_or_404(Reservation, reservation_id)
    form = FlaskForm()
    if not form.validate_on_submit():
        abort(400)
    reason = request.form.get("reason", "")[:2000]
    if request.form.get("scope") == "rest":
        cancelled = cancel_rest_of_series(current_user, reservation, reason)
    else:
        cancelled = [cancel_reservation(current_user, reservation, reason)]
    tz = reservation.resource.platform.timezone
    flash(_("Cancelled: %(what)s.", what="; ".join(
        f"{r.resource.display_title(lang())} {describe(r.start, r.end, tz)}" for r in cancelled)), "success")
    target = request.form.get("next", "")
    return redirect(target if target.startswith("/") and not target.startswith("//") else url_for("bookings.mine"), 303)


@bp.get("/bookings/<int:reservation_id>.ics")
@login_required
def ics(reservation_id: int) -> Response:
    from .calendar import finish, ics_response, new_calendar, reservation_event

    try:
        reservation = get_reservation(current_user, reservation_id)
    except NotFound:
        abort(404)
    cal = new_calendar(reservation.resource.display_title(lang()))
    cal.add_component(reservation_event(reservation, request.host))
    return ics_response(finish(cal), f"booking-{reservation.id}.ics", attachment=True)
