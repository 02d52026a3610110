"""Organisation forms (Flask-WTF, so every one carries a CSRF token)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional

from ..models import ORG_KINDS

KIND_LABELS = {
    "startup": _l("Startup company"), "sme": _l("Small or medium enterprise"), "enterprise": _l("Enterprise"),
    "university": _l("University"), "institute": _l("Research institute"), "government": _l("Government body"),
    "other": _l("Other"),
}
STATE_LABELS = {"unverified": _l("Waiting for verification"), "verified": _l("Verified"),
                "suspended": _l("Suspended")}
KIND_CHOICES = [SelectChoice(kind, KIND_LABELS[kind]) for kind in ORG_KINDS]


class OrganisationForm(FlaskForm):
    name = StringField(_l("Registered name (Chinese)"), validators=[DataRequired(), Length(max=200)])
    name_en = StringField(_l("English name"), validators=[Optional(), Length(max=200)])
    uscc = StringField(_l("Unified social credit code (统一社会信用代码)"),
                       validators=[DataRequired(), Length(min=18, max=40)],
                       render_kw={"autocomplete": "off", "spellcheck": "false"})
    kind = SelectField(_l("Kind"), choices=KIND_CHOICES)
    city = StringField(_l("City"), validators=[Optional(), Length(max=64)])


class AdminOrganisationForm(OrganisationForm):
    uscc = StringField(_l("Unified social credit code (统一社会信用代码)"), validators=[Optional(), Length(max=40)],
                       render_kw={"autocomplete": "off", "spellcheck": "false"})


class FindForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search

    q = StringField(_l("Name or unified social credit code"), validators=[Optional(), Length(max=100)])


class JoinForm(FlaskForm):
    org_id = HiddenField(validators=[DataRequired()])
    message = TextAreaField(_l("Message to the managers (optional)"), validators=[Optional(), Length(max=1000)],
                            render_kw={"rows": 2})


class DecideForm(FlaskForm):
    note = StringField(_l("Note (optional)"), validators=[Optional(), Length(max=1000)])


class InviteForm(FlaskForm):
    email = EmailField(_l("E-mail of the person to invite"), validators=[DataRequired(), Email(), Length(max=254)])


class AddMemberForm(FlaskForm):
    email = EmailField(_l("E-mail of an existing account"), validators=[DataRequired(), Email(), Length(max=254)])
    role = SelectField(_l("Role"), choices=[SelectChoice("member", _l("Member")),
                                            SelectChoice("manager", _l("Manager"))])


class MergeForm(FlaskForm):
    merge_id = SelectField(_l("Merge this organisation into the one shown"), choices=[], validate_choice=True,
                           validators=[DataRequired()])
