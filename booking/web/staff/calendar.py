"""/staff: the platform's calendar (a day or a week) and the approval queue; decisions on bookings,
check-in and check-out on the day view, and booking a resource for a user (by e-mail)."""
from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateField, EmailField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp

from ...accounts.access import role_required
from ...engine.attendance import can_check_in, check_in, check_out
from ...engine.calendars import zone
from ...engine.recurrence import cancel_rest_of_series
from ...engine.references import reservation_reference
from ...engine.reservations import (
    approve_reservation,
    book_for,
    cancel_reservation,
    mark_outcome,
    reject_reservation,
    visible_reservations,
)
from ...engine.timefmt import describe
from ...errors import DomainError
from ...extensions import db
from ...models import Platform, Reservation, Resource, utcnow
from ..filters import lang
from ..localtime import local_span
from ..refusals import show_on_form
from .blueprint import bp
from .platform import back, bookable_resources, current_platform, platform_choices

MAX_CALENDAR_ROWS = 80


HHMM = r"^([01]\d|2[0-3]):[0-5]\d$"


class DecisionForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=2000)])


class BookForForm(FlaskForm):
    """Staff book a resource of their platform for a user, named by the e-mail of their account."""

    resource_id = SelectField(_l("Resource"), coerce=int, validators=[DataRequired()])
    day = DateField(_l("Date"), validators=[DataRequired()])
    start = StringField(_l("From"), validators=[DataRequired(), Regexp(HHMM, message=_l("HH:MM, e.g. 09:30"))])
    end = StringField(_l("Until"), validators=[DataRequired(), Regexp(HHMM, message=_l("HH:MM, e.g. 11:00"))])
    email = EmailField(_l("The user's e-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    purpose = TextAreaField(_l("Purpose"), validators=[Optional(), Length(max=2000)], render_kw={"rows": 2})


def book_for_form(platform: Platform, day: date, formdata: Any = None) -> BookForForm:
    form = BookForForm(formdata=formdata) if formdata is not None else BookForForm(formdata=None, day=day)
    form.resource_id.choices = [(r.id, r.display_title(lang())) for r in bookable_resources(platform)]
    return form


@bp.get("")
@role_required("staff")
def index() -> Any:
    return _render_index(current_platform())


def _render_index(platform: Platform, book_form: BookForForm | None = None, status: int = 200) -> Any:
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
    start = datetime.combine(days[0], time(0), tzinfo=zone_).astimezone(UTC)
    end = datetime.combine(days[-1] + timedelta(days=1), time(0), tzinfo=zone_).astimezone(UTC)
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
        book_form=book_form or book_for_form(platform, chosen), reference_of=reservation_reference,
        checkin_open=lambda r: can_check_in(r, utcnow()),
    ), status


@bp.post("/book-for")
@role_required("staff")
def book_for_user() -> Any:
    """Book for a user: theirs (their mails, their list), under the rules as for staff."""
    platform = current_platform()
    form = book_for_form(platform, utcnow().date(), request.form)
    if not form.validate_on_submit():
        return _render_index(platform, form, 422)
    resource = db.session.get(Resource, form.resource_id.data)
    if resource is None or resource.platform_id != platform.id:
        abort(404)
    tz = platform.timezone
    start, end = local_span(form.day.data, form.start.data, form.end.data, tz)
    try:
        reservation = book_for(current_user, form.email.data or "", resource, start, end, form.purpose.data or "")
    except DomainError as exc:
        if exc.details.get("fields", {}).get("for_user"):
            exc.details["fields"] = {"email": exc.details["fields"]["for_user"]}
        show_on_form(form, exc)
        return _render_index(platform, form, exc.status)
    flash(_("Booked %(title)s for %(user)s: %(span)s (%(ref)s).", title=resource.display_title(lang()),
            user=reservation.user.name or reservation.user.email, span=describe(start, end, tz),
            ref=reservation_reference(reservation)), "success")
    args: dict[str, Any] = {"platform": platform.code} if current_user.role == "admin" else {}
    return redirect(url_for("staff.index", view="day", date=form.day.data.isoformat(), **args), 303)


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
        "check-in": lambda: _staff_only(reservation) and check_in(current_user, reservation),
        "check-out": lambda: _staff_only(reservation) and check_out(current_user, reservation),
    }
    if action not in actions:
        abort(404)
    actions[action]()
    messages = {"approve": _("Approved."), "reject": _("Rejected."), "cancel": _("Cancelled."),
                "cancel-rest": _("Cancelled the rest of the series."), "completed": _("Marked as done."),
                "no_show": _("Marked as no-show."), "check-in": _("Checked in."), "check-out": _("Checked out.")}
    flash(messages[action], "success")
    return back(reservation.resource.platform)


def _staff_only(reservation: Reservation) -> bool:
    """The staff pages act for staff of the booking's platform only (the booker uses their own page)."""
    if not current_user.is_staff_of(reservation.resource.platform_id):
        abort(403)
    return True
