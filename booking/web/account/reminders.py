"""/account/reminders: the account page's reminder settings: on or off, and at which times before a
booking: three usual times as checkboxes (1 day, 2 hours, 1 hour before) and a field for others,
typed as people write them ("30m, 3h, 2d", "30分钟、3小时", "1 天"). The card itself is
templates/auth/_reminder_card.html, which the account page includes.

Stored as before: `reminder_offsets` "24h, 30m", or None while the choice is the site's default.
"""
from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectMultipleField, StringField
from wtforms.validators import Length, Optional, ValidationError

from ...accounts.forms import AccountForm, PasswordForm
from ...config import ConfigError
from ...notify.reminders import (
    MAX_OFFSET,
    MAX_OFFSETS,
    MIN_OFFSET,
    parse_user_offsets,
    reschedule_user,
    site_offsets,
)
from .blueprint import bp

# The usual times, offered as checkboxes: (value stored, label).
PRESETS: tuple[tuple[str, Any], ...] = (
    ("24h", _l("1 day before")),
    ("2h", _l("2 hours before")),
    ("1h", _l("1 hour before")),
)
_UNIT_WORDS = {
    "d": ("d", "day", "days", "天", "日"),
    "h": ("h", "hr", "hrs", "hour", "hours", "小时", "个小时", "钟头", "个钟头", "时"),
    "m": ("m", "min", "mins", "minute", "minutes", "分钟", "分"),
}
_UNITS = {word: unit for unit, words in _UNIT_WORDS.items() for word in words}
_UNIT_PATTERN = "|".join(sorted((re.escape(w) for w in _UNITS), key=len, reverse=True))
# One time: a number, its unit, optionally "before"/"前"; separators: commas (also full-width),
# the enumeration comma 、, semicolons, spaces.
_TIME = re.compile(rf"(\d{{1,6}})\s*({_UNIT_PATTERN})(?:\s*(?:前|before))?(?![a-z])", re.IGNORECASE)
_SEPARATORS = re.compile(r"[\s,，、;；]+")


class UnreadableTimes(ValueError):
    """A reminder time the user typed that we cannot use; the message is fit to show."""


def _unreadable(text: str, position: int) -> UnreadableTimes:
    part = _SEPARATORS.split(text[position:], maxsplit=1)[0][:20]
    return UnreadableTimes(_("Could not read “%(part)s”. Write times such as 24h, 2h, 30m or 30分钟 "
                             "(d = days, h = hours, m = minutes), separated by commas.", part=part))


def read_times(text: str) -> list[timedelta]:
    """"30m, 3h、2 天" → [30 min, 3 h, 2 days]: the times in `text`, in the user's own notation.
    Raises UnreadableTimes naming the first part it cannot read."""
    found: list[timedelta] = []
    position = 0
    text = text.strip()
    while position < len(text):
        gap = _SEPARATORS.match(text, position)
        if gap:
            position = gap.end()
            continue
        match = _TIME.match(text, position)
        if not match:
            raise _unreadable(text, position)
        if match.end() < len(text) and not _SEPARATORS.match(text, match.end()):
            raise _unreadable(text, position)
        unit = _UNITS[match.group(2).lower()]
        found.append(timedelta(**{{"d": "days", "h": "hours", "m": "minutes"}[unit]: int(match.group(1))}))
        position = match.end()
    return found


def chosen_offsets(presets: list[str], custom: str) -> list[timedelta]:
    """The checked usual times and the typed ones, as one list (largest first, no repeats), within
    the limits reminders have (1 minute to 30 days, at most 5). Raises UnreadableTimes."""
    offsets = set(read_times(custom or ""))
    offsets.update(timedelta(hours=int(value[:-1])) for value in presets if value in dict(PRESETS))
    for offset in sorted(offsets):
        if not MIN_OFFSET <= offset <= MAX_OFFSET:
            raise UnreadableTimes(_("Each reminder must be between 1 minute and 30 days before the start; "
                                    "%(time)s is not.", time=format_durations([offset])))
    if len(offsets) > MAX_OFFSETS:
        raise UnreadableTimes(_("At most %(n)s reminders: choose fewer times.", n=MAX_OFFSETS))
    return sorted(offsets, reverse=True)


def format_durations(offsets: list[timedelta]) -> str:
    """[24h, 90m, 48h] → "24h, 90m, 2d": the form users type in."""
    parts = []
    for offset in offsets:
        seconds = int(offset.total_seconds())
        if seconds == 0:
            parts.append("0m")
            continue
        for size, unit in ((86400, "d"), (3600, "h"), (60, "m"), (1, "s")):
            if seconds % size == 0 and (unit != "d" or seconds >= 2 * 86400):  # 24h reads better than 1d
                parts.append(f"{seconds // size}{unit}")
                break
    return ", ".join(parts)


def split_choice(offsets: list[timedelta]) -> tuple[list[str], str]:
    """How a list of times shows in the form: the usual ones checked, the others typed."""
    usual = {timedelta(hours=int(value[:-1])): value for value, _label in PRESETS}
    checked = [usual[o] for o in offsets if o in usual]
    others = [o for o in offsets if o not in usual]
    return checked, format_durations(others)


class ReminderForm(FlaskForm):
    reminders_enabled = BooleanField(_l("E-mail me a reminder before each booking"))
    reminder_times = SelectMultipleField(_l("When (before the start)"), choices=[value for value, _label in PRESETS],
                                        validate_choice=False)
    reminder_offsets = StringField(_l("Other times"), validators=[Optional(), Length(max=100)])

    def validate_reminder_offsets(self, field: StringField) -> None:
        try:
            chosen_offsets(list(self.reminder_times.data or []), field.data or "")
        except UnreadableTimes as exc:
            raise ValidationError(str(exc)) from None

    def chosen(self) -> list[timedelta]:
        return chosen_offsets(list(self.reminder_times.data or []), self.reminder_offsets.data or "")


def _current_form() -> ReminderForm:
    offsets = site_offsets()
    if current_user.reminder_offsets:
        try:
            offsets = parse_user_offsets(current_user.reminder_offsets)
        except ConfigError:
            pass  # unusable stored times: the site's apply (booking.notify.reminders.offsets_for)
    checked, others = split_choice(offsets)
    return ReminderForm(formdata=None, data={
        "reminders_enabled": current_user.reminders_enabled, "reminder_times": checked, "reminder_offsets": others})


@bp.context_processor
def reminder_settings() -> dict[str, Any]:
    """For the account page: the reminder form filled from the account, and the site's default."""
    if not getattr(current_user, "is_authenticated", False):
        return {}
    return {"reminder_form": _current_form(), "site_reminder_offsets": format_durations(site_offsets()),
            "reminder_presets": PRESETS}


@bp.post("/account/reminders")
@login_required
def reminders() -> Any:
    form = ReminderForm()
    if form.validate_on_submit():
        current_user.reminders_enabled = bool(form.reminders_enabled.data)
        offsets = form.chosen()
        # Nothing chosen, or exactly the site's times: follow the site's default (also when it changes).
        own = offsets and sorted(offsets) != sorted(site_offsets())
        current_user.reminder_offsets = format_durations(offsets) if own else None
        reschedule_user(current_user)  # upcoming bookings follow the new wishes, in this transaction
        flash(_("Your reminder settings are saved.") if current_user.reminders_enabled
              else _("Reminders are off: we will not e-mail you before your bookings."), "success")
        return redirect(url_for("auth.account"))
    current_app.logger.info("reminder settings refused: %s", form.errors)
    return render_template(
        "auth/account.html", form=AccountForm(obj=current_user, prefix="acc"), password_form=PasswordForm(prefix="pw"),
        reminder_form=form,
    ), 422
