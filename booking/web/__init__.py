"""The web layer: blueprints by URL (a package per prefix: /resources, /bookings, /orders,
/organisation(s), /staff, /admin, /account and logging in, /api/v1), the one place where domain
errors become HTTP answers, and the request's one transaction (booking.web.transaction)."""
from __future__ import annotations

from typing import Any

from flask import Flask, flash, jsonify, redirect, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from ..errors import DomainError, InvalidInput
from .transaction import discard_changes, init_transactions
from .validate import BoundedIntegerConverter, nul_in


def wants_json() -> bool:
    return request.path.startswith("/api/")


def register_web(app: Flask) -> None:
    # Before any rule is added: `<int:...>` ids above the databases' integer range match no route (404).
    app.url_map.converters["int"] = BoundedIntegerConverter

    from ..extensions import db, login_manager
    from ..models import User

    # Each package adds its routes to its blueprint when imported (booking.web.resources also the
    # resource page to main's), so every one is imported before any is registered.
    from . import (
        account,
        admin,
        bookings,
        calendar,
        home,
        orders,
        organisations,
        platforms,
        ratings,
        resources,
        staff,
        statements,
    )
    from .api import register_api

    for module in (home, account, admin, bookings, staff, calendar, orders, resources, statements, organisations,
                   platforms, ratings):
        app.register_blueprint(module.bp)
    register_api(app)

    login_manager.login_view = "auth.login"
    login_manager.login_message = None

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        """`id:version` from the session or remember-me cookie; an older version is logged out."""
        ident, _, version = user_id.partition(":")
        if not (ident.isdigit() and version.isdigit()) or len(ident) > 18:
            return None
        user = db.session.get(User, int(ident))
        return user if user is not None and user.session_version == int(version) else None

    @app.before_request
    def refuse_unstorable_input() -> Any:
        """Input that no database can store or the JSON decoder cannot read is refused at the door,
        whatever view it was meant for: a NUL character (PostgreSQL text cannot hold one) and JSON
        nested too deep to decode (a RecursionError). The API answers 422 `invalid`; a page's query
        string, 400. (Page forms say it beside the field, through their own validators.)"""
        not_allowed = _("Contains a character that is not allowed.")
        if wants_json():
            if request.is_json and request.method not in ("GET", "HEAD", "OPTIONS"):
                try:
                    body = request.get_json(silent=True)
                except RecursionError:
                    raise InvalidInput(_("send a JSON object with Content-Type: application/json"),
                                       fields={"body": _("send a JSON object with Content-Type: application/json")},
                                       ) from None
                where = nul_in(body)
                if where is not None:
                    raise InvalidInput(not_allowed, fields={where: not_allowed})
            return None
        for name, value in request.args.items(multi=True):
            if "\x00" in name or "\x00" in value:
                return render_template("error.html", code=400, message=not_allowed), 400
        return None

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError) -> Any:
        discard_changes()  # the page's answer is a redirect, but nothing of the failed step is kept
        if wants_json():
            return jsonify(error=exc.code, message=exc.message, **exc.details), exc.status
        if exc.status == 403:  # a refusal (e.g. staff of another platform) is an answer, not a detour
            return render_template("error.html", code=403, reason=exc.message), 403
        flash(exc.message, "error")
        return redirect(request.referrer or "/"), 303

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> Any:
        if wants_json():
            return jsonify(error="csrf", message=exc.description), 400
        return render_template("error.html", code=400, message=exc.description), 400

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        # The exception's own headers (Allow of a 405, Retry-After of a 429, WWW-Authenticate) stay.
        headers = [(name, value) for name, value in exc.get_headers() if name.lower() != "content-type"]
        if wants_json():
            return jsonify(error=exc.name.lower().replace(" ", "_"), message=exc.description), exc.code, headers
        return render_template("error.html", code=exc.code, message=exc.description), exc.code, headers

    init_transactions(app)

    from .filters import register_filters

    register_filters(app)
