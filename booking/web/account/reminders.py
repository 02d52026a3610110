"""/account/reminders: the account page's reminder settings: on or off, and at which times before a
booking. The card itself is templates/auth/_account_extra.html, which account.html includes.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import Length, Optional, ValidationError

from ...accounts.forms import AccountForm, PasswordForm
from ...config import ConfigError
from ...notify.reminders import parse_user_offsets, reschedule_user, site_offsets
from .blueprint import bp


def format_durations(offsets: list[timedelta]) -> str:
    """[24h, 90m, 48h] → "24h, 90m, 2d": the form users type in."""
    parts = []
    for offset in offsets:
        seconds = int(offset.total_seconds())
        for size, unit in ((86400, "d"), (3600, "h"), (60, "m"), (1, "s")):
            if seconds % size == 0 and (unit != "d" or seconds >= 2 * 86400):  # 24h reads better than 1d
                parts.append(f"{seconds // size}{unit}")
                break
    return ", ".join(parts)


def _valid_offsets(form: FlaskForm, field: StringField) -> None:
    if field.data and field.data.strip():
        try:
            parse_user_offsets(field.data)
        except ConfigError:
            raise ValidationError(_l(
                "Write times such as 24h, 2h, 30m (d = days, h = hours, m = minutes): "
                "up to 5, each between 1 minute and 30 days."
            )) from None


class ReminderForm(FlaskForm):
    reminders_enabled = BooleanField(_l("E-mail me a reminder before each booking"))
    reminder_offsets = StringField(
        _l("When (before the start)"), validators=[Optional(), Length(max=100), _valid_offsets]
    )


def _current_form() -> ReminderForm:
    return ReminderForm(formdata=None, data={
        "reminders_enabled": current_user.reminders_enabled,
        "reminder_offsets": current_user.reminder_offsets or "",
    })


@bp.context_processor
def reminder_settings() -> dict[str, Any]:
    """For the account page: the reminder form filled from the account, and the site's default."""
    if not getattr(current_user, "is_authenticated", False):
        return {}
    return {"reminder_form": _current_form(), "site_reminder_offsets": format_durations(site_offsets())}


@bp.post("/account/reminders")
@login_required
def reminders() -> Any:
    form = ReminderForm()
    if form.validate_on_submit():
        current_user.reminders_enabled = bool(form.reminders_enabled.data)
        text = (form.reminder_offsets.data or "").strip()
        current_user.reminder_offsets = format_durations(parse_user_offsets(text)) if text else None
        reschedule_user(current_user)  # upcoming bookings follow the new wishes, in this transaction
        flash(_("Your reminder settings are saved.") if current_user.reminders_enabled
              else _("Reminders are off: we will not e-mail you before your bookings."), "success")
        return redirect(url_for("auth.account"))
    current_app.logger.info("reminder settings refused: %s", form.errors)
    return render_template(
        "auth/account.html", form=AccountForm(obj=current_user, prefix="acc"), password_form=PasswordForm(prefix="pw"),
        reminder_form=form,
    ), 422
