"""Forms of the resource page's panels that are not the booking form itself."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from ..fields import DATE_INPUT, HHMM


class TrainingRequestForm(FlaskForm):
    message = TextAreaField(_l("Your experience (optional)"), validators=[Optional(), Length(max=2000)],
                            render_kw={"rows": 2, "placeholder": _l("e.g. two years on a Zeiss SEM")})


class SlotForm(FlaskForm):
    day = DateField(_l("Date"), validators=[DataRequired()], render_kw=DATE_INPUT)
    start = StringField(_l("From"), validators=[DataRequired(), Regexp(HHMM)])
    end = StringField(_l("Until"), validators=[DataRequired(), Regexp(HHMM)])
