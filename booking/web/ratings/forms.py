"""The rating form (stars as radio buttons, a comment) and the staff's answer form."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ...engine.ratings import MAX_ANSWER, MAX_COMMENT, STARS

STAR_LABELS = {1: _l("1 star: poor"), 2: _l("2 stars: fair"), 3: _l("3 stars: good"), 4: _l("4 stars: very good"),
               5: _l("5 stars: excellent")}


class RatingForm(FlaskForm):
    stars = RadioField(_l("Stars"), choices=[SelectChoice(n, STAR_LABELS[n]) for n in STARS], coerce=int,
                       validators=[InputRequired(message=_l("Choose 1 to 5 stars."))])
    comment = TextAreaField(_l("Comment (optional)"), validators=[
        Optional(), Length(max=MAX_COMMENT, message=_l("Keep the comment to %(max)d characters."))],
        render_kw={"rows": 4, "maxlength": MAX_COMMENT})


class AnswerForm(FlaskForm):
    answer = TextAreaField(_l("Public answer"), validators=[
        DataRequired(message=_l("Write the answer.")),
        Length(max=MAX_ANSWER, message=_l("Keep the answer to %(max)d characters."))],
        render_kw={"rows": 3, "maxlength": MAX_ANSWER})
