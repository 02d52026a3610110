"""Settings of the mail work, each read from the app config, then the environment, then a default.

(The contract's ONESTOP_MAIL_URL and ONESTOP_REMINDER_OFFSETS are parsed by booking.config; these
are the finer knobs, useful to tests and operators, none of which a deployment must set.)

ONESTOP_BASE_URL, the site's address in mail and the domain of invitations' UIDs, defaults to the
address `onestop serve` serves (it records it as ONESTOP_SERVED_URL for the scheduler it starts);
only a process that serves nothing and was told nothing (gunicorn with a separate `onestop
scheduler`) falls back to http://127.0.0.1:5000, so production sets it.
"""
from __future__ import annotations

import os
from typing import Any

from flask import current_app

FALLBACK_BASE_URL = "http://127.0.0.1:5000"
SERVED_URL = "ONESTOP_SERVED_URL"  # set by `onestop serve`: where it listens, as a URL

DEFAULTS: dict[str, Any] = {
    "ONESTOP_BASE_URL": "",  # links in mail point here; empty: base_url() decides
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
        return base_url() if name == "ONESTOP_BASE_URL" else default
    return type(default)(value) if not isinstance(default, str) else str(value)


def served_url(host: str, port: int, scheme: str = "http") -> str:
    """The URL a server listening on host:port answers at; a wildcard address (0.0.0.0, ::) is
    reached by the machine's name, which is what someone elsewhere would type."""
    if host in ("", "0.0.0.0", "::", "[::]"):
        import socket

        host = socket.getfqdn() or socket.gethostname() or "localhost"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 literal
    default_port = {"http": 80, "https": 443}.get(scheme)
    return f"{scheme}://{host}" + ("" if port == default_port else f":{port}")


def base_url() -> str:
    """The site's address for links in mail and for UIDs: the setting when given, else what this
    process (or the `onestop serve` that started it) serves, else the development address."""
    for name in ("ONESTOP_BASE_URL", SERVED_URL):
        value = current_app.config.get(name)
        if value in (None, ""):
            value = os.environ.get(name)
        if value:
            return str(value).rstrip("/")
    return FALLBACK_BASE_URL

