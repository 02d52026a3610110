"""OneStop: search and book shared science and technology resources."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import flask_babel
from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def _forget_cached_user() -> None:
    """Flask-Login caches the caller, and Flask-WTF the CSRF token, on `g`: per request in production,
    but a test client's requests share one app context. Each request finds its own in its own session."""
    from flask import current_app, g

    g.pop("_login_user", None)
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the application: settings from the environment, overridden by `config`."""
    from . import notify  # noqa: F401  (subscribes the mail outlet to the engine's events)
    from .config import ensure_secret_key, load_config
    from .extensions import babel, csrf, db, login_manager, migrate
    from .i18n import select_locale
    from .web import register_web

    settings = load_config()
    settings.update(config or {})
    ensure_secret_key(settings)
    app = Flask(
        __name__,
        instance_path=settings["INSTANCE_PATH"],
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "booking" / "static"),
    )
    app.config.update(
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
        WTF_CSRF_TIME_LIMIT=None,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        BABEL_DEFAULT_LOCALE="en",  # jobs and the CLI; pages choose in booking.i18n, mail per user
        BABEL_TRANSLATION_DIRECTORIES=str(ROOT / "booking" / "translations"),
        MAX_CONTENT_LENGTH=20 * 1024 * 1024,
        LOGIN_MAX_FAILURES=5,  # per (account, address) pair …
        LOGIN_FAILURE_WINDOW=300,  # … within 5 minutes
        LOGIN_ADDRESS_MAX_FAILURES=100,  # per address, whatever the accounts …
        LOGIN_ADDRESS_WINDOW=900,  # … within 15 minutes
        ONESTOP_DEFAULT_TIMEZONE="Asia/Shanghai",
    )
    app.config.update(settings)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    # The locale is cached on the app context, which a test client shares between requests.
    app.before_request(flask_babel.refresh)
    # So are the caller and the CSRF token: each request finds its own in its own session or cookie.
    app.before_request(_forget_cached_user)
    register_web(app)
    from .web.security import init_security

    init_security(app)  # headers, cookie flags, ProxyFix when ONESTOP_PROXY_COUNT says so
    from . import db_events  # noqa: F401  (sqlite pragmas)
    from .searching import outbox  # noqa: F401  (resources written through the ORM reach the index)

    return app
