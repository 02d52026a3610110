"""/staff: the platform's calendar (a day or a week) and the approval queue; decisions on bookings,
check-in and check-out on the day view, and booking a resource for a user (by e-mail).

The calendar opens on today's day view. It is filtered by GET parameters, kept on every link to
another day or week: `resource` (an id), `category` (a feed category or its parent), `booked`
(1: only resources with bookings in the period, 0: all; unset: only those when more than
LOTS_OF_ROWS are left) and `mine` (1: "my instruments", the resources whose catalogue contact
e-mail is the staff member's). A bad value is dropped with a message and a 400, never a 500."""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import abort, flash, g, redirect, render_template, request, url_for
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
from ..fields import DATE_INPUT, HHMM
from ..filters import lang
from ..localtime import local_span
from ..refusals import show_on_form
from ..validate import id_arg
from .blueprint import bp
from .platform import back, bookable_resources, current_platform, platform_choices

MAX_CALENDAR_ROWS = 80




class DecisionForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=2000)])


class BookForForm(FlaskForm):
    """Staff book a resource of their platform for a user, named by the e-mail of their account."""

    resource_id = SelectField(_l("Resource"), coerce=int, validators=[DataRequired()])
    day = DateField(_l("Date"), validators=[DataRequired()], render_kw=DATE_INPUT)
    start = StringField(_l("From"), validators=[DataRequired(), Regexp(HHMM, message=_l("HH:MM, e.g. 09:30"))])
    end = StringField(_l("Until"), validators=[DataRequired(), Regexp(HHMM, message=_l("HH:MM, e.g. 11:00"))])
    email = EmailField(_l("The user's e-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    purpose = TextAreaField(_l("Purpose"), validators=[Optional(), Length(max=2000)], render_kw={"rows": 2})


def book_for_form(platform: Platform, day: date, formdata: Any = None) -> BookForForm:
    form = BookForForm(formdata=formdata) if formdata is not None else BookForForm(formdata=None, day=day)
    form.resource_id.choices = [(r.id, r.display_title(lang())) for r in bookable_resources(platform)]
    return form


# Above this many rows the calendar starts with the resources that have bookings in the period:
# a platform of ~100 instruments otherwise draws an 8,000-px page of empty rows.
LOTS_OF_ROWS = 20
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass
class CalendarFilters:
    """What the staff calendar shows, from its query string: a view (a day or a week) and a date,
    one resource, a category, only resources with bookings, only "my instruments"."""

    view: str = "day"
    day: date | None = None
    resource_id: int | None = None
    category: str = ""
    booked: bool | None = None  # None: not asked, decided by the number of rows (LOTS_OF_ROWS)
    mine: bool = False
    errors: list[str] = field(default_factory=list)

    def kept(self) -> dict[str, str]:
        """The filters as query parameters, for every link that moves to another day or week."""
        args: dict[str, str] = {}
        if self.resource_id is not None:
            args["resource"] = str(self.resource_id)
        if self.category:
            args["category"] = self.category
        if self.booked is not None:
            args["booked"] = "1" if self.booked else "0"
        if self.mine:
            args["mine"] = "1"
        return args

    @property
    def narrowed(self) -> bool:
        return self.resource_id is not None or bool(self.category) or self.mine or self.booked is not None


def category_choices(resources: list[Resource]) -> list[str]:
    """Every category of the resources and each of its parents ("仪器设备" above "仪器设备/光谱")."""
    found: set[str] = set()
    for res in resources:
        parts = (res.category or "").split("/")
        for n in range(1, len(parts) + 1):
            if all(parts[:n]):
                found.add("/".join(parts[:n]))
    return sorted(found)


def in_category(resource: Resource, category: str) -> bool:
    own = resource.category or ""
    return own == category or own.startswith(category + "/")


def _shown(value: str) -> str:
    return value if len(value) <= 40 else value[:40] + "…"


def parse_filters(args: Any, resources: list[Resource]) -> CalendarFilters:
    """The calendar's query parameters, checked: each bad one is dropped with a message saying
    what was expected (the page answers 400 and shows the rest), never a 500."""
    found = CalendarFilters()
    errors = found.errors
    view = args.get("view", "")
    if view in ("day", "week"):
        found.view = view
    elif view:
        errors.append(_("“%(value)s” is not a view: day or week.", value=_shown(view)))
    text = args.get("date", "")
    if text:
        try:
            day = date.fromisoformat(text) if _DAY.match(text) else None
        except ValueError:
            day = None
        if day is None or not 2000 <= day.year <= 2100:
            errors.append(_("“%(value)s” is not a date between 2000 and 2100 (YYYY-MM-DD): showing today.",
                            value=_shown(text)))
        else:
            found.day = day
    chosen = args.get("resource", "")
    if chosen:
        rid = id_arg(chosen)
        if rid is None or rid not in {res.id for res in resources}:
            errors.append(_("No bookable resource %(value)s on this platform: showing all.", value=_shown(chosen)))
        else:
            found.resource_id = rid
    category = args.get("category", "")
    if category:
        if category in category_choices(resources):
            found.category = category
        else:
            errors.append(_("No resource of this platform is in the category “%(value)s”: showing all categories.",
                            value=_shown(category)))
    for name in ("booked", "mine"):
        values = args.getlist(name)
        if any(v not in ("0", "1") for v in values):
            errors.append(_("%(name)s is 1 or 0.", name=name))
            continue
        if values:  # a ticked box sends 1 after the form's hidden 0
            on = "1" in values
            if name == "booked":
                found.booked = on
            else:
                found.mine = on
    return found


def is_mine(resource: Resource, user: Any) -> bool:
    """"My instruments": the resources whose catalogue contact is this staff member's e-mail."""
    return bool(resource.contact_email) and (resource.contact_email or "").strip().lower() == user.email.lower()


def calendar_rows(resources: list[Resource], filters: CalendarFilters, busy_ids: set[int],
                  user: Any) -> tuple[list[Resource], bool]:
    """The resources the calendar draws, with those that have bookings first; and whether "only
    with bookings" applies (asked, or not asked and the other filters leave more than LOTS_OF_ROWS;
    never to one resource chosen by name)."""
    rows = [res for res in resources
            if (filters.resource_id is None or res.id == filters.resource_id)
            and (not filters.category or in_category(res, filters.category))
            and (not filters.mine or is_mine(res, user))]
    if filters.resource_id is not None:
        only_booked = False  # a resource asked for by name is shown, bookings or not
    else:
        only_booked = filters.booked if filters.booked is not None else len(rows) > LOTS_OF_ROWS
    if only_booked:
        rows = [res for res in rows if res.id in busy_ids]
    rows.sort(key=lambda res: (res.id not in busy_ids, res.title))
    return rows, only_booked


@bp.get("")
@role_required("staff")
def index() -> Any:
    return _render_index(current_platform())


def _render_index(platform: Platform, book_form: BookForForm | None = None, status: int = 200) -> Any:
    if request.method == "POST":  # a refused "book for": its links (language, platform) lead to /staff, not a 405
        g.get_path = url_for("staff.index")
    tz = platform.timezone
    zone_ = zone(tz)
    resources = bookable_resources(platform)
    filters = parse_filters(request.args, resources)
    view = filters.view
    today = utcnow().astimezone(zone_).date()
    chosen = filters.day or today
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
    rows, only_booked = calendar_rows(resources, filters, busy_ids, current_user)
    shown = rows[:MAX_CALENDAR_ROWS]
    pending = db.session.scalars(visible_reservations(
        current_user, platform_id=platform.id, statuses=("pending",), start=utcnow())).all()
    step = timedelta(days=1 if view == "day" else 7)
    if filters.errors and status == 200:
        status = 400
    return render_template(
        "staff/index.html", platform=platform, platforms=platform_choices(), view=view, days=days, cells=cells,
        resources=shown, hidden=len(rows) - len(shown), pending=pending, tz=tz, today=today,
        prev=(first - step).isoformat(), next=(first + step).isoformat(), form=DecisionForm(), now=utcnow(),
        book_form=book_form or book_for_form(platform, chosen), reference_of=reservation_reference,
        checkin_open=lambda r: can_check_in(r, utcnow()), filters=filters, only_booked=only_booked,
        total=len(resources), categories=category_choices(resources), all_resources=resources,
        mine_count=sum(1 for res in resources if is_mine(res, current_user)), lots=LOTS_OF_ROWS,
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
