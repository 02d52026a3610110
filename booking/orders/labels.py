"""The names of an order's statuses and steps, for pages and mail (lazy: translated when shown).

Its own module, below the state machine, so the notification outlet can name a step without
importing the state machine.
"""
from __future__ import annotations

from typing import Any

from flask import current_app, has_app_context, has_request_context
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

STATUS_LABELS = {
    "submitted": _l("Submitted"), "quoted": _l("Quoted"), "accepted": _l("Accepted"), "declined": _l("Declined"),
    "received": _l("Samples received"), "testing": _l("Testing"), "reported": _l("Report issued"),
    "completed": _l("Completed"), "cancelled": _l("Cancelled"),
}
ACTION_LABELS = {
    "submit": _l("Order submitted"), "quote": _l("Quote sent"), "accept": _l("Quote accepted"),
    "decline": _l("Quote declined"), "receive": _l("Samples received"), "start": _l("Testing started"),
    "issue": _l("Report issued"), "complete": _l("Order completed"), "cancel": _l("Order cancelled"),
}


def _text_of(label: Any) -> str:
    """A lazy label as text, in the request's language, else the site's default one."""
    if has_request_context() or not has_app_context():
        return str(label)
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "zh")):
        return str(label)


def status_label(status: str) -> str:
    return _text_of(STATUS_LABELS.get(status, status))


def action_label(action: str) -> str:
    return _text_of(ACTION_LABELS.get(action, action))
