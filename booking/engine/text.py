"""Translated messages that work with or without a request.

The engine runs from views, the CLI and scheduler jobs. Flask-Babel picks the locale from the
request; outside one (a job) the application's default locale is used, so no engine function
depends on a request being there.
"""
from __future__ import annotations

from typing import Any

from flask import current_app, has_app_context, has_request_context
from flask_babel import force_locale, gettext


def _(text: str, **variables: Any) -> str:
    if has_request_context() or not has_app_context():
        return gettext(text, **variables)
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "zh")):
        return gettext(text, **variables)
