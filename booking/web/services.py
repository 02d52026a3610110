"""Pages around a booking: training requests and qualifications, rates and platform settings,
innovation vouchers, the waitlist, check-in and check-out.

Views translate forms to `booking.engine` calls (qualifications, pricing, vouchers, waitlist,
attendance) and commit once; domain errors become a flash (booking.web's handler) or, on the
booking panel, the refusal box.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, DateField, DecimalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from ..accounts.access import role_required
from ..engine.attendance import (
    active_restriction, can_check_in, check_in, check_out, checkin_window, lift_restriction, platform_restrictions,
)
from ..engine.calendars import zone
from ..engine.pricing import adjust_fee, estimate, rate_for, rates_of, set_rate
from ..engine.qualifications import (
    approve_request, decline_request, grant_qualification, open_request, platform_qualifications, request_training,
    revoke_qualification, set_requires_training, training_queue, valid_qualification,
)
from ..engine.timefmt import describe
from ..engine.vouchers import account_for, accounts, balance_of, issue_vouchers, ledger
from ..engine.waitlist import get_entry, join_waitlist, leave_waitlist, my_entries
from ..errors import DomainError, InvalidInput
from ..extensions import db
from ..models import (
    RATE_UNITS, BookingRestriction, Organisation, Platform, Qualification, Reservation, Resource, TrainingRequest, User, utcnow,
)
from .admin import organisation_choices
from .filters import lang
from .refusals import flash_refusal
from .transaction import discard_changes
from .validate import id_arg
from .staff import bookable_resources, current_platform, platform_choices

bp = Blueprint("services", __name__)

HHMM = r"^([01]\d|2[0-3]):[0-5]\d$"
UNIT_LABELS = {"hour": _l("per hour"), "sample": _l("per sample"), "day": _l("per day")}
KIND_LABELS = {"internal": _l("Internal rate"), "external": _l("External rate"), "startup": _l("Startup rate")}


# --- forms ---------------------------------------------------------------------------------------

class TrainingRequestForm(FlaskForm):
    message = TextAreaField(_l("Your experience (optional)"), validators=[Optional(), Length(max=2000)],
                            render_kw={"rows": 2, "placeholder": _l("e.g. two years on a Zeiss SEM")})


class SlotForm(FlaskForm):
    day = DateField(_l("Date"), validators=[DataRequired()])
    start = StringField(_l("From"), validators=[DataRequired(), Regexp(HHMM)])
    end = StringField(_l("Until"), validators=[DataRequired(), Regexp(HHMM)])


class ApproveTrainingForm(FlaskForm):
    expires_on = DateField(_l("Valid until"), validators=[DataRequired(message=_l("Choose the expiry date."))])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=2000)])


class GrantForm(FlaskForm):
    email = StringField(_l("User's e-mail"), validators=[DataRequired(), Length(max=254)])
    resource_id = IntegerField(_l("Resource"), validators=[DataRequired()])
    expires_on = DateField(_l("Valid until"), validators=[DataRequired()])


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


class VoucherIssueForm(FlaskForm):
    organisation = SelectField(_l("Organisation (verified ones only)"), choices=[], validate_choice=True,
                               validators=[DataRequired(message=_l("Choose the organisation."))])
    amount = StringField(_l("Amount (CNY; negative to take back)"),
                         validators=[DataRequired(), Regexp(r"^-?\d{1,10}(\.\d{1,2})?$", message=_l("e.g. 5000 or 1250.50"))])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=300)],
                       render_kw={"placeholder": _l("e.g. 2027 provincial allocation")})


# --- the booking panel ----------------------------------------------------------------------------

def services_panel(resource: Resource, form: Any = None) -> dict[str, Any]:
    """Template global for the booking panel: training state, rate, fee estimate, vouchers, restriction."""
    now = utcnow()
    info: dict[str, Any] = {"requires_training": resource.requires_training, "rate": None, "estimate": None,
                            "qualified": None, "open_request": None, "balance": None, "restriction": None,
                            "cap": resource.platform.voucher_cap_percent, "training_form": TrainingRequestForm(formdata=None)}
    if not current_user.is_authenticated:
        return info
    tz = resource.platform.timezone
    info["rate"] = rate = rate_for(current_user, resource)
    if rate is not None and form is not None:
        try:
            day = form.day.data
            start = datetime.combine(day, time.fromisoformat(form.start.data), tzinfo=zone(tz))
            end_day = day + timedelta(days=1) if form.end.data == "00:00" else day
            end = datetime.combine(end_day, time.fromisoformat(form.end.data), tzinfo=zone(tz))
            found = estimate(current_user, resource, start, end)
            info["estimate"] = found[1] if found else None
        except (TypeError, ValueError):
            info["estimate"] = None
    if resource.requires_training:
        today = now.astimezone(zone(tz)).date()
        info["qualified"] = valid_qualification(current_user, resource, today)
        info["open_request"] = open_request(current_user, resource)
        info["staff"] = current_user.is_staff_of(resource.platform_id)
    org = current_user.verified_organisation
    if account_for(org) is not None:
        info["balance"] = balance_of(org)
    restriction = active_restriction(current_user, resource.platform, now)
    if restriction is not None and not current_user.is_staff_of(resource.platform_id):
        info["restriction"] = restriction
        info["restriction_until"] = restriction.until.astimezone(zone(tz))
    return info


def booking_extras(reservation: Reservation) -> dict[str, Any]:
    """Template global for My bookings: check-in state, the window, fees and vouchers of one booking."""
    now = utcnow()
    opens, closes = checkin_window(reservation)
    return {"can_check_in": can_check_in(reservation, now), "opens": opens, "closes": closes,
            "checked_in": reservation.checked_in_at is not None,
            "can_check_out": reservation.status == "confirmed" and reservation.checked_in_at is not None}


@bp.app_context_processor
def services_globals() -> dict[str, Any]:
    return {"services_panel": services_panel, "booking_extras": booking_extras, "my_waitlist": my_waitlist,
            "rate_kind_label": lambda kind: KIND_LABELS.get(kind or "", kind or ""),
            "rate_unit_label": lambda unit: UNIT_LABELS.get(unit or "", unit or ""), "money": _money}


def _money(value: Decimal | float | None, currency: str | None = "CNY") -> str:
    if value is None:
        return ""
    symbol = "¥" if (currency or "CNY") == "CNY" else f"{currency} "
    amount = Decimal(value)
    return f"{'-' if amount < 0 else ''}{symbol}{abs(amount):,.2f}"


def my_waitlist() -> list[Any]:
    return my_entries(current_user) if current_user.is_authenticated else []


def _resource(resource_id: int) -> Resource:
    return db.get_or_404(Resource, resource_id)


def _to_resource(resource: Resource, **args: Any) -> Any:
    return redirect(url_for("main.resource", resource_id=resource.id, **args) + "#book", 303)


@bp.post("/resources/<int:resource_id>/training")
@login_required
def training_request(resource_id: int) -> Any:
    resource = _resource(resource_id)
    form = TrainingRequestForm()
    if not form.validate_on_submit():
        flash(_("The form expired. Please submit it again."), "error")
        return _to_resource(resource)
    request_training(current_user, resource, form.message.data or "")
    flash(_("Training requested. Staff of %(platform)s will contact you.", platform=resource.platform.name(lang())),
          "success")
    return _to_resource(resource)


@bp.post("/resources/<int:resource_id>/waitlist")
@login_required
def waitlist_join(resource_id: int) -> Any:
    resource = _resource(resource_id)
    form = SlotForm()
    if not form.validate_on_submit():
        flash(_("Choose a date and times to wait for."), "error")
        return _to_resource(resource)
    tz = resource.platform.timezone
    start = datetime.combine(form.day.data, time.fromisoformat(form.start.data), tzinfo=zone(tz))
    end_day = form.day.data + timedelta(days=1) if form.end.data == "00:00" else form.day.data
    end = datetime.combine(end_day, time.fromisoformat(form.end.data), tzinfo=zone(tz))
    try:
        join_waitlist(current_user, resource, start, end)
    except InvalidInput as exc:
        flash_refusal(exc)
        return _to_resource(resource, day=form.day.data.isoformat(), start=form.start.data, end=form.end.data)
    flash(_("You are on the waitlist for %(span)s. We will e-mail you if it is freed; the first to book it then "
            "gets it.", span=describe(start, end, tz)), "success")
    return redirect(url_for("bookings.mine") + "#waitlist", 303)


@bp.post("/waitlist/<int:entry_id>/leave")
@login_required
def waitlist_leave(entry_id: int) -> Any:
    leave_waitlist(current_user, get_entry(current_user, entry_id))
    flash(_("Left the waitlist."), "success")
    return redirect(url_for("bookings.mine") + "#waitlist", 303)


def _my_reservation(reservation_id: int) -> Reservation:
    reservation = db.get_or_404(Reservation, reservation_id)
    if reservation.user_id != current_user.id:
        abort(404)
    return reservation


@bp.post("/bookings/<int:reservation_id>/check-in")
@login_required
def booking_check_in(reservation_id: int) -> Any:
    reservation = _my_reservation(reservation_id)
    try:
        check_in(current_user, reservation)
    except DomainError as exc:
        flash_refusal(exc)
    else:
        flash(_("Checked in. Enjoy your session; check out when you are done."), "success")
    return redirect(url_for("bookings.mine") + f"#reservation-{reservation.id}", 303)


@bp.post("/bookings/<int:reservation_id>/check-out")
@login_required
def booking_check_out(reservation_id: int) -> Any:
    reservation = _my_reservation(reservation_id)
    check_out(current_user, reservation)
    flash(_("Checked out. Fee for the time used: %(fee)s.",
            fee=_money(reservation.fee_actual, reservation.fee_currency) or _("none")), "success")
    return redirect(url_for("bookings.mine") + f"#reservation-{reservation.id}", 303)


# --- staff: training ------------------------------------------------------------------------------

def _back(platform: Platform, endpoint: str, **args: Any) -> Any:
    if current_user.role == "admin":
        args["platform"] = platform.code
    return redirect(url_for(endpoint, **args), 303)


@bp.get("/staff/training")
@role_required("staff")
def staff_training() -> Any:
    platform = current_platform()
    today = utcnow().astimezone(zone(platform.timezone)).date()
    approve_form = ApproveTrainingForm(formdata=None, expires_on=today + timedelta(days=365))
    grant_form = GrantForm(formdata=None, expires_on=today + timedelta(days=365))
    return render_template(
        "services/staff_training.html", platform=platform, platforms=platform_choices(), queue=training_queue(platform),
        qualifications=platform_qualifications(platform, today), resources=[r for r in bookable_resources(platform)],
        approve_form=approve_form, grant_form=grant_form, today=today, action_form=FlaskForm(),
        restrictions=platform_restrictions(platform, utcnow()), tz=platform.timezone)


def _training_request(request_id: int) -> TrainingRequest:
    return db.get_or_404(TrainingRequest, request_id)


@bp.post("/staff/training/requests/<int:request_id>/approve")
@role_required("staff")
def staff_training_approve(request_id: int) -> Any:
    item = _training_request(request_id)
    form = ApproveTrainingForm()
    if not form.validate_on_submit():
        flash(_("Choose the date until which the qualification is valid."), "error")
    else:
        approve_request(current_user, item, form.expires_on.data, form.note.data or "")
        flash(_("%(user)s may now book %(title)s (until %(date)s).", user=item.user.name or item.user.email,
                title=item.resource.display_title(lang()), date=form.expires_on.data.isoformat()), "success")
    return _back(item.resource.platform, "services.staff_training")


@bp.post("/staff/training/requests/<int:request_id>/decline")
@role_required("staff")
def staff_training_decline(request_id: int) -> Any:
    item = _training_request(request_id)
    decline_request(current_user, item, request.form.get("note", "")[:2000])
    flash(_("Request declined."), "success")
    return _back(item.resource.platform, "services.staff_training")


@bp.post("/staff/training/grant")
@role_required("staff")
def staff_training_grant() -> Any:
    platform = current_platform()
    form = GrantForm()
    if not form.validate_on_submit():
        flash(_("Give the user's e-mail, the resource and the expiry date."), "error")
        return _back(platform, "services.staff_training")
    user = db.session.scalar(select(User).where(User.email == form.email.data.strip().lower()))
    resource = db.session.get(Resource, form.resource_id.data) if id_arg(str(form.resource_id.data)) else None
    if user is None:
        flash(_("No account with that e-mail."), "error")
        return _back(platform, "services.staff_training")
    if resource is None or resource.platform_id != platform.id:
        abort(404)
    grant_qualification(current_user, user, resource, form.expires_on.data)
    flash(_("%(user)s may now book %(title)s (until %(date)s).", user=user.name or user.email,
            title=resource.display_title(lang()), date=form.expires_on.data.isoformat()), "success")
    return _back(platform, "services.staff_training")


@bp.post("/staff/qualifications/<int:qualification_id>/revoke")
@role_required("staff")
def staff_qualification_revoke(qualification_id: int) -> Any:
    qualification = db.get_or_404(Qualification, qualification_id)
    revoke_qualification(current_user, qualification)
    flash(_("Qualification withdrawn."), "success")
    return _back(qualification.resource.platform, "services.staff_training")


@bp.post("/staff/restrictions/<int:restriction_id>/lift")
@role_required("staff")
def staff_restriction_lift(restriction_id: int) -> Any:
    restriction = db.get_or_404(BookingRestriction, restriction_id)
    lift_restriction(current_user, restriction)
    flash(_("Restriction lifted."), "success")
    return _back(restriction.platform, "services.staff_training")


# --- staff: prices and settings -------------------------------------------------------------------

@bp.route("/staff/prices", methods=["GET", "POST"])
@role_required("staff")
def staff_prices() -> Any:
    platform = current_platform()
    form = PlatformSettingsForm(obj=platform if request.method == "GET" else None)
    if form.validate_on_submit():
        if not current_user.is_staff_of(platform.id):
            abort(403)
        form.populate_obj(platform)
        flash(_("Platform settings saved."), "success")
        return _back(platform, "services.staff_prices")
    resources = bookable_resources(platform)
    rates = {r.id: rates_of(r) for r in resources}
    return render_template("services/staff_prices.html", platform=platform, platforms=platform_choices(), form=form,
                           resources=resources, rates=rates, units=RATE_UNITS), 200 if not form.errors else 422


@bp.route("/staff/resources/<int:resource_id>/settings", methods=["GET", "POST"])
@role_required("staff")
def staff_resource_settings(resource_id: int) -> Any:
    resource = _resource(resource_id)
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
                for name, message in exc.details.get("fields", {}).items():
                    errors[f"{unit}-{name}"] = f"{exc.message}"
        if not errors:
            flash(_("Saved: %(title)s.", title=resource.display_title(lang())), "success")
            return _back(resource.platform, "services.staff_prices")
        discard_changes()  # the page shows the stored settings beside the refused rates
    elif request.method == "GET":
        for unit, row in rates_of(resource).items():
            values[unit] = {"external": f"{row.external:.2f}", "internal": f"{row.internal:.2f}" if row.internal is not None else "",
                            "startup": f"{row.startup:.2f}" if row.startup is not None else ""}
    return render_template("services/staff_resource.html", platform=resource.platform, platforms=platform_choices(),
                           resource=resource, form=form, values=values, errors=errors, units=RATE_UNITS,
                           unit_labels=UNIT_LABELS), 200 if not errors else 422


@bp.post("/staff/reservations/<int:reservation_id>/fee")
@role_required("staff")
def staff_adjust_fee(reservation_id: int) -> Any:
    reservation = db.get_or_404(Reservation, reservation_id)
    form = FeeForm()
    if not form.validate_on_submit():
        flash(_("Give the fee as an amount, e.g. 350.00."), "error")
    else:
        adjust_fee(current_user, reservation, str(form.fee.data))
        flash(_("Fee set to %(fee)s.", fee=_money(reservation.fee_actual, reservation.fee_currency)), "success")
    target = request.form.get("next", "")
    if target.startswith("/staff") and not target.startswith("//"):
        return redirect(target, 303)
    return _back(reservation.resource.platform, "staff.index")


# --- administrators: vouchers ---------------------------------------------------------------------

@bp.route("/admin/vouchers", methods=["GET", "POST"])
@role_required("admin")
def admin_vouchers() -> Any:
    form = VoucherIssueForm()
    form.organisation.choices = organisation_choices()
    if form.validate_on_submit():
        org = db.session.get(Organisation, int(form.organisation.data))
        try:
            account = issue_vouchers(current_user, org, form.amount.data, form.note.data or "")
        except DomainError as exc:
            discard_changes()
            form.amount.errors = [exc.message]
        else:
            flash(_("%(org)s now holds %(balance)s in innovation vouchers.", org=account.organisation.name_zh,
                    balance=_money(account.balance)), "success")
            return redirect(url_for("services.admin_vouchers", org=account.organisation_id), 303)
    selected = None
    chosen = id_arg(request.args.get("org"))
    if chosen is not None:
        selected = account_for(db.session.get(Organisation, chosen))
    rows = accounts()
    if selected is None and rows:
        selected = rows[0]
    return render_template("services/admin_vouchers.html", form=form, accounts=rows, selected=selected,
                           entries=ledger(selected) if selected else []), 200 if not form.errors else 422
