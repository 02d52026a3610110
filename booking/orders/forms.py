"""Order forms (Flask-WTF: every form carries a CSRF token). The service checks again."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, DecimalField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from .files import ACCEPT_ATTR
from .service import LIMITS, MAX_DAYS_AHEAD, MAX_SAMPLES


class OrderForm(FlaskForm):
    samples = IntegerField(_l("Number of samples"), default=1,
                           validators=[InputRequired(message=_l("How many samples?")),
                                       NumberRange(min=1, max=MAX_SAMPLES,
                                                   message=_l("Between 1 and %(max)s samples."))],
                           render_kw={"min": 1, "max": MAX_SAMPLES, "inputmode": "numeric"})
    sample_description = TextAreaField(
        _l("Sample description"), validators=[DataRequired(message=_l("Describe the samples.")),
                                   Length(max=LIMITS["sample_description"])],
        render_kw={"rows": 3, "placeholder": _l("Material, form, size, how many of each, any hazards")})
    standard = StringField(_l("Standard or method"), validators=[Optional(), Length(max=LIMITS["standard"])],
                           render_kw={"list": "order-standards", "placeholder": _l("e.g. GB/T 228.1-2021")})
    needed_by = DateField(_l("Needed by (date)"), validators=[Optional()])
    turnaround_days = IntegerField(_l("or within (days)"), validators=[
        Optional(), NumberRange(min=1, max=MAX_DAYS_AHEAD, message=_l("Between 1 and %(max)s days."))],
        render_kw={"min": 1, "max": MAX_DAYS_AHEAD, "inputmode": "numeric"})
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=LIMITS["notes"])],
                          render_kw={"rows": 2})
    attachment = FileField(_l("Attachment (optional)"), render_kw={"accept": ACCEPT_ATTR})

    def validate_turnaround_days(self, field: IntegerField) -> None:
        if field.data is not None and self.needed_by.data is not None:
            raise ValidationError(_l("Give a date or a number of days, not both."))


class QuoteForm(FlaskForm):
    price = DecimalField(_l("Price (CNY)"), places=2,
                         validators=[InputRequired(message=_l("Give the price.")),
                                     NumberRange(min=0, max=99999999.99, message=_l("0 or more."))],
                         render_kw={"min": 0, "step": "0.01", "inputmode": "decimal"})
    promised_date = DateField(_l("Report ready by"), validators=[DataRequired(message=_l("Give a date."))])
    note = TextAreaField(_l("Note to the customer"), validators=[Optional(), Length(max=LIMITS["note"])],
                         render_kw={"rows": 2})


class NoteForm(FlaskForm):
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=LIMITS["note"])], render_kw={"rows": 2})


class CancelForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=LIMITS["note"])], render_kw={"rows": 2})


class ReportForm(FlaskForm):
    report = FileField(_l("Report file"), render_kw={"accept": ACCEPT_ATTR})
    note = TextAreaField(_l("Note to the customer"), validators=[Optional(), Length(max=LIMITS["note"])],
                         render_kw={"rows": 2})
