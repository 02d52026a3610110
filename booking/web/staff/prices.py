"""/staff/prices: the platform's voucher cap, check-in rules and quota, each resource's rates,
training requirement and quota, and the fee of one booking set by hand."""
from __future__ import annotations

from typing import Any

from flask import abort, flash, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, DecimalField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from ...accounts.access import role_required
from ...engine.pricing import adjust_fee, currency_of, rates_of, set_rate
from ...engine.qualifications import set_requires_training
from ...engine.quotas import QuotaSetting, hours_label, parse_quota_hours, quota_setting, set_quota
from ...errors import InvalidInput
from ...extensions import db
from ...models import RATE_UNITS, Reservation, Resource
from ..filters import RATE_UNIT_LABELS, lang, money
from ..transaction import discard_changes
from .blueprint import bp
from .platform import back, bookable_resources, current_platform, platform_choices


class QuotaFields:
    """The quota's three fields, on the platform's settings and on a resource's (booking.engine.quotas)."""

    quota_hours = StringField(_l("Hours at most (empty: no quota)"),
                              validators=[Optional(), Length(max=20)])
    quota_period = SelectField(_l("per"), default="month", choices=[
        SelectChoice("week", _l("week (from Monday)")), SelectChoice("month", _l("calendar month"))])
    quota_scope = SelectField(_l("for"), default="user", choices=[
        SelectChoice("user", _l("each user")),
        SelectChoice("organisation", _l("each organisation"))])

    def validate_quota_hours(self, field: StringField) -> None:
        try:
            parse_quota_hours(field.data)
        except InvalidInput as exc:
            raise ValidationError(exc.message) from None

    def fill_quota(self, setting: QuotaSetting) -> None:
        self.quota_hours.data = hours_label(setting.hours) if setting.hours is not None else ""
        self.quota_period.data = setting.period
        self.quota_scope.data = setting.scope


def quota_text(setting: QuotaSetting) -> str:
    """"at most 20 hours per user and month", as the settings pages show a quota that applies."""
    hours = hours_label(setting.hours) if setting.hours is not None else ""
    if setting.scope == "organisation":
        if setting.period == "week":
            return _("at most %(hours)s hours per organisation and week", hours=hours)
        return _("at most %(hours)s hours per organisation and month", hours=hours)
    if setting.period == "week":
        return _("at most %(hours)s hours per user and week", hours=hours)
    return _("at most %(hours)s hours per user and month", hours=hours)


class PlatformSettingsForm(QuotaFields, FlaskForm):
    voucher_cap_percent = IntegerField(_l("Innovation vouchers may pay at most (percent of a fee)"), default=50,
                                       validators=[NumberRange(0, 100)])
    checkin_before_minutes = IntegerField(_l("Check-in opens (minutes before the start)"), default=15,
                                          validators=[NumberRange(0, 24 * 60)])
    checkin_after_minutes = IntegerField(_l("Check-in closes (minutes after the start); then no-show"), default=30,
                                         validators=[NumberRange(0, 24 * 60)])
    no_show_limit = IntegerField(_l("No-shows within 90 days before booking is suspended (0: never)"), default=3,
                                 validators=[NumberRange(0, 100)])
    no_show_ban_days = IntegerField(_l("Suspended for (days)"), default=30, validators=[NumberRange(1, 365)])


class ResourceSettingsForm(QuotaFields, FlaskForm):
    requires_training = BooleanField(_l("Only users trained by us may book it"))


class FeeForm(FlaskForm):
    fee = DecimalField(_l("Actual fee"), places=2, validators=[InputRequired(), NumberRange(min=0)])


@bp.route("/prices", methods=["GET", "POST"])
@role_required("staff")
def prices() -> Any:
    platform = current_platform()
    form = PlatformSettingsForm(obj=platform if request.method == "GET" else None)
    if request.method == "GET":
        form.fill_quota(quota_setting(platform.booking_rules))
    if form.validate_on_submit():
        if not current_user.is_staff_of(platform.id):
            abort(403)
        for name in ("voucher_cap_percent", "checkin_before_minutes", "checkin_after_minutes", "no_show_limit",
                     "no_show_ban_days"):
            setattr(platform, name, form[name].data)
        set_quota(current_user, platform, form.quota_hours.data, form.quota_period.data, form.quota_scope.data)
        flash(_("Platform settings saved."), "success")
        return back(platform, "staff.prices")
    resources = bookable_resources(platform)
    rates = {r.id: rates_of(r) for r in resources}
    quotas = {r.id: quota_setting(r.booking_rules) for r in resources}
    return render_template("staff/prices.html", platform=platform, platforms=platform_choices(), form=form,
                           resources=resources, rates=rates, units=RATE_UNITS, quotas=quotas,
                           quota_text=quota_text), 200 if not form.errors else 422


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
    if request.method == "GET":
        form.fill_quota(quota_setting(resource.booking_rules))
    if form.validate_on_submit():
        set_requires_training(current_user, resource, form.requires_training.data)
        set_quota(current_user, resource, form.quota_hours.data, form.quota_period.data, form.quota_scope.data)
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
    platform_quota = quota_setting(resource.platform.booking_rules)
    return render_template("staff/resource_settings.html", platform=resource.platform, platforms=platform_choices(),
                           resource=resource, form=form, values=values, errors=errors, units=RATE_UNITS,
                           unit_labels=RATE_UNIT_LABELS, currency=currency_of(resource),
                           platform_quota=quota_text(platform_quota) if platform_quota.hours is not None else None,
                           ), 200 if not (errors or form.errors) else 422


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
