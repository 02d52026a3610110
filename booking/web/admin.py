"""Administrators manage platforms and accounts."""
from __future__ import annotations

from typing import Any
from zoneinfo import available_timezones

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError

from ..accounts import service
from ..accounts.access import role_required
from ..accounts.forms import NewUserForm, UserAdminForm
from ..errors import DomainError
from ..extensions import db
from ..models import PLATFORM_KINDS, Organisation, Platform, User
from .refusals import show_on_form

bp = Blueprint("admin", __name__, url_prefix="/admin")
PAGE_SIZE = 50


def _valid_zone(form: FlaskForm, field: StringField) -> None:
    if field.data not in available_timezones():
        raise ValidationError(_l("Use an IANA time zone such as Asia/Shanghai or Europe/Berlin."))


class PlatformForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=32), Regexp(r"^[A-Za-z0-9_-]+$")])
    name_zh = StringField(_l("Name (Chinese)"), validators=[DataRequired(), Length(max=200)])
    name_en = StringField(_l("Name (English)"), validators=[Optional(), Length(max=200)])
    city_zh = StringField(_l("City (Chinese)"), validators=[DataRequired(), Length(max=64)])
    city_en = StringField(_l("City (English)"), validators=[Optional(), Length(max=64)])
    kind = SelectField(_l("Kind"), choices=[SelectChoice(k, k) for k in PLATFORM_KINDS])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    timezone = StringField(_l("Time zone"), validators=[DataRequired(), _valid_zone], default="Asia/Shanghai")
    email = StringField(_l("Contact e-mail"), validators=[Optional(), Length(max=200)])
    approval_expiry_hours = IntegerField(
        _l("Undecided bookings expire after (hours)"), validators=[NumberRange(1, 24 * 30)], default=48
    )
    # Not named like the model attribute, so the platform object never pre-fills it with None.
    owning_org = SelectField(_l("Owning organisation (its members pay the internal rate)"), choices=[], default="",
                               validate_choice=True)


def organisation_choices(verified_only: bool = True) -> list[SelectChoice]:
    """Organisations to pick from (never typed): verified ones unless said otherwise."""
    query = select(Organisation).order_by(Organisation.name_zh).limit(2000)
    if verified_only:
        query = query.where(Organisation.state == "verified")
    return [SelectChoice("", "—")] + [SelectChoice(str(o.id), f"{o.name_zh} · {o.uscc or '—'}")
                                      for o in db.session.scalars(query)]


def flash_form_errors(form: FlaskForm) -> None:
    """A form posted from a page that redirects back: each field's errors as a flash, labelled."""
    for name, errors in form.errors.items():
        flash(f"{getattr(form, name).label.text}: {' '.join(map(str, errors))}", "error")


def _platform_choices() -> list[SelectChoice]:
    platforms = db.session.scalars(select(Platform).order_by(Platform.code))
    return [SelectChoice("", "—")] + [SelectChoice(str(p.id), f"{p.code} {p.name_zh}") for p in platforms]


@bp.get("/")
@role_required("admin")
def index() -> Any:
    counts = {
        "platforms": db.session.scalar(select(func.count()).select_from(Platform)),
        "users": db.session.scalar(select(func.count()).select_from(User)),
        "orgs": db.session.scalar(select(func.count()).select_from(Organisation)),
        "orgs_waiting": db.session.scalar(select(func.count()).select_from(Organisation)
                                          .where(Organisation.state == "unverified")),
    }
    return render_template("admin/index.html", counts=counts)


@bp.get("/platforms")
@role_required("admin")
def platforms() -> Any:
    rows = db.session.scalars(select(Platform).order_by(Platform.code)).all()
    return render_template("admin/platforms.html", platforms=rows)


@bp.route("/platforms/new", methods=["GET", "POST"])
@bp.route("/platforms/<int:platform_id>", methods=["GET", "POST"])
@role_required("admin")
def edit_platform(platform_id: int | None = None) -> Any:
    platform = db.get_or_404(Platform, platform_id, description=_("No such platform.")) if platform_id else Platform()
    form = PlatformForm(obj=platform, owning_org=str(platform.owner_org_id or ""))
    form.owning_org.choices = organisation_choices()
    if form.validate_on_submit():
        clash = db.session.scalar(select(Platform).where(Platform.code == form.code.data, Platform.id != (platform.id or 0)))
        if clash:
            form.code.errors.append(_("Another platform already has this code."))
        else:
            owner = form.owning_org.data
            del form.owning_org
            form.populate_obj(platform)
            platform.owner_org_id = int(owner) if owner else None
            db.session.add(platform)
            flash(_("Platform %(code)s saved.", code=platform.code), "success")
            return redirect(url_for("admin.platforms"))
    return render_template("admin/platform_form.html", form=form, platform=platform), 422 if form.errors else 200


@bp.get("/users")
@role_required("admin")
def users() -> Any:
    return _users_page(_new_user_form())


def _users_page(new_form: NewUserForm, status: int = 200) -> Any:
    q = request.args.get("q", "").strip()[:100]
    try:
        page = max(1, int(request.args.get("page", "1")))
    except ValueError:
        page = 1
    query = select(User).order_by(User.id)
    if q:
        query = query.where(User.email.ilike(f"%{q}%") | User.name.ilike(f"%{q}%"))
    rows = db.paginate(query, page=page, per_page=PAGE_SIZE, error_out=False)
    return render_template("admin/users.html", users=rows, q=q, new_form=new_form), status


def _new_user_form() -> NewUserForm:
    form = NewUserForm(prefix="new")
    form.platform.choices = _platform_choices()
    return form


@bp.post("/users/new")
@role_required("admin")
def create_user() -> Any:
    """A refused account (bad input, an address in use) shows the list again with the form as typed."""
    form = _new_user_form()
    if form.validate_on_submit():
        platform = db.session.get(Platform, int(form.platform.data)) if form.platform.data else None
        try:
            user = service.create_user(
                form.email.data, form.password.data, role=form.role.data,
                platform_code=platform.code if platform else None, name=form.name.data or "",
                verified=True,  # an administrator made the account: the address counts as confirmed
            )
        except DomainError as exc:
            show_on_form(form, exc)
        else:
            flash(_("Account %(email)s created.", email=user.email), "success")
            return redirect(url_for("admin.users"))
    return _users_page(form, 422)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@role_required("admin")
def edit_user(user_id: int) -> Any:
    user = db.get_or_404(User, user_id, description=_("No such account."))
    form = UserAdminForm(obj=user, data={"platform": str(user.platform_id or "")} if request.method == "GET" else None)
    form.platform.choices = _platform_choices()
    if form.validate_on_submit():
        try:
            service.set_access(user, role=form.role.data, active=form.active.data,
                               platform_id=int(form.platform.data) if form.platform.data else None)
        except DomainError as exc:
            show_on_form(form, exc)
        else:
            flash(_("Account %(email)s saved.", email=user.email), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=user), 422 if form.errors else 200
