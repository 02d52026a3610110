"""/resources/<id>/training (ask to be trained on it) and /resources/<id>/waitlist (wait for a taken
time to be freed)."""
from __future__ import annotations

from typing import Any

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ...engine.qualifications import request_training
from ...engine.timefmt import describe
from ...engine.waitlist import join_waitlist
from ...errors import InvalidInput
from ...extensions import db
from ...models import Resource
from ..filters import lang
from ..localtime import local_span
from ..refusals import flash_refusal
from .blueprint import bp
from .forms import SlotForm, TrainingRequestForm


def _to_resource(resource: Resource, **args: Any) -> Any:
    return redirect(url_for("main.resource", resource_id=resource.id, **args) + "#book", 303)


@bp.post("/<int:resource_id>/training")
@login_required
def training_request(resource_id: int) -> Any:
    resource = db.get_or_404(Resource, resource_id)
    form = TrainingRequestForm()
    if not form.validate_on_submit():
        flash(_("The form expired. Please submit it again."), "error")
        return _to_resource(resource)
    request_training(current_user, resource, form.message.data or "")
    flash(_("Training requested. Staff of %(platform)s will contact you.", platform=resource.platform.name(lang())),
          "success")
    return _to_resource(resource)


@bp.post("/<int:resource_id>/waitlist")
@login_required
def waitlist_join(resource_id: int) -> Any:
    resource = db.get_or_404(Resource, resource_id)
    form = SlotForm()
    if not form.validate_on_submit():
        flash(_("Choose a date and times to wait for."), "error")
        return _to_resource(resource)
    tz = resource.platform.timezone
    start, end = local_span(form.day.data, form.start.data, form.end.data, tz)
    try:
        join_waitlist(current_user, resource, start, end)
    except InvalidInput as exc:
        flash_refusal(exc)
        return _to_resource(resource, day=form.day.data.isoformat(), start=form.start.data, end=form.end.data)
    flash(_("You are on the waitlist for %(span)s. We will e-mail you if it is freed; the first to book it then "
            "gets it.", span=describe(start, end, tz)), "success")
    return redirect(url_for("bookings.mine") + "#waitlist", 303)
