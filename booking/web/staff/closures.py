"""/staff/closures: days the whole platform is closed, typed or loaded from a holiday calendar.

A typed closure takes two steps, like a maintenance window: first the bookings of every resource
of the platform in those days, then the choice (cancel them and tell the users, or keep them).
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import flash, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import DateField, HiddenField, RadioField, StringField
from wtforms.validators import DataRequired, Length, Optional

from ...accounts.access import role_required
from ...engine.calendars import available_holiday_calendars, delete_closure, load_holidays
from ...engine.maintenance import add_closure_over_bookings, plan_closure
from ...errors import InvalidInput
from ...extensions import db
from ...models import Closure, Reservation, utcnow
from ..fields import DATE_INPUT
from ..localtime import day_bounds
from .blueprint import bp
from .maintenance import CHOICES, decide_over_bookings
from .platform import back, current_platform, platform_choices


class ClosureForm(FlaskForm):
    first_day = DateField(_l("First day"), validators=[DataRequired()], render_kw=DATE_INPUT)
    last_day = DateField(_l("Last day"), validators=[DataRequired()], render_kw=DATE_INPUT)
    title = StringField(_l("What"), validators=[DataRequired(), Length(max=200)],
                        render_kw={"placeholder": _l("e.g. Lab move")})
    step = HiddenField(default="preview")
    affected = RadioField(_l("The bookings in these days"), choices=CHOICES, validators=[Optional()])
    seen = HiddenField()  # the ids the preview listed


@bp.route("/closures", methods=["GET", "POST"])
@role_required("staff")
def closures() -> Any:
    platform = current_platform()
    form = ClosureForm()
    preview: list[Reservation] | None = None
    span: tuple[datetime, datetime] | None = None
    if form.validate_on_submit():
        tz = platform.timezone
        if form.last_day.data < form.first_day.data:
            form.last_day.errors = [_("The last day must not come before the first.")]
        else:
            start, end = day_bounds(form.first_day.data, form.last_day.data, tz)
            try:
                hits = plan_closure(current_user, platform, start, end)
            except InvalidInput as exc:
                form.last_day.errors = [exc.message]
            else:
                cancel = decide_over_bookings(
                    form, hits, _("Choose what happens to the bookings in these days."),
                    _("More bookings fall in these days than when you checked: look again before you choose."))
                if cancel is not None:
                    _closure, ids = add_closure_over_bookings(current_user, platform, start, end, form.title.data,
                                                              cancel)
                    if not ids:
                        flash(_("Closure added."), "success")
                    elif cancel:
                        flash(ngettext("Closure added; %(num)d booking was cancelled and its user told.",
                                       "Closure added; %(num)d bookings were cancelled and their users told.",
                                       len(ids)), "success")
                    else:
                        flash(ngettext("Closure added; %(num)d booking in it was kept.",
                                       "Closure added; %(num)d bookings in it were kept.", len(ids)), "success")
                    return back(platform, "staff.closures")
                if not form.errors or form.affected.errors:  # the list again, beside the missing choice
                    preview, span = hits, (start, end)
                    form.seen.data = ",".join(str(r.id) for r in hits)
    rows = db.session.scalars(select(Closure).where(
        Closure.platform_id == platform.id, Closure.end > utcnow() - timedelta(days=1)).order_by(Closure.start)).all()
    return render_template("staff/closures.html", platform=platform, platforms=platform_choices(), form=form,
                           closures=rows, tz=platform.timezone, calendars=available_holiday_calendars(),
                           action_form=FlaskForm(), preview=preview, span=span), 200 if not form.errors else 422


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
