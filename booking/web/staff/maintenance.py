"""/staff/maintenance: windows in which a resource cannot be booked."""
from __future__ import annotations

from typing import Any

from flask import abort, flash, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import DateField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp

from ...accounts.access import role_required
from ...engine.calendars import add_maintenance, delete_maintenance
from ...errors import InvalidInput
from ...extensions import db
from ...models import Maintenance, Resource, utcnow
from ..localtime import local_datetime
from .blueprint import bp
from .platform import back, bookable_resources, current_platform, platform_choices

HHMM = r"^([01]\d|2[0-3]):[0-5]\d$"


class MaintenanceForm(FlaskForm):
    resource_id = SelectField(_l("Resource"), coerce=int, choices=[])
    start_day = DateField(_l("From (date)"), validators=[DataRequired()])
    start_time = StringField(_l("From (time)"), default="08:00", validators=[DataRequired(), Regexp(HHMM)],
                             render_kw={"type": "time"})
    end_day = DateField(_l("Until (date)"), validators=[DataRequired()])
    end_time = StringField(_l("Until (time)"), default="18:00", validators=[DataRequired(), Regexp(HHMM)],
                           render_kw={"type": "time"})
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=300)])


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
            add_maintenance(current_user, resource, local_datetime(form.start_day.data, form.start_time.data, tz),
                            local_datetime(form.end_day.data, form.end_time.data, tz), form.reason.data or "")
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
