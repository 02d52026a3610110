"""/staff: the platform's calendar (a day or a week) and the approval queue; decisions on bookings."""
from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import abort, flash, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length, Optional

from ...accounts.access import role_required
from ...engine.calendars import zone
from ...engine.recurrence import cancel_rest_of_series
from ...engine.reservations import (
    approve_reservation,
    cancel_reservation,
    mark_outcome,
    reject_reservation,
    visible_reservations,
)
from ...extensions import db
from ...models import Reservation, utcnow
from .blueprint import bp
from .platform import back, bookable_resources, current_platform, platform_choices

MAX_CALENDAR_ROWS = 80


class DecisionForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=2000)])


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
