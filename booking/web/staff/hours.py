"""/staff/hours: the opening hours of the platform or of one of its resources."""
from __future__ import annotations

from typing import Any

from flask import abort, flash, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField

from ...accounts.access import role_required
from ...engine.calendars import WEEKDAYS, format_hours_line, parse_hours_line, set_opening_hours
from ...errors import InvalidInput
from ...extensions import db
from ...models import Platform, Resource
from .blueprint import bp
from .platform import back, bookable_resources, current_platform, platform_choices


class HoursForm(FlaskForm):
    inherit = BooleanField(_l("No hours of its own (use the platform's; none there = any hour)"))
    mon = StringField(_l("Mon"))
    tue = StringField(_l("Tue"))
    wed = StringField(_l("Wed"))
    thu = StringField(_l("Thu"))
    fri = StringField(_l("Fri"))
    sat = StringField(_l("Sat"))
    sun = StringField(_l("Sun"))


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
