"""/staff/training: training requests to decide, qualifications to grant or withdraw, the
resources whose feed requires training (to switch off or on), and the booking restrictions that
no-shows earned (to lift)."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import abort, flash, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import DateField, IntegerField, StringField
from wtforms.validators import DataRequired, Length, Optional

from ...accounts.access import role_required
from ...catalog.training import feed_statement, feed_training_resources, forget_staff_choice, staff_choice
from ...engine.attendance import lift_restriction, platform_restrictions
from ...engine.calendars import zone
from ...engine.qualifications import (
    approve_request,
    decline_request,
    grant_qualification,
    platform_qualifications,
    revoke_qualification,
    set_requires_training,
    training_queue,
)
from ...extensions import db
from ...models import BookingRestriction, Qualification, Resource, TrainingRequest, User, utcnow
from ..fields import DATE_INPUT
from ..filters import lang
from ..validate import id_arg
from .blueprint import bp
from .platform import back, bookable_resources, current_platform, platform_choices


class ApproveTrainingForm(FlaskForm):
    expires_on = DateField(_l("Valid until"), validators=[DataRequired(message=_l("Choose the expiry date."))], render_kw=DATE_INPUT)
    note = StringField(_l("Note"), validators=[Optional(), Length(max=2000)])


class GrantForm(FlaskForm):
    email = StringField(_l("User's e-mail"), validators=[DataRequired(), Length(max=254)])
    resource_id = IntegerField(_l("Resource"), validators=[DataRequired()])
    expires_on = DateField(_l("Valid until"), validators=[DataRequired()], render_kw=DATE_INPUT)


@bp.get("/training")
@role_required("staff")
def training() -> Any:
    platform = current_platform()
    today = utcnow().astimezone(zone(platform.timezone)).date()
    approve_form = ApproveTrainingForm(formdata=None, expires_on=today + timedelta(days=365))
    grant_form = GrantForm(formdata=None, expires_on=today + timedelta(days=365))
    return render_template(
        "staff/training.html", platform=platform, platforms=platform_choices(), queue=training_queue(platform),
        qualifications=platform_qualifications(platform, today), resources=[r for r in bookable_resources(platform)],
        approve_form=approve_form, grant_form=grant_form, today=today, action_form=FlaskForm(),
        restrictions=platform_restrictions(platform, utcnow()), tz=platform.timezone,
        feed_training=[(r, feed_statement(r.attributes), staff_choice(r.booking_rules))
                       for r in feed_training_resources(platform)])


@bp.post("/training/resources/<int:resource_id>/requirement")
@role_required("staff")
def training_requirement(resource_id: int) -> Any:
    """Switch a resource's training requirement off or on (staff's choice outlives re-imports of
    the feed), or hand it back to the feed."""
    resource = db.get_or_404(Resource, resource_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    if not current_user.is_staff_of(resource.platform_id):
        abort(403)
    choice = request.form.get("required", "")
    if choice == "feed":
        forget_staff_choice(resource)
        title = resource.display_title(lang())
        flash(_("%(title)s follows its feed again: training is required.", title=title) if resource.requires_training
              else _("%(title)s follows its feed again: no training is required.", title=title), "success")
    elif choice in ("on", "off"):
        set_requires_training(current_user, resource, choice == "on")
        flash(_("Training is now required for %(title)s.", title=resource.display_title(lang())) if choice == "on"
              else _("Training is no longer required for %(title)s.", title=resource.display_title(lang())),
              "success")
    else:
        abort(400)
    return back(resource.platform, "staff.training", _anchor="feed-training")


def _training_request(request_id: int) -> TrainingRequest:
    return db.get_or_404(TrainingRequest, request_id)


@bp.post("/training/requests/<int:request_id>/approve")
@role_required("staff")
def training_approve(request_id: int) -> Any:
    item = _training_request(request_id)
    form = ApproveTrainingForm()
    if not form.validate_on_submit():
        flash(_("Choose the date until which the qualification is valid."), "error")
    else:
        approve_request(current_user, item, form.expires_on.data, form.note.data or "")
        flash(_("%(user)s may now book %(title)s (until %(date)s).", user=item.user.name or item.user.email,
                title=item.resource.display_title(lang()), date=form.expires_on.data.isoformat()), "success")
    return back(item.resource.platform, "staff.training")


@bp.post("/training/requests/<int:request_id>/decline")
@role_required("staff")
def training_decline(request_id: int) -> Any:
    item = _training_request(request_id)
    decline_request(current_user, item, request.form.get("note", "")[:2000])
    flash(_("Request declined."), "success")
    return back(item.resource.platform, "staff.training")


@bp.post("/training/grant")
@role_required("staff")
def training_grant() -> Any:
    platform = current_platform()
    form = GrantForm()
    if not form.validate_on_submit():
        flash(_("Give the user's e-mail, the resource and the expiry date."), "error")
        return back(platform, "staff.training")
    user = db.session.scalar(select(User).where(User.email == form.email.data.strip().lower()))
    resource = db.session.get(Resource, form.resource_id.data) if id_arg(str(form.resource_id.data)) else None
    if user is None:
        flash(_("No account with that e-mail."), "error")
        return back(platform, "staff.training")
    if resource is None or resource.platform_id != platform.id:
        abort(404)
    grant_qualification(current_user, user, resource, form.expires_on.data)
    flash(_("%(user)s may now book %(title)s (until %(date)s).", user=user.name or user.email,
            title=resource.display_title(lang()), date=form.expires_on.data.isoformat()), "success")
    return back(platform, "staff.training")


@bp.post("/qualifications/<int:qualification_id>/revoke")
@role_required("staff")
def qualification_revoke(qualification_id: int) -> Any:
    qualification = db.get_or_404(Qualification, qualification_id)
    revoke_qualification(current_user, qualification)
    flash(_("Qualification withdrawn."), "success")
    return back(qualification.resource.platform, "staff.training")


@bp.post("/restrictions/<int:restriction_id>/lift")
@role_required("staff")
def restriction_lift(restriction_id: int) -> Any:
    restriction = db.get_or_404(BookingRestriction, restriction_id)
    lift_restriction(current_user, restriction)
    flash(_("Restriction lifted."), "success")
    return back(restriction.platform, "staff.training")
