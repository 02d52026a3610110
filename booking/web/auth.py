"""Log in, log out, register, and the account page."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..accounts import service
from ..accounts.forms import AccountForm, LoginForm, PasswordForm, RegisterForm
from ..errors import DomainError
from ..extensions import db

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only follow `next` to a path on this site."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("main.home")


def _field_errors(form: Any, exc: DomainError) -> None:
    fields = exc.details.get("fields") or {}
    placed = False
    for name, message in fields.items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = [*field.errors, exc.message if len(fields) == 1 else message]
            placed = True
    if not placed:
        form.form_errors.append(exc.message)


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = service.authenticate(
                form.email.data, form.password.data, request.remote_addr,
                limit=current_app.config["LOGIN_MAX_FAILURES"],
                window=current_app.config["LOGIN_FAILURE_WINDOW"],
            )
        except service.TooManyAttempts as exc:
            form.form_errors.append(_("Too many failed log-ins: wait a few minutes and try again."))
            status = exc.status
        except service.BadCredentials:
            db.session.commit()  # keep the failure count
            form.form_errors.append(_("Wrong e-mail or password."))
            status = 401
        else:
            db.session.commit()
            login_user(user, remember=form.remember.data)
            session["lang"] = user.language
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
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
            user = service.create_user(
                form.email.data, form.password.data, name=form.name.data, language=form.language.data,
            )
        except DomainError as exc:
            db.session.rollback()
            _field_errors(form, exc)
        else:
            db.session.commit()
            login_user(user)
            session["lang"] = user.language
            flash(_("Welcome to OneStop! Search for an instrument or a service to book."), "success")
            return redirect(url_for("main.home"))
    return render_template("auth/register.html", form=form), 422 if form.errors else 200


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account() -> Any:
    form = AccountForm(obj=current_user, prefix="acc")
    password_form = PasswordForm(prefix="pw")
    if request.method == "POST" and "acc-name" in request.form and form.validate_on_submit():
        current_user.name = form.name.data.strip()
        current_user.language = form.language.data
        session["lang"] = form.language.data
        db.session.commit()
        flash(_("Your details are saved."), "success")
        return redirect(url_for("auth.account"))
    if request.method == "POST" and "pw-current_password" in request.form and password_form.validate_on_submit():
        try:
            service.change_password(current_user, password_form.current_password.data, password_form.new_password.data)
        except DomainError as exc:
            db.session.rollback()
            _field_errors(password_form, exc)
        else:
            db.session.commit()
            flash(_("Your password is changed."), "success")
            return redirect(url_for("auth.account"))
    status = 422 if (form.errors or password_form.errors) else 200
    return render_template("auth/account.html", form=form, password_form=password_form), status
