"""/staff/closures: days the whole platform is closed, typed or loaded from a holiday calendar."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import flash, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import DateField, StringField
from wtforms.validators import DataRequired, Length

from ...accounts.access import role_required
from ...engine.calendars import add_closure, available_holiday_calendars, delete_closure, load_holidays
from ...extensions import db
from ...models import Closure, utcnow
from ..localtime import day_bounds
from .blueprint import bp
from .platform import back, current_platform, platform_choices


class ClosureForm(FlaskForm):
    first_day = DateField(_l("First day"), validators=[DataRequired()])
    last_day = DateField(_l("Last day"), validators=[DataRequired()])
    title = StringField(_l("What"), validators=[DataRequired(), Length(max=200)],
                        render_kw={"placeholder": _l("e.g. Lab move")})


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
            add_closure(current_user, platform, *day_bounds(form.first_day.data, form.last_day.data, tz),
                        form.title.data)
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
