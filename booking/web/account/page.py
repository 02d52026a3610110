"""/account: my details, my password, my API tokens (the reminder card: `reminders`)."""
from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ...accounts import service
from ...accounts.forms import AccountForm, PasswordForm
from ...errors import DomainError
from ..refusals import show_on_form
from .blueprint import bp
from .session import log_in


def _remembered() -> bool:
    """Whether this browser holds a remember-me cookie (kept, with the new version, after a change)."""
    return current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies


@bp.context_processor
def account_context() -> dict[str, Any]:
    def api_tokens() -> list[Any]:
        return service.list_tokens(current_user) if current_user.is_authenticated else []

    return {"api_tokens": api_tokens}


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account() -> Any:
    form = AccountForm(obj=current_user, prefix="acc")
    password_form = PasswordForm(prefix="pw")
    if request.method == "POST" and "acc-name" in request.form and form.validate_on_submit():
        try:
            service.update_profile(current_user, name=form.name.data, language=form.language.data)
        except DomainError as exc:
            show_on_form(form, exc)
        else:
            session["lang"] = form.language.data
            flash(_("Your details are saved."), "success")
            return redirect(url_for("auth.account"))
    if request.method == "POST" and "pw-current_password" in request.form and password_form.validate_on_submit():
        try:
            service.change_password(current_user, password_form.current_password.data, password_form.new_password.data)
        except DomainError as exc:
            show_on_form(password_form, exc)
        else:
            # Every other session is over; this browser stays logged in, under the new version.
            log_in(current_user._get_current_object(), remember=_remembered())
            flash(_("Your password is changed. Every other session and every API token has ended."), "success")
            return redirect(url_for("auth.account"))
    status = 422 if (form.errors or password_form.errors) else 200
    return render_template("auth/account.html", form=form, password_form=password_form), status


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int) -> Any:
    service.revoke_token(current_user, token_id)  # NotFound for another's: the error handler answers
    flash(_("The API token is revoked: programs using it must ask for a new one."), "success")
    return redirect(url_for("auth.account") + "#tokens")
