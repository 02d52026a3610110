"""/admin (the overview) and /admin/platforms: the platforms, their settings and owners."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit
from zoneinfo import available_timezones

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError

from ...accounts.access import role_required
from ...extensions import db
from ...models import PLATFORM_KINDS, Organisation, Platform, User
from ..platforms.labels import platform_kind_label
from .blueprint import bp
from .choices import organisation_choices

INTRODUCTION_LIMIT = 5000  # characters, each language: a page of text, not a brochure


def _valid_zone(form: FlaskForm, field: StringField) -> None:
    if field.data not in available_timezones():
        raise ValidationError(_l("Use an IANA time zone such as Asia/Shanghai or Europe/Berlin."))


def _web_address(form: FlaskForm, field: StringField) -> None:
    """Only an http(s) address with a host: the public page links it, and javascript: must never be a link."""
    value = (field.data or "").strip()
    field.data = value
    if not value:
        return
    try:
        parts = urlsplit(value)
    except ValueError:
        parts = None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.netloc or any(c.isspace() for c in value):
        raise ValidationError(_l("Give the website as a full address starting with https:// or http://."))


def _phone(form: FlaskForm, field: StringField) -> None:
    value = (field.data or "").strip()
    field.data = value
    if value and not any(c.isdigit() for c in value):
        raise ValidationError(_l("A phone number has digits, e.g. +86 25 8359 1234."))


def _printable(form: FlaskForm, field: StringField) -> None:
    """No control characters (a NUL cannot even be stored); new lines only where the field has lines."""
    allowed = "\n\r\t" if isinstance(field, TextAreaField) else ""
    if any(ord(c) < 32 and c not in allowed for c in field.data or ""):
        raise ValidationError(_l("Contains a character that is not allowed."))


class PlatformForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=32), Regexp(r"^[A-Za-z0-9_-]+$")])
    name_zh = StringField(_l("Name (Chinese)"), validators=[DataRequired(), Length(max=200)])
    name_en = StringField(_l("Name (English)"), validators=[Optional(), Length(max=200)])
    city_zh = StringField(_l("City (Chinese)"), validators=[DataRequired(), Length(max=64)])
    city_en = StringField(_l("City (English)"), validators=[Optional(), Length(max=64)])
    kind = SelectField(_l("Kind"), choices=[SelectChoice(k, k) for k in PLATFORM_KINDS])  # labelled per request
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    timezone = StringField(_l("Time zone"), validators=[DataRequired(), _valid_zone], default="Asia/Shanghai")
    email = StringField(_l("Contact e-mail"), validators=[Optional(), Length(max=200)])
    approval_expiry_hours = IntegerField(
        _l("Undecided bookings expire after (hours)"), validators=[NumberRange(1, 24 * 30)], default=48
    )
    tracks_check_in = BooleanField(_l("Users check in and out at this platform"))
    # The public profile, shown on /platforms/<code>.
    introduction_zh = TextAreaField(_l("Introduction (Chinese)"),
                                    validators=[Optional(), Length(max=INTRODUCTION_LIMIT), _printable])
    introduction_en = TextAreaField(_l("Introduction (English)"),
                                    validators=[Optional(), Length(max=INTRODUCTION_LIMIT), _printable])
    accreditation = StringField(_l("Accreditation"), validators=[Optional(), Length(max=300), _printable])
    contact_name = StringField(_l("Contact person"), validators=[Optional(), Length(max=100), _printable])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=64), _printable, _phone])
    website = StringField(_l("Website"), validators=[Optional(), Length(max=300), _web_address])
    # Not named like the model attribute, so the platform object never pre-fills it with None.
    owning_org = SelectField(_l("Owning organisation (its members pay the internal rate)"), choices=[], default="",
                               validate_choice=True)


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
    # a new platform checks users in unless the administrator says otherwise (the column's default)
    platform = (db.get_or_404(Platform, platform_id, description=_("No such platform.")) if platform_id
                else Platform(tracks_check_in=True))
    form = PlatformForm(obj=platform, owning_org=str(platform.owner_org_id or ""))
    form.owning_org.choices = organisation_choices()
    form.kind.choices = [SelectChoice(k, platform_kind_label(k)) for k in PLATFORM_KINDS]
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
