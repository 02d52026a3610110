"""/staff/maintenance: windows in which a resource cannot be booked.

Two steps, so no booking disappears under a window unseen: the form first shows the pending and
confirmed bookings the window would hit; staff then choose to cancel them (their users are told,
with alternatives) or keep them (the calendar warns of the window), and only then is it saved.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import abort, flash, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import DateField, HiddenField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp

from ...accounts.access import role_required
from ...engine.calendars import delete_maintenance
from ...engine.maintenance import add_maintenance, maintenance_overlaps, plan_maintenance
from ...errors import InvalidInput
from ...extensions import db
from ...models import Maintenance, Reservation, Resource, utcnow
from ..fields import DATE_INPUT, HHMM, TIME_INPUT
from ..filters import lang
from ..localtime import local_datetime
from .blueprint import bp
from .platform import back, bookable_resources, current_platform, platform_choices

CHOICES = [SelectChoice("cancel", _l("Cancel them and tell the users (with the nearest free alternatives)")),
           SelectChoice("keep", _l("Keep them (the calendar shows the overlap)"))]


class MaintenanceForm(FlaskForm):
    resource_id = SelectField(_l("Resource"), coerce=int, choices=[])
    start_day = DateField(_l("From (date)"), validators=[DataRequired()], render_kw=DATE_INPUT)
    start_time = StringField(_l("From (time)"), default="08:00",
                             validators=[DataRequired(), Regexp(HHMM, message=_l("Use a time like 08:30."))],
                             render_kw=TIME_INPUT)
    end_day = DateField(_l("Until (date)"), validators=[DataRequired()], render_kw=DATE_INPUT)
    end_time = StringField(_l("Until (time)"), default="18:00",
                           validators=[DataRequired(), Regexp(HHMM, message=_l("Use a time like 08:30."))],
                           render_kw=TIME_INPUT)
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=300)])
    step = HiddenField(default="preview")
    affected = RadioField(_l("The bookings in this window"), choices=CHOICES, validators=[Optional()])
    seen = HiddenField()  # the ids the preview listed: a confirm that would hit others is shown again


@bp.app_context_processor
def _maintenance_helpers() -> dict[str, Any]:
    """`maintenance_overlaps(reservations)` for the pages that list kept bookings (a warning each)."""
    return {"maintenance_overlaps": maintenance_overlaps}


def listed_ids(text: str | None) -> set[int]:
    return {int(x) for x in (text or "").split(",") if x.strip().isdigit()}


def decide_over_bookings(form: Any, hits: list[Reservation], choose: str, changed: str) -> bool | None:
    """The second step of a window over bookings: whether to cancel them, or None while the staff
    member must still look (first step, or more bookings than the list they saw) or choose."""
    if form.step.data != "confirm" and hits:
        return None
    if hits and form.affected.data not in ("cancel", "keep"):
        form.affected.errors = [choose]
        return None
    if not {r.id for r in hits} <= listed_ids(form.seen.data):
        flash(changed, "error")
        return None
    return bool(hits) and form.affected.data == "cancel"


@bp.route("/maintenance", methods=["GET", "POST"])
@role_required("staff")
def maintenance() -> Any:
    platform = current_platform()
    resources = bookable_resources(platform)
    form = MaintenanceForm()
    form.resource_id.choices = [SelectChoice(r.id, f"{r.display_title(lang())} ({r.external_id})") for r in resources]
    preview: list[Reservation] | None = None
    resource: Resource | None = None
    span: tuple[datetime, datetime] | None = None
    if form.validate_on_submit():
        resource = db.session.get(Resource, form.resource_id.data)
        if resource is None or resource.platform_id != platform.id:
            abort(404)
        tz = platform.timezone
        start = local_datetime(form.start_day.data, form.start_time.data, tz)
        end = local_datetime(form.end_day.data, form.end_time.data, tz)
        try:
            hits = plan_maintenance(current_user, resource, start, end, form.reason.data or "")
        except InvalidInput as exc:
            form.end_day.errors = [exc.message]
        else:
            cancel = decide_over_bookings(
                form, hits, _("Choose what happens to the bookings in this window."),
                _("More bookings fall in this window than when you checked: look again before you choose."))
            if cancel is not None:
                _window, ids = add_maintenance(current_user, resource, start, end, form.reason.data or "", cancel)
                if not ids:
                    flash(_("Maintenance window added."), "success")
                elif cancel:
                    flash(ngettext("Maintenance window added; %(num)d booking was cancelled and its user told.",
                                   "Maintenance window added; %(num)d bookings were cancelled and their users told.",
                                   len(ids)), "success")
                else:
                    flash(ngettext("Maintenance window added; %(num)d booking in it was kept.",
                                   "Maintenance window added; %(num)d bookings in it were kept.", len(ids)),
                          "success")
                return back(platform, "staff.maintenance")
            if not form.errors or form.affected.errors:  # the list again, beside the missing choice
                preview, span = hits, (start, end)
                form.seen.data = ",".join(str(r.id) for r in hits)
    windows = db.session.scalars(select(Maintenance).join(Resource).where(
        Resource.platform_id == platform.id, Maintenance.end > utcnow()).order_by(Maintenance.start)).all()
    return render_template("staff/maintenance.html", platform=platform, platforms=platform_choices(), form=form,
                           windows=windows, tz=platform.timezone, preview=preview, resource=resource, span=span), \
        200 if not form.errors else 422


@bp.post("/maintenance/<int:window_id>/delete")
@role_required("staff")
def maintenance_delete(window_id: int) -> Any:
    window = db.get_or_404(Maintenance, window_id)
    platform = window.resource.platform
    delete_maintenance(current_user, window)
    flash(_("Maintenance window removed."), "success")
    return back(platform, "staff.maintenance")
