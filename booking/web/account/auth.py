"""/login, /logout, /register, /verify-email, /forgot-password, /reset-password: who you are."""
from __future__ import annotations

from typing import Any

from flask import flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from ...accounts import service
from ...accounts.forms import ForgotPasswordForm, LoginForm, RegisterForm, ResetPasswordForm
from ...accounts.links import InvalidLink
from ...errors import DomainError
from ..refusals import show_on_form
from ..transaction import keep_changes
from .blueprint import bp
from .session import log_in, safe_next


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = service.authenticate(form.email.data, form.password.data, request.remote_addr)
        except service.TooManyAttempts as exc:
            form.form_errors.append(_("Too many failed log-ins: wait a few minutes and try again."))
            status = exc.status
        except service.BadCredentials:
            keep_changes()  # the failure counts, although the answer is a 401
            form.form_errors.append(_("Wrong e-mail or password."))
            status = 401
        else:
            log_in(user, remember=bool(form.remember.data))
            return redirect(safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    """Log out here and everywhere: other sessions, remember-me cookies and API tokens end too."""
    if current_user.is_authenticated:
        service.end_sessions(current_user)
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("main.home"))


@bp.route("/register", methods=["GET", "POST"])
def register() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            service.register_account(form.email.data, form.password.data, name=form.name.data,
                                     language=form.language.data)
        except DomainError as exc:
            show_on_form(form, exc)
        else:
            # The same answer whether the address was new or had an account (its owner got a mail).
            session["lang"] = form.language.data
            flash(_("Thank you! We sent a mail to %(email)s: open the link in it to confirm your address "
                    "and log in. Until then you can search, but not book or order.",
                    email=form.email.data.strip()), "success")
            return redirect(url_for("main.home"))
    return render_template("auth/register.html", form=form), 422 if form.errors else 200


@bp.get("/verify-email/<token>")
def verify_email(token: str) -> Any:
    try:
        user, confirmed = service.verify_email(token)
    except InvalidLink as exc:
        return render_template("auth/link_invalid.html", message=exc.message, again="verify"), 400
    if confirmed:
        if not current_user.is_authenticated:
            log_in(user)  # the first use of the link is the owner's: they are logged in
        flash(_("Thank you: %(email)s is confirmed. You can now book and order.", email=user.email), "success")
    else:
        flash(_("%(email)s is confirmed already.", email=user.email), "info")
    return redirect(url_for("main.home") if current_user.is_authenticated else url_for("auth.login"))


@bp.post("/verify-email/resend")
@login_required
def resend_verification() -> Any:
    if current_user.email_verified_at is not None:
        flash(_("%(email)s is confirmed already.", email=current_user.email), "info")
    elif service.send_verification_mail(current_user):
        flash(_("We sent a new link to %(email)s. It works for %(days)d days.", email=current_user.email,
                days=service.VERIFY_MAX_AGE // 86400), "success")
    else:
        flash(_("We sent you several mails in the last hour: look for them (also among spam), or try again later."),
              "error")
    return redirect(safe_next(request.form.get("next")))


@bp.route("/forgot-password", methods=["GET", "POST"])
def forgot_password() -> Any:
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        service.request_password_reset(form.email.data)
        # The same answer for every address: the page does not tell who has an account.
        flash(_("If an account uses %(email)s, we sent it a link to choose a new password. The link works for "
                "an hour.", email=form.email.data.strip()), "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot_password.html", form=form), 422 if form.errors else 200


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> Any:
    try:
        user = service.user_for_reset(token)
    except InvalidLink as exc:
        response = make_response(render_template("auth/link_invalid.html", message=exc.message,
                                                  again="reset"), 400)
    else:
        form = ResetPasswordForm()
        if form.validate_on_submit():
            try:
                service.reset_password(token, form.password.data)
            except DomainError as exc:
                show_on_form(form, exc)
            else:
                logout_user()
                log_in(user)  # with the new session version; every other session has ended
                flash(_("Your new password is set. You are logged in here and logged out everywhere else."),
                      "success")
                return redirect(url_for("main.home"))
        response = make_response(render_template("auth/reset_password.html", form=form, email=user.email),
                                 422 if form.errors else 200)
    # The address carries the secret: never send it on as a referrer, never keep the page.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response
