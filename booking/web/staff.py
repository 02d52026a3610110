"""Staff pages: the platform's calendar, the approval queue, maintenance, closures, opening hours.

Staff see and change only their own platform; administrators pick any (?platform=CODE).
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, DateField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp

from ..accounts.access import role_required
from ..engine.calendars import (
    WEEKDAYS, add_closure, add_maintenance, available_holiday_calendars, delete_closure, delete_maintenance,
    format_hours_line, load_holidays, parse_hours_line, set_opening_hours, zone,
)
from ..engine.recurrence import cancel_rest_of_series
from ..engine.reservations import (
    approve_reservation, cancel_reservation, mark_outcome, reject_reservation, visible_reservations,
)
from ..errors import InvalidInput
from ..extensions import db
from ..models import Closure, Maintenance, Platform, Reservation, Resource, utcnow

bp = Blueprint("staff", __name__, url_prefix="/staff")

HHMM = r"^([01]\d|2[0-3]):[0-5]\d$"
MAX_CALENDAR_ROWS = 80


class DecisionForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=2000)])


class MaintenanceForm(FlaskForm):
    resource_id = SelectField(_l("Resource"), coerce=int, choices=[])
    start_day = DateField(_l("From (date)"), validators=[DataRequired()])
    start_time = StringField(_l("From (time)"), default="08:00", validators=[DataRequired(), Regexp(HHMM)],
                             render_kw={"type": "time"})
    end_day = DateField(_l("Until (date)"), validators=[DataRequired()])
    end_time = StringField(_l("Until (time)"), default="18:00", validators=[DataRequired(), Regexp(HHMM)],
                           render_kw={"type": "time"})
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=300)])


class ClosureForm(FlaskForm):
    first_day = DateField(_l("First day"), validators=[DataRequired()])
    last_day = DateField(_l("Last day"), validators=[DataRequired()])
    title = StringField(_l("What"), validators=[DataRequired(), Length(max=200)],
                        render_kw={"placeholder": _l("e.g. Lab move")})


class HoursForm(FlaskForm):
    inherit = BooleanField(_l("No hours of its own (use the platform's; none there = any hour)"))
    mon = StringField(_l("Mon"))
    tue = StringField(_l("Tue"))
    wed = StringField(_l("Wed"))
    thu = StringField(_l("Thu"))
    fri = StringField(_l("Fri"))
    sat = StringField(_l("Sat"))
    sun = StringField(_l("Sun"))


def current_platform() -> Platform:
    """Staff: their own platform. Admins: ?platform=CODE (or the form's), else the first one."""
    if current_user.role == "admin":
        code = request.values.get("platform")
        query = select(Platform).order_by(Platform.code)
        platform = db.session.scalar(query.where(Platform.code == code)) if code else None
        platform = platform or db.session.scalar(query.limit(1))
        if platform is None:
            abort(404)
        return platform
    if current_user.platform is None:
        abort(403)
    return current_user.platform


def platform_choices() -> list[Platform]:
    if current_user.role == "admin":
        return list(db.session.scalars(select(Platform).order_by(Platform.code)))
    return [current_user.platform] if current_user.platform else []


def back(platform: Platform, endpoint: str = "staff.index", **args: Any) -> Any:
    if current_user.role == "admin":
        args["platform"] = platform.code
    target = request.form.get("next", "")
    if target.startswith("/staff") and not target.startswith("//"):
        return redirect(target, 303)
    return redirect(url_for(endpoint, **args), 303)


def bookable_resources(platform: Platform) -> list[Resource]:
    return list(db.session.scalars(select(Resource).where(
        Resource.platform_id == platform.id, Resource.bookable.is_(True), Resource.status == "active",
    ).order_by(Resource.title).limit(2000)))


@bp.get("")
@role_required("staff")
def index() -> Any:
    platform = current_platform()
    tz = platform.timezone
    zone_ = zone(tz)
    view = request.args.get("view") if request.args.get("view") in ("day", "week") else "week"
    today = utcnow().astimezone(zone_).date()
    try:
        chosen = date.fromisoformat(request.args.get("date", "")) if request.args.get("date") else today
    except ValueError:
        chosen = today
    first = chosen if view == "day" else chosen - timedelta(days=chosen.weekday())
    days = [first + timedelta(days=i) for i in range(1 if view == "day" else 7)]
    start = datetime.combine(days[0], time(0), tzinfo=zone_).astimezone(timezone.utc)
    end = datetime.combine(days[-1] + timedelta(days=1), time(0), tzinfo=zone_).astimezone(timezone.utc)
    bookings = db.session.scalars(visible_reservations(
        current_user, platform_id=platform.id, start=start, end=end,
        statuses=("pending", "confirmed", "completed", "no_show"))).all()
    cells: dict[tuple[int, date], list[Reservation]] = defaultdict(list)
    for r in bookings:
        cells[(r.resource_id, r.start.astimezone(zone_).date())].append(r)
    busy_ids = {r.resource_id for r in bookings}
    resources = bookable_resources(platform)
    resources.sort(key=lambda res: (res.id not in busy_ids, res.title))
    shown = resources[:MAX_CALENDAR_ROWS]
    pending = db.session.scalars(visible_reservations(
        current_user, platform_id=platform.id, statuses=("pending",), start=utcnow())).all()
    step = timedelta(days=1 if view == "day" else 7)
    return render_template(
        "staff/index.html", platform=platform, platforms=platform_choices(), view=view, days=days, cells=cells,
        resources=shown, hidden=len(resources) - len(shown), pending=pending, tz=tz, today=today,
        prev=(first - step).isoformat(), next=(first + step).isoformat(), form=DecisionForm(), now=utcnow(),
    )


@bp.post("/reservations/<int:reservation_id>/<action>")
@role_required("staff")
def decide(reservation_id: int, action: str) -> Any:
    reservation = db.get_or_404(Reservation, reservation_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        abort(400)
    reason = form.reason.data or ""
    actions = {
        "approve": lambda: approve_reservation(current_user, reservation, reason),
        "reject": lambda: reject_reservation(current_user, reservation, reason),
        "cancel": lambda: cancel_reservation(current_user, reservation, reason),
        "cancel-rest": lambda: cancel_rest_of_series(current_user, reservation, reason),
        "completed": lambda: mark_outcome(current_user, reservation, "completed"),
        "no_show": lambda: mark_outcome(current_user, reservation, "no_show"),
    }
    if action not in actions:
        abort(404)
    actions[action]()
    messages = {"approve": _("Approved."), "reject": _("Rejected."), "cancel": _("Cancelled."),
                "cancel-rest": _("Cancelled the rest of the series."), "completed": _("Marked as done."),
                "no_show": _("Marked as no-show.")}
    flash(messages[action], "success")
    return back(reservation.resource.platform)


def _local(day: date, hhmm: str, tz: str) -> datetime:
    return datetime.combine(day, time.fromisoformat(hhmm), tzinfo=zone(tz))


@bp.route("/maintenance", methods=["GET", "POST"])
@role_required("staff")
def maintenance() -> Any:
    platform = current_platform()
    resources = bookable_resources(platform)
    form = MaintenanceForm()
    form.resource_id.choices = [SelectChoice(r.id, f"{r.display_title()} ({r.external_id})") for r in resources]
    if form.validate_on_submit():
        resource = db.session.get(Resource, form.resource_id.data)
        if resource is None or resource.platform_id != platform.id:
            abort(404)
        tz = platform.timezone
        try:
            add_maintenance(current_user, resource, _local(form.start_day.data, form.start_time.data, tz),
                            _local(form.end_day.data, form.end_time.data, tz), form.reason.data or "")
        except InvalidInput as exc:
            form.end_day.errors = [exc.message]
        else:
            flash(_("Maintenance window added."), "success")
            return back(platform, "staff.maintenance")
    windows = db.session.scalars(select(Maintenance).join(Resource).where(
        Resource.platform_id == platform.id, Maintenance.end > utcnow()).order_by(Maintenance.start)).all()
    return render_template("staff/maintenance.html", platform=platform, platforms=platform_choices(), form=form,
                           windows=windows, tz=platform.timezone), 200 if not form.errors else 422


@bp.post("/maintenance/<int:window_id>/delete")
@role_required("staff")
def maintenance_delete(window_id: int) -> Any:
    window = db.get_or_404(Maintenance, window_id)
    platform = window.resource.platform
    delete_maintenance(current_user, window)
    flash(_("Maintenance window removed."), "success")
    return back(platform, "staff.maintenance")


@bp.route("/closures", methods=["GET", "POST"])
@role_required("staff")
def closures() -> Any:
    platform = current_platform()
    form = ClosureForm()
    if form.validate_on_submit():
        tz = platform.timezone
        if form.last_day.data < form.first_day.data:
            form.last_day.errors = [_("The last day must not come before the first.")]
        else:
            add_closure(current_user, platform, _local(form.first_day.data, "00:00", tz),
                        _local(form.last_day.data + timedelta(days=1), "00:00", tz), form.title.data)
            flash(_("Closure added."), "success")
            return back(platform, "staff.closures")
    rows = db.session.scalars(select(Closure).where(
        Closure.platform_id == platform.id, Closure.end > utcnow() - timedelta(days=1)).order_by(Closure.start)).all()
    return render_template("staff/closures.html", platform=platform, platforms=platform_choices(), form=form,
                           closures=rows, tz=platform.timezone, calendars=available_holiday_calendars(),
                           action_form=FlaskForm()), 200 if not form.errors else 422


@bp.post("/closures/holidays")
@role_required("staff")
def closures_holidays() -> Any:
    platform = current_platform()
    added = load_holidays(current_user, platform, request.form.get("calendar", "cn-2027"))
    flash(_("%(n)s public holidays added as closures.", n=len(added)) if added else
          _("Those holidays were already loaded."), "success")
    return back(platform, "staff.closures")


@bp.post("/closures/<int:closure_id>/delete")
@role_required("staff")
def closure_delete(closure_id: int) -> Any:
    closure = db.get_or_404(Closure, closure_id)
    platform = closure.platform
    delete_closure(current_user, closure)
    flash(_("Closure removed."), "success")
    return back(platform, "staff.closures")


@bp.route("/hours", methods=["GET", "POST"])
@role_required("staff")
def hours() -> Any:
    platform = current_platform()
    resources = bookable_resources(platform)
    resource_id = request.values.get("resource_id", "")
    target: Platform | Resource = platform
    if resource_id:
        readable = resource_id.isascii() and resource_id.isdigit() and len(resource_id) < 10  # no overflow
        resource = db.session.get(Resource, int(resource_id)) if readable else None
        if resource is None or resource.platform_id != platform.id:
            abort(404)
        target = resource
    form = HoursForm()
    if form.validate_on_submit():
        try:
            if form.inherit.data:
                new_hours = None
            else:
                new_hours = {}
                for day in WEEKDAYS:
                    spans = parse_hours_line(day, getattr(form, day).data or "")
                    if spans:
                        new_hours[day] = spans
            set_opening_hours(current_user, target, new_hours)
        except InvalidInput as exc:
            for day, text in exc.details.get("fields", {}).items():
                if day in WEEKDAYS:
                    getattr(form, day).errors = [_("Not understood: %(text)s. Write 08:30-12:00, 13:30-17:30.", text=text)]
        else:
            flash(_("Opening hours saved."), "success")
            return back(platform, "staff.hours", **({"resource_id": target.id} if isinstance(target, Resource) else {}))
    elif request.method == "GET":
        current = target.opening_hours
        form.inherit.data = current is None
        for day in WEEKDAYS:
            getattr(form, day).data = format_hours_line((current or {}).get(day))
    return render_template("staff/hours.html", platform=platform, platforms=platform_choices(), form=form,
                           resources=resources, target=target, is_resource=isinstance(target, Resource),
                           tz=platform.timezone), 200 if not form.errors else 422
