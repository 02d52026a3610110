"""Settings of the mail work, each read from the app config, then the environment, then a default.

(The contract's ONESTOP_MAIL_URL and ONESTOP_REMINDER_OFFSETS are parsed by booking.config; these
are the finer knobs, useful to tests and operators, none of which a deployment must set.)
"""
from __future__ import annotations

import os
from typing import Any

from flask import current_app

DEFAULTS: dict[str, Any] = {
    "ONESTOP_BASE_URL": "http://127.0.0.1:5000",  # links in mail point here
    "ONESTOP_MAIL_FROM": "OneStop <noreply@onestop.local>",
    "ONESTOP_MAIL_TIMEOUT": 15.0,  # seconds, on every SMTP connection
    "ONESTOP_MAIL_RETRY_SECONDS": 30.0,  # first retry after a failure; doubled each time, at most 1 h
    "ONESTOP_MAIL_MAX_ATTEMPTS": 6,  # then the row is "failed" and shows on /admin/outbox/failures
    "ONESTOP_MAIL_STUCK_SECONDS": 300.0,  # a row "sending" longer than this was interrupted
    "ONESTOP_MAIL_BATCH_SIZE": 100,  # rows claimed at a time (one SMTP connection a batch)
    "ONESTOP_MAIL_CAFILE": "",  # extra CA bundle for smtps:// or STARTTLS (self-signed relays)
}


def setting(name: str) -> Any:
    default = DEFAULTS[name]
    value = current_app.config.get(name)
    if value is None:
        value = os.environ.get(name)
    if value is None or value == "":
        return default
    return type(default)(value) if not isinstance(default, str) else str(value)
