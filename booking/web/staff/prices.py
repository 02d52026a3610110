"""/staff/prices: the platform's voucher cap and check-in rules, each resource's rates and training
requirement, and the fee of one booking set by hand."""
from __future__ import annotations

from typing import Any

from flask import abort, flash, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, DecimalField, IntegerField
from wtforms.validators import InputRequired, NumberRange

from ...accounts.access import role_required
from ...engine.pricing import adjust_fee, rates_of, set_rate
from ...engine.qualifications import set_requires_training
from ...errors import InvalidInput
from ...extensions import db
from ...models import RATE_UNITS, Reservation, Resource
from ..filters import RATE_UNIT_LABELS, lang, money
from ..transaction import discard_changes
from .blueprint import bp
from .platform import back, bookable_resources, current_platform, platform_choices


class PlatformSettingsForm(FlaskForm):
    voucher_cap_percent = IntegerField(_l("Innovation vouchers may pay at most (percent of a fee)"), default=50,
                                       validators=[NumberRange(0, 100)])
    checkin_before_minutes = IntegerField(_l("Check-in opens (minutes before the start)"), default=15,
                                          validators=[NumberRange(0, 24 * 60)])
    checkin_after_minutes = IntegerField(_l("Check-in closes (minutes after the start); then no-show"), default=30,
                                         validators=[NumberRange(0, 24 * 60)])
    no_show_limit = IntegerField(_l("No-shows within 90 days before booking is suspended (0: never)"), default=3,
                                 validators=[NumberRange(0, 100)])
    no_show_ban_days = IntegerField(_l("Suspended for (days)"), default=30, validators=[NumberRange(1, 365)])


class ResourceSettingsForm(FlaskForm):
    requires_training = BooleanField(_l("Only users trained by us may book it"))


class FeeForm(FlaskForm):
    fee = DecimalField(_l("Actual fee"), places=2, validators=[InputRequired(), NumberRange(min=0)])


@bp.route("/prices", methods=["GET", "POST"])
@role_required("staff")
def prices() -> Any:
    platform = current_platform()
    form = PlatformSettingsForm(obj=platform if request.method == "GET" else None)
    if form.validate_on_submit():
        if not current_user.is_staff_of(platform.id):
            abort(403)
        form.populate_obj(platform)
        flash(_("Platform settings saved."), "success")
        return back(platform, "staff.prices")
    resources = bookable_resources(platform)
    rates = {r.id: rates_of(r) for r in resources}
    return render_template("staff/prices.html", platform=platform, platforms=platform_choices(), form=form,
                           resources=resources, rates=rates, units=RATE_UNITS), 200 if not form.errors else 422


@bp.route("/resources/<int:resource_id>/settings", methods=["GET", "POST"])
@role_required("staff")
def resource_settings(resource_id: int) -> Any:
    resource = db.get_or_404(Resource, resource_id)
    if not current_user.is_staff_of(resource.platform_id):
        abort(403)
    form = ResourceSettingsForm(obj=resource if request.method == "GET" else None)
    errors: dict[str, str] = {}
    values = {unit: {k: request.form.get(f"{unit}-{k}", "") for k in ("external", "internal", "startup")}
              for unit in RATE_UNITS}
    if form.validate_on_submit():
        set_requires_training(current_user, resource, form.requires_training.data)
        for unit in RATE_UNITS:
            try:
                set_rate(current_user, resource, unit, **values[unit])
            except InvalidInput as exc:
                for name in exc.details.get("fields", {}):
                    errors[f"{unit}-{name}"] = f"{exc.message}"
        if not errors:
            flash(_("Saved: %(title)s.", title=resource.display_title(lang())), "success")
            return back(resource.platform, "staff.prices")
        discard_changes()  # the page shows the stored settings beside the refused rates
    elif request.method == "GET":
        for unit, row in rates_of(resource).items():
            values[unit] = {"external": f"{row.external:.2f}", "internal": f"{row.internal:.2f}" if row.internal is not None else "",
                            "startup": f"{row.startup:.2f}" if row.startup is not None else ""}
    return render_template("staff/resource_settings.html", platform=resource.platform, platforms=platform_choices(),
                           resource=resource, form=form, values=values, errors=errors, units=RATE_UNITS,
                           unit_labels=RATE_UNIT_LABELS), 200 if not errors else 422


@bp.post("/reservations/<int:reservation_id>/fee", endpoint="adjust_fee")
@role_required("staff")
def fee(reservation_id: int) -> Any:
    reservation = db.get_or_404(Reservation, reservation_id)
    form = FeeForm()
    if not form.validate_on_submit():
        flash(_("Give the fee as an amount, e.g. 350.00."), "error")
    else:
        adjust_fee(current_user, reservation, str(form.fee.data))
        flash(_("Fee set to %(fee)s.", fee=money(reservation.fee_actual, reservation.fee_currency)), "success")
    return back(reservation.resource.platform)  # to the staff page it was set on (`next`)
